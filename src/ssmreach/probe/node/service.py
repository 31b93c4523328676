"""One service name: DNS through the node's resolver, TCP 443 (or CONNECT through the
proxy), TLS with certificate validation, one unsigned HTTPS request, and its verdict."""

from __future__ import annotations

import contextlib
import email.utils
import re
import socket
import ssl
import urllib.parse
from typing import TYPE_CHECKING, Any

from .constants import HEAD_LIMIT, PROBE_VERSION
from .deadline import Deadline, DeadlineExceeded, in_thread
from .dns import _describe_address, _vpc_networks, address_kind
from .helpers import error_text, hop, reason, redact_url
from .proxy import proxy_for

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Mapping, Sequence

    from .config import ProbeConfig
    from .constants import Network


def _cert_name(parts: Any, key: str) -> str | None:
    for rdn in parts or ():
        for name, value in rdn:
            if name == key:
                return str(value)
    return None


def _read_head(sock: socket.socket, deadline: Deadline, timeout: float) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < HEAD_LIMIT:
        sock.settimeout(deadline.step(timeout))
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _parse_head(data: bytes) -> tuple[int, dict[str, str]]:
    text = data.split(b"\r\n\r\n", 1)[0].decode("iso-8859-1")
    lines = text.split("\r\n")
    match = re.match(r"HTTP/\d(?:\.\d)?\s+(\d{3})", lines[0] if lines else "")
    if not match:
        raise ValueError("not an HTTP answer: {!r}".format(lines[0][:60] if lines else ""))
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(match.group(1)), headers


def service_document(service: str, host: str, override: bool) -> dict[str, Any]:
    """A service's result before anything is known of it (UNKNOWN, no hops yet)."""
    return {
        "service": service,
        "host": host,
        "verdict": "UNKNOWN",
        "via": None,
        "override": override,
        "addresses": [],
        "connected": None,
        "proxy": None,
        "tls": None,
        "http": None,
        "hops": [],
        "reasons": [],
    }


