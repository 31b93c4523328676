"""Loopback fakes for the probe: a test CA, a TLS/HTTP server, silent and closed ports,
a CONNECT proxy and an instance metadata service. Everything binds to 127.0.0.0/8,
every loop is bounded and every socket has a timeout.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import http.server
import json
import select
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ssmreach.probe.node import ProbeConfig

REGION = "us-east-1"
SERVICE_NAMES = ("ssm", "ssmmessages", "ec2messages", "s3", "kms", "logs", "ec2", "sts")


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path


def _with_cryptography(folder: Path, names: list[str]) -> Pki:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ssmreach test CA"),
            x509.NameAttribute(NameOID.COMMON_NAME, "ssmreach test root"),
        ]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=10))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    pki.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki


def _with_openssl(folder: Path, names: list[str]) -> Pki:
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    ca_key = folder / "ca.key"

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)

    run(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key),
        "-out", str(pki.ca), "-days", "30", "-subj", "/O=ssmreach test CA/CN=ssmreach test root",
    )  # fmt: skip
    run(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(pki.key),
        "-out", str(folder / "server.csr"), "-subj", f"/CN={names[0]}",
    )  # fmt: skip
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n")
    run(
        "x509", "-req", "-in", str(folder / "server.csr"), "-CA", str(pki.ca),
        "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(pki.cert), "-days", "10",
        "-extfile", str(ext),
    )  # fmt: skip
    return pki


def make_pki(folder: Path, names: list[str] | None = None) -> Pki:
    """A test CA and a server certificate for `*.us-east-1.amazonaws.com` (and `names`)."""
    names = names or [f"*.{REGION}.amazonaws.com", "localhost"]
    try:
        import cryptography  # noqa: F401
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor openssl is available")
        return _with_openssl(folder, names)
    return _with_cryptography(folder, names)


# --- servers -----------------------------------------------------------------------------------


class _Server:
    """A listening socket on a loopback address with a bounded accept loop in a thread."""

    def __init__(self, host: str = "127.0.0.1", *, accept: bool = True, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.host = host
        self.port: int = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.connections = 0
        if accept:
            self.thread = threading.Thread(target=self._loop, daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.1)
            if not ready:
                continue
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(5)
            threading.Thread(target=self._serve_safely, args=(conn,), daemon=True).start()

    def _serve_safely(self, conn: socket.socket) -> None:
        try:
            self.serve(conn)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def serve(self, conn: socket.socket) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.thread is not None:
            self.thread.join(2)


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    for _ in range(64):
        if b"\r\n\r\n" in data:
            break
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class TlsServer(_Server):
    """Answers every HTTPS request with `404` and AWS-like headers (or stays silent)."""

    def __init__(
        self,
        pki: Pki,
        host: str = "127.0.0.1",
        *,
        silent_after_tls: bool = False,
        date: datetime.datetime | None = None,
        port: int = 0,
    ) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(pki.cert), str(pki.key))
        self.silent_after_tls = silent_after_tls
        self.date = date
        self.requests: list[bytes] = []
        super().__init__(host, port=port)

    def serve(self, conn: socket.socket) -> None:
        tls = self.context.wrap_socket(conn, server_side=True)
        head = _read_head(tls)
        self.requests.append(head)
        if self.silent_after_tls:
            self.stop.wait(3)
            return
        when = self.date or datetime.datetime.now(datetime.UTC)
        body = b"<UnknownOperationException/>"
        tls.sendall(
            b"HTTP/1.1 404 Not Found\r\nServer: Server\r\n"
            + f"Date: {email.utils.format_datetime(when, usegmt=True)}\r\n".encode()
            + b"x-amzn-RequestId: 0000-test\r\nContent-Type: text/xml\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )


class SilentServer(_Server):
    """Listens but never accepts: TCP connects (the kernel's backlog), nothing answers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host, accept=False)


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on: connecting is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


class ConnectProxy(_Server):
    """An HTTP CONNECT proxy that tunnels every request to one loopback target."""

    def __init__(self, target: tuple[str, int], *, refuse: int | None = None) -> None:
        self.target = target
        self.refuse = refuse
        self.requests: list[str] = []
        super().__init__("127.0.0.1")

    def serve(self, conn: socket.socket) -> None:
        head = _read_head(conn)
        self.requests.append(head.split(b"\r\n", 1)[0].decode())
        if self.refuse:
            conn.sendall(f"HTTP/1.1 {self.refuse} Refused\r\nContent-Length: 0\r\n\r\n".encode())
            return
        upstream = socket.create_connection(self.target, timeout=5)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            for _ in range(2000):
                ready, _, _ = select.select([conn, upstream], [], [], 5)
                if not ready:
                    return
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    (upstream if src is conn else conn).sendall(data)
        finally:
            upstream.close()


# --- instance metadata -----------------------------------------------------------------------

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"


def imds_data(
    instance: str = "i-0123456789abcdef0",
    *,
    region: str = REGION,
    role: str | None = "ssm-core",
    vpc_cidr: str = "127.0.0.0/8",
) -> dict[str, str]:
    mac = "0e:00:00:00:00:01"
    data = {
        "/latest/meta-data/instance-id": instance,
        "/latest/meta-data/placement/region": region,
        "/latest/dynamic/instance-identity/document": json.dumps(
            {"instanceId": instance, "region": region, "accountId": "111122223333"}
        ),
        "/latest/meta-data/mac": mac,
        f"/latest/meta-data/network/interfaces/macs/{mac}/vpc-id": "vpc-0a1",
        f"/latest/meta-data/network/interfaces/macs/{mac}/subnet-id": "subnet-0b2",
        f"/latest/meta-data/network/interfaces/macs/{mac}/vpc-ipv4-cidr-blocks": vpc_cidr,
    }
    if role:
        data["/latest/meta-data/iam/security-credentials/"] = role
        data[f"/latest/meta-data/iam/security-credentials/{role}"] = json.dumps(
            {
                "Code": "Success",
                "AccessKeyId": "ASIAEXAMPLEEXAMPLE12",
                "SecretAccessKey": SECRET,
                "Token": "TOKENVALUE" * 5,
                "Expiration": "2030-01-01T00:00:00Z",
            }
        )
    return data


class FakeImds:
    """IMDS on loopback: IMDSv2 tokens, optional IMDSv1, a fixed table of paths."""

    def __init__(
        self, data: dict[str, str], *, v1: bool = False, v2: bool = True, token: str = "tok"
    ) -> None:
        self.data = data
        self.seen: list[tuple[str, str, bool]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: str = "") -> None:
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_PUT(self) -> None:
                outer.seen.append(("PUT", self.path, False))
                if self.path == "/latest/api/token" and v2:
                    self._send(200, token)
                else:
                    self._send(403 if not v2 else 404)

            def do_GET(self) -> None:
                has_token = self.headers.get("X-aws-ec2-metadata-token") == token
                outer.seen.append(("GET", self.path, has_token))
                if not has_token and not v1:
                    self._send(401)
                elif self.path in outer.data:
                    self._send(200, outer.data[self.path])
                else:
                    self._send(404)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 1
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(2)


@contextlib.contextmanager
def serving(*servers: Any) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.close()


def hosts(
    address: str, region: str = REGION, services: tuple[str, ...] = SERVICE_NAMES
) -> dict[str, list[str]]:
    """Every service name of the Region → one address (for a mapping resolver)."""
    return {f"{s}.{region}.amazonaws.com": [address] for s in services}


def lab_config(
    port: int,
    pki: Pki | None,
    mapping: dict[str, list[str]] | None = None,
    **overrides: Any,
) -> ProbeConfig:
    """A probe configuration that only ever talks to loopback fakes."""
    from ssmreach.probe import node

    values: dict[str, Any] = {
        "region": REGION,
        "port": port,
        "resolver": node.mapping_resolver(mapping or hosts("127.0.0.1"), None),
        "ca_bundle": str(pki.ca) if pki else None,
        "expected_issuers": ("ssmreach test CA",),
        "imds_url": None,
        "agent": False,
        "resolv_conf": None,
        "vpc_cidrs": ("127.0.0.0/8",),
        "timeout": 10.0,
        "step_timeout": 2.0,
        "env": {},
        "agent_proxy_files": (),
        "registration_files": (),
    }
    values.update(overrides)
    return node.ProbeConfig(**values)


def older_pythons() -> list[str]:
    """Python 3.8 / 3.9 interpreters on this machine (PATH or pyenv), if any."""
    import glob
    import os
    import shutil

    found = []
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for version in ("3.8", "3.9"):
        candidates = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"))
        on_path = shutil.which(f"python{version}")
        if on_path and "/shims/" not in on_path:
            candidates.append(on_path)
        exe = candidates[0] if candidates else None
        if exe:
            found.append(exe)
    return found