class ServiceProbe:
    """DNS, TCP, TLS and one unsigned HTTPS request for one service name."""

    def __init__(
        self,
        service: str,
        host: str,
        config: ProbeConfig,
        deadline: Deadline,
        vpc_nets: Sequence[Network],
        proxy: Mapping[str, Any],
        subnet: str | None,
        override: bool,
    ) -> None:
        self.service = service
        self.host = host
        self.config = config
        self.deadline = deadline
        self.vpc_nets = vpc_nets
        self.proxy = proxy
        self.subnet = subnet
        self.hops: list[dict[str, Any]] = []
        self.reasons: list[dict[str, Any]] = []
        self.out: dict[str, Any] = service_document(service, host, override)
        self.out["hops"], self.out["reasons"] = self.hops, self.reasons

    def fail(self, step: str, resource: str | None, code: str, detail: str) -> dict[str, Any]:
        if self.deadline.left() <= 0.05:
            # a step cut short by the global deadline proves nothing about the network
            raise DeadlineExceeded(detail)
        self.hops.append(hop(step, resource, "fail", detail))
        self.reasons.append(reason(code, "error", resource or self.host, detail))
        self.out["verdict"] = "BLOCKED"
        return self.out

    def run(self) -> dict[str, Any]:
        try:
            return self._run()
        except DeadlineExceeded:
            self.hops.append(hop("deadline", None, "unknown", "the probe's deadline passed"))
            self.out["verdict"] = "UNKNOWN" if self.out["verdict"] != "BLOCKED" else "BLOCKED"
            if self.out["verdict"] == "UNKNOWN":
                self.reasons.append(
                    reason(
                        "EGRESS_UNMODELED",
                        "warning",
                        self.host,
                        f"{self.host} was not fully probed before the deadline; run again with a longer --timeout",
                    )
                )
            return self.out

    def _run(self) -> dict[str, Any]:
        config, host, step = self.config, self.host, self.config.step_timeout
        # 1. DNS, through the node's resolver
        try:
            addresses = in_thread(
                lambda: self.config.resolver(host, config.port), self.deadline.step(step)
            )
        except DeadlineExceeded:
            raise
        except (OSError, UnicodeError, ValueError) as exc:
            return self.fail("dns", None, "PROBE_DNS_FAILED", f"{host} {error_text(exc)}")
        if not addresses:
            return self.fail("dns", None, "PROBE_DNS_FAILED", f"{host} has no address")
        described = []
        for address in addresses:
            entry: dict[str, Any] = {
                "address": address,
                "kind": address_kind(
                    address, self.vpc_nets, _vpc_networks(self.config.public_cidrs)
                ),
            }
            owner = self.config.known_addresses.get(address)
            if owner:
                entry.update({k: v for k, v in owner.items() if v})
            self.out["addresses"].append(entry)
            described.append(_describe_address(entry))
        first_owner = self.out["addresses"][0].get("endpoint")
        self.hops.append(
            hop("dns", first_owner, "pass", "{} resolves to {}".format(host, ", ".join(described)))
        )
        # 2. TCP 443, directly or to the proxy
        proxy_url = proxy_for(host, self.proxy)
        sock = self._connect(proxy_url, addresses)
        if sock is None:
            return self.out
        tls = None
        try:
            # 3. TLS with certificate validation
            tls = self._handshake(sock)
            # 4. an unsigned HTTPS request: any status from the service proves AWS answers
            if tls is None or not self._request(tls):
                return self.out
        finally:
            for opened in (tls, sock):
                if opened is not None:
                    with contextlib.suppress(OSError):
                        opened.close()
        self._decide(proxy_url)
        return self.out

    def _connect(self, proxy_url: str | None, addresses: Sequence[str]) -> socket.socket | None:
        if proxy_url:
            return self._connect_proxy(proxy_url)
        return self._connect_direct(addresses)

    def _connect_proxy(self, proxy_url: str) -> socket.socket | None:
        step, port = self.config.step_timeout, self.config.port
        parsed = urllib.parse.urlsplit(proxy_url if "//" in proxy_url else "http://" + proxy_url)
        self.out["proxy"] = redact_url(proxy_url)
        target = (parsed.hostname or "", parsed.port or 80)
        self.hops.append(
            hop(
                "proxy",
                redact_url(proxy_url),
                "pass",
                f"HTTPS to {self.host} goes through the proxy {redact_url(proxy_url)} (NO_PROXY does not match)",
            )
        )
        try:
            sock = socket.create_connection(target, timeout=self.deadline.step(step))
            connect = f"CONNECT {self.host}:{port} HTTP/1.1\r\nHost: {self.host}:{port}\r\n\r\n"
            sock.sendall(connect.encode("ascii"))
            status, _ = _parse_head(_read_head(sock, self.deadline, step))
        except DeadlineExceeded:
            raise
        except (OSError, ValueError) as exc:
            self.fail(
                "tcp",
                redact_url(proxy_url),
                "PROBE_TCP_FAILED",
                f"proxy {redact_url(proxy_url)}: {error_text(exc)}",
            )
            return None
        if status != 200:
            sock.close()
            self.fail(
                "tcp",
                redact_url(proxy_url),
                "PROBE_TCP_FAILED",
                f"proxy {redact_url(proxy_url)} answered HTTP {status} to CONNECT {self.host}:{port}",
            )
            return None
        self.hops.append(
            hop("tcp", redact_url(proxy_url), "pass", f"CONNECT {self.host}:{port} accepted")
        )
        return sock

    def _connect_direct(self, addresses: Sequence[str]) -> socket.socket | None:
        step, port = self.config.step_timeout, self.config.port
        failures: list[str] = []
        for address in list(addresses)[:3]:
            try:
                sock = socket.create_connection((address, port), timeout=self.deadline.step(step))
            except DeadlineExceeded:
                raise
            except OSError as exc:
                failures.append(f"{address}: {error_text(exc)}")
                continue
            self.out["connected"] = address
            self.hops.append(hop("tcp", address, "pass", f"TCP {port} to {address} connected"))
            return sock
        self.fail(
            "tcp",
            addresses[0],
            "PROBE_TCP_FAILED",
            "TCP {} to {} failed ({})".format(port, self.host, "; ".join(failures)),
        )
        return None

    def _handshake(self, sock: socket.socket) -> ssl.SSLSocket | None:
        context = ssl.create_default_context(cafile=self.config.ca_bundle)
        info: dict[str, Any] = {"verified": False}
        self.out["tls"] = info
        resource = self.out["connected"] or self.out["proxy"]
        try:
            sock.settimeout(self.deadline.step(self.config.step_timeout))
            tls = context.wrap_socket(sock, server_hostname=self.host)
        except DeadlineExceeded:
            raise
        except ssl.SSLCertVerificationError as exc:
            info["error"] = error_text(exc)
            info["hostname_match"] = "hostname" not in str(exc.verify_message or exc).lower()
            self.fail(
                "tls",
                resource,
                "PROBE_TLS_FAILED",
                "TLS with {}: {} (a TLS-inspecting proxy, or missing root certificates)".format(
                    self.host, info["error"]
                ),
            )
            return None
        except (OSError, ssl.SSLError, ValueError) as exc:
            info["error"] = error_text(exc)
            self.fail(
                "tls",
                resource,
                "PROBE_TLS_FAILED",
                "TLS handshake with {} failed: {}".format(self.host, info["error"]),
            )
            return None
        self._certificate(tls, info, resource)
        return tls

    def _certificate(self, tls: ssl.SSLSocket, info: dict[str, Any], resource: str | None) -> None:
        """What the validated certificate says, and whether an AWS authority issued it."""
        cert = tls.getpeercert() or {}
        issuer_org = _cert_name(cert.get("issuer"), "organizationName")
        issuer_cn = _cert_name(cert.get("issuer"), "commonName")
        not_after = cert.get("notAfter")
        info.update(
            {
                "verified": True,
                "hostname_match": True,
                "version": tls.version(),
                "subject": _cert_name(cert.get("subject"), "commonName"),
                "issuer": ", ".join(x for x in (issuer_cn, issuer_org) if x) or None,
                "not_after": not_after,
            }
        )
        if isinstance(not_after, str):
            try:
                left = ssl.cert_time_to_seconds(not_after) - self.config.clock()
                info["days_left"] = int(left // 86400)
            except ValueError:
                pass
        expected = any(
            e.lower() in (issuer_org or "").lower() for e in self.config.expected_issuers
        )
        info["expected_issuer"] = expected
        detail = "TLS {} ok: certificate for {} issued by {}".format(
            info["version"], info["subject"], info["issuer"]
        )
        if "days_left" in info:
            detail += ", expires in {} days".format(info["days_left"])
        self.hops.append(hop("tls", resource, "pass", detail))
        if not expected:
            self.reasons.append(
                reason(
                    "PROBE_TLS_FAILED",
                    "warning",
                    self.host,
                    "the certificate of {} is issued by {}, not an AWS certificate authority: "
                    "a TLS-inspecting proxy or appliance sits in the path".format(
                        self.host, info["issuer"]
                    ),
                )
            )

    def _request(self, tls: ssl.SSLSocket) -> bool:
        request = (
            f"GET / HTTP/1.1\r\nHost: {self.host}\r\nUser-Agent: ssmreach-probe/{PROBE_VERSION}\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        )
        resource = self.out["connected"] or self.out["proxy"]
        try:
            tls.settimeout(self.deadline.step(self.config.step_timeout))
            tls.sendall(request.encode("ascii"))
            head = _read_head(tls, self.deadline, self.config.step_timeout)
            received = self.config.clock()
            status, headers = _parse_head(head)
        except DeadlineExceeded:
            raise
        except (OSError, ValueError) as exc:
            self.fail(
                "https",
                resource,
                "PROBE_HTTP_FAILED",
                f"no HTTP answer from {self.host} after TLS: {error_text(exc)}",
            )
            return False
        http: dict[str, Any] = {
            "status": status,
            "server": headers.get("server"),
            "date": headers.get("date"),
            "request_id": headers.get("x-amzn-requestid") or headers.get("x-amz-request-id"),
        }
        if http["date"]:
            try:
                served = email.utils.parsedate_to_datetime(http["date"]).timestamp()
                http["skew_seconds"] = round(received - served, 1)
            except (TypeError, ValueError):
                pass
        self.out["http"] = http
        detail = "HTTP {} from {}".format(status, http["server"] or "the service")
        if http["request_id"]:
            detail += " (request id {})".format(http["request_id"])
        self.hops.append(hop("https", resource, "pass", detail))
        return True

    def _decide(self, proxy_url: str | None) -> None:
        if proxy_url:
            self.out["verdict"] = "UNKNOWN"
            self.reasons.append(
                reason(
                    "EGRESS_UNMODELED",
                    "warning",
                    redact_url(proxy_url),
                    f"{self.host} works through the proxy {redact_url(proxy_url)}; where the proxy sends it is not visible from the node",
                )
            )
            return
        connected = self.out["connected"]
        entry = next(a for a in self.out["addresses"] if a["address"] == connected)
        kind = entry["kind"]
        if kind in ("vpc", "private"):
            self._decide_private(entry, connected)
        elif kind == "public" and self.service == "s3":
            self._decide_public_s3(connected)
        elif kind == "public":
            self.out["verdict"] = "INTERNET"
            self.reasons.append(
                reason(
                    "INTERNET_PATH",
                    "info",
                    connected,
                    f"{self.host} resolves to the public address {connected}: the traffic leaves the VPC",
                )
            )
        else:
            self.out["verdict"] = "UNKNOWN"
            self.reasons.append(
                reason(
                    "EGRESS_UNMODELED",
                    "warning",
                    connected,
                    f"{self.host} resolves to the {kind} address {connected}: something on the node relays the traffic",
                )
            )

    def _decide_private(self, entry: Mapping[str, Any], connected: str) -> None:
        self.out["verdict"] = "PRIVATE"
        self.out["via"] = entry.get("endpoint")
        if self.config.known_addresses and not entry.get("endpoint"):
            self.hops.append(
                hop(
                    "owner",
                    connected,
                    "unknown",
                    f"{connected} is private but no endpoint in the snapshot owns it (a hub endpoint in another account, or an appliance)",
                )
            )
        elif entry.get("service") and entry["service"] != self.service:
            self.reasons.append(
                reason(
                    "PROBE_DNS_FAILED",
                    "warning",
                    entry.get("endpoint"),
                    "{} resolves to {}, an address of the {} endpoint {}".format(
                        self.host, connected, entry["service"], entry.get("endpoint")
                    ),
                )
            )

    def _decide_public_s3(self, connected: str) -> None:
        """S3 at a public address: private when the subnet routes it to a gateway endpoint."""
        gateway = self.config.s3_gateways.get(self.subnet or "")
        if gateway:
            self.out["verdict"] = "PRIVATE"
            self.out["via"] = gateway
            self.hops.append(
                hop(
                    "route",
                    gateway,
                    "pass",
                    f"the subnet's route table sends the S3 prefix list to the gateway endpoint {gateway}",
                )
            )
        else:
            self.out["verdict"] = "UNKNOWN"
            self.reasons.append(
                reason(
                    "EGRESS_UNMODELED",
                    "warning",
                    connected,
                    f"{self.host} answers from the public address {connected}: that is private through an S3 gateway endpoint and internet otherwise; "
                    "the node's route table decides (probe with --snapshot, or run `ssmreach check`)",
                )
            )
