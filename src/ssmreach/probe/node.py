#!/usr/bin/env python3
"""ssmreach probe: can this node reach AWS Systems Manager, and does it stay private?

Runs on a managed node (EC2 instance or hybrid machine) and looks at what the
node itself sees, for every service its SSM features need: the resolvers in use,
the DNS answer for the service name and whether each address is private or
public, TCP 443, the TLS handshake with certificate validation, an unsigned
HTTPS request that proves AWS answers, the instance metadata service (IMDSv2
and IMDSv1 fallback, never printing credentials), proxy settings, the SSM
agent's state, version, endpoint overrides and recent log errors, and the clock
skew against AWS.

Verdicts and reason codes are those of `ssmreach check`: PRIVATE, INTERNET,
BLOCKED, UNKNOWN. Output is text for a person or JSON (format
"ssmreach.probe/1"). Every network step has a timeout, and the whole probe
stops at a global deadline (--timeout).

This file is self-contained: standard library only, Python 3.8 or newer, so
that `ssmreach probe --export-script FILE` can copy it to a node where ssmreach
is not installed:

    python3 FILE --region eu-west-1 --format json --timeout 20

Exit codes: 0 nothing BLOCKED, 1 at least one service or node finding BLOCKED,
2 bad usage.
"""

# Python 3.8 compatibility: keep socket.timeout and datetime.timezone.utc.
# ruff: noqa: UP017, UP041
from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import email.utils
import gzip
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Callable, Mapping, Sequence

    Resolver = Callable[[str, int], "list[str]"]
    Runner = Callable[["Sequence[str]", float], "tuple[int | None, str]"]
    Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PROBE_FORMAT = "ssmreach.probe/1"
PROBE_VERSION = "1.0"

SERVICES = ("ssm", "ssmmessages", "ec2messages", "s3", "kms", "logs", "ec2", "sts")
FEATURE_SERVICES = {
    "core": ("ssm",),
    "run-command": ("ssm", "ssmmessages", "ec2messages"),
    "session-manager": ("ssm", "ssmmessages", "kms", "logs", "s3"),
    "patch-manager": ("ssm", "ssmmessages", "ec2messages", "s3"),
    "agent-update": ("ssm", "ssmmessages", "ec2messages", "s3"),
    "vss-snapshot": ("ssm", "ssmmessages", "ec2messages", "ec2"),
    "cloudwatch-logs": ("logs",),
}
FEATURES = tuple(FEATURE_SERVICES)
DEFAULT_FEATURES = ("core", "run-command", "session-manager", "patch-manager", "agent-update")

# The agent's service-domain map (by Region prefix); anything else is amazonaws.com.
DOMAINS = (
    ("cn-", "amazonaws.com.cn"),
    ("us-iso-", "c2s.ic.gov"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-isof-", "csp.hci.ic.gov"),
    ("eu-isoe-", "cloud.adc-e.uk"),
    ("eusc-de-", "amazonaws.eu"),
)
IMDS_URL = "http://169.254.169.254"
IMDS_ADDRESS = "169.254.169.254"
AMAZON_DNS = ("169.254.169.253", "fd00:ec2::253")
# Organisations that issue the certificates of AWS service endpoints.
AWS_ISSUERS = ("Amazon", "DigiCert Inc", "Starfield Technologies, Inc.")
CLOCK_SKEW_LIMIT = 300.0
AGENT_CONFIG_PATHS = (
    "/etc/amazon/ssm/amazon-ssm-agent.json",
    "C:\\ProgramData\\Amazon\\SSM\\amazon-ssm-agent.json",
)
AGENT_LOG_PATHS = (
    "/var/log/amazon/ssm/amazon-ssm-agent.log",
    "/var/log/amazon/ssm/errors.log",
    "C:\\ProgramData\\Amazon\\SSM\\Logs\\amazon-ssm-agent.log",
    "C:\\ProgramData\\Amazon\\SSM\\Logs\\errors.log",
)
AGENT_BINARIES = (
    "/usr/bin/amazon-ssm-agent",
    "/snap/amazon-ssm-agent/current/amazon-ssm-agent",
    "C:\\Program Files\\Amazon\\SSM\\amazon-ssm-agent.exe",
)
# systemd drop-ins where the agent's proxy is usually set (Environment="https_proxy=...").
AGENT_PROXY_FILES = (
    "/etc/systemd/system/amazon-ssm-agent.service.d/override.conf",
    "/etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d/override.conf",
)
REGISTRATION_PATHS = ("/var/lib/amazon/ssm/registration",)
RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf"
OVERRIDE_KEYS = (
    ("Ssm", "ssm"),
    ("Mgs", "ssmmessages"),
    ("Mds", "ec2messages"),
    ("S3", "s3"),
    ("Kms", "kms"),
)
LOG_TAIL_BYTES = 256 * 1024
HEAD_LIMIT = 16384

# Agent log patterns → reason codes (checked in order; the first match names the line).
LOG_PATTERNS = (
    # Session Manager's KMS errors (the agent's kmsservice): the key policy or the role.
    (
        re.compile(r"Error when decrypting data key|Fetching data key failed", re.I),
        "KMS_KEY_POLICY_DENIED",
    ),
    (re.compile(r"AccessDenied|not authorized to perform", re.I), "IAM_ACTION_DENIED"),
    (
        re.compile(r"NoCredentialProviders|no valid credentials|EC2RoleRequestError", re.I),
        "NO_INSTANCE_PROFILE",
    ),
    (re.compile(r"no such host|server misbehaving", re.I), "PROBE_DNS_FAILED"),
    (re.compile(r"x509:|certificate signed by unknown authority|tls: ", re.I), "PROBE_TLS_FAILED"),
    (
        re.compile(r"i/o timeout|connection timed out|connection refused|network is unreachable"),
        "PROBE_TCP_FAILED",
    ),
    (
        re.compile(r"RequestExpired|Signature expired|RequestTimeTooSkewed|clock skew", re.I),
        "CLOCK_SKEW",
    ),
)

# Fix sentences for the codes this file raises (the catalogue in ssmreach has the same codes).
FIXES = {
    "PROBE_DNS_FAILED": "Make the node's resolvers answer the service name: forward amazonaws.com to the VPC resolver (or a Resolver inbound endpoint), or fix the private hosted zone.",
    "PROBE_TCP_FAILED": "Allow TCP 443 from the node to the address: security groups, network ACLs, routes, and the host firewall.",
    "PROBE_TLS_FAILED": "Exempt the AWS service names from TLS inspection, and make sure the node trusts Amazon Root CA 1 and the Starfield roots.",
    "PROBE_HTTP_FAILED": "Find the appliance or proxy between the node and the service and let HTTPS to the AWS service names through.",
    "PROBE_IMDS_FAILED": "Check the metadata options (HttpEndpoint; HttpPutResponseHopLimit 2 for containers), host firewall rules for 169.254.169.254, and NO_PROXY.",
    "PROXY_IMDS_NOT_EXCLUDED": "Add 169.254.169.254 to NO_PROXY / no_proxy wherever the proxy is set for the agent.",
    "AGENT_NOT_RUNNING": "Install or start the agent: systemctl enable --now amazon-ssm-agent (snap start amazon-ssm-agent; Start-Service AmazonSSMAgent on Windows).",
    "CLOCK_SKEW": "Synchronise the clock (chrony with the Amazon Time Sync Service at 169.254.169.123).",
    "INTERNET_PATH": "Add the VPC endpoint for the service to keep the traffic private.",
    "EGRESS_UNMODELED": "Confirm where the traffic leaves the network, or add VPC endpoints in the node's VPC.",
    "IAM_ACTION_DENIED": "Attach AmazonSSMManagedInstanceCore (or a policy allowing the action) to the instance role.",
    "KMS_KEY_POLICY_DENIED": "Let the instance role decrypt with the Session Manager key: a key policy statement for the role (or one that lets IAM decide) and kms:Decrypt in the role.",
    "NO_INSTANCE_PROFILE": "Attach an instance profile whose role has AmazonSSMManagedInstanceCore, or turn on Default Host Management Configuration.",
}

_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
_VERDICT_RANK = {"PRIVATE": 0, "INTERNET": 1, "UNKNOWN": 2, "BLOCKED": 3}


class ProbeUsageError(Exception):
    """Options that cannot work (no Region, unknown feature): exit 2."""


class DeadlineExceeded(Exception):
    """The global deadline passed before a step could start."""


# --- small helpers -----------------------------------------------------------------------


class Deadline:
    """The whole probe's time budget; every step's timeout is capped by what is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def step(self, timeout: float) -> float:
        left = self.left()
        if left <= 0.01:
            raise DeadlineExceeded("the probe's deadline passed")
        return max(0.01, min(timeout, left))


def reason(code: str, severity: str, resource: str | None, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "severity": severity,
        "resource": resource,
        "message": message,
        "fix": FIXES.get(code),
    }


def hop(step: str, resource: str | None, result: str, detail: str) -> dict[str, Any]:
    return {"step": step, "resource": resource, "result": result, "detail": detail}


def worst_verdict(verdicts: Sequence[str]) -> str:
    return max(verdicts, key=lambda v: _VERDICT_RANK.get(v, 2), default="PRIVATE")


def service_domain(region: str) -> str:
    for prefix, domain in DOMAINS:
        if region.startswith(prefix):
            return domain
    return "amazonaws.com"


def service_host(service: str, region: str, domain: str | None = None) -> str:
    return f"{service}.{region}.{domain or service_domain(region)}"


def services_for(features: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    wanted: list[str] = []
    for feature in features:
        if feature == "all":
            wanted.extend(SERVICES)
            continue
        if feature not in FEATURE_SERVICES:
            raise ProbeUsageError(
                "unknown feature {!r}; choose from {}, all".format(feature, ", ".join(FEATURES))
            )
        wanted.extend(FEATURE_SERVICES[feature])
    for service in extra:
        if service not in SERVICES:
            raise ProbeUsageError(
                "unknown service {!r}; choose from {}".format(service, ", ".join(SERVICES))
            )
        wanted.append(service)
    return [s for s in SERVICES if s in wanted]


def redact_url(url: str) -> str:
    """A proxy URL without its user and password."""
    return re.sub(r"//[^@/]*@", "//***@", url)


def redact_line(line: str) -> str:
    line = re.sub(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b", "***", line)
    line = re.sub(r"(?i)(token|secret|password)([\"':= ]+)[^\s\"',]+", r"\1\2***", line)
    return line[:240]


def read_text(path: str, limit: int = 1024 * 1024) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def tail_text(path: str, limit: int = LOG_TAIL_BYTES) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return None


def run_command(argv: Sequence[str], timeout: float) -> tuple[int | None, str]:
    """Run a local command with a timeout: (exit code, stdout+stderr); None when it cannot run."""
    try:
        done = subprocess.run(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None, ""
    return done.returncode, done.stdout.decode("utf-8", "replace").strip()


def system_resolver(host: str, port: int) -> list[str]:
    """The node's own answer for a name, in the order a client would try it."""
    out: list[str] = []
    for info in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        address = str(info[4][0])
        if address not in out:
            out.append(address)
    return out


def mapping_resolver(mapping: Mapping[str, Sequence[str]], fallback: Resolver | None) -> Resolver:
    """A resolver from `host=ip,ip` pairs (`*` for any other name; no address: NXDOMAIN)."""

    def resolve(host: str, port: int) -> list[str]:
        addresses = mapping.get(host.lower())
        if addresses is None:
            addresses = mapping.get("*")
        if addresses is None:
            if fallback is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return fallback(host, port)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(addresses)

    return resolve


def parse_resolve_options(values: Sequence[str]) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise ProbeUsageError(f"--resolve takes HOST=IP[,IP...] (got {value!r})")
        mapping[name.strip().lower()] = [a.strip() for a in rest.split(",") if a.strip()]
    return mapping


def in_thread(func: Callable[[], Any], timeout: float) -> Any:
    """Run a call that has no timeout of its own (getaddrinfo) in a daemon thread."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise socket.timeout(f"no answer within {timeout:.1f} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def error_text(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out" + (f": {exc}" if str(exc) and str(exc) != "timed out" else "")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate did not validate: {exc.verify_message or exc.reason}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"does not resolve ({exc.strerror or exc})"
    text = str(exc) or exc.__class__.__name__
    return text


# --- configuration -----------------------------------------------------------------------


@dataclass
class ProbeConfig:
    """Everything the probe touches; every path, host, port and clock can be replaced."""

    region: str | None = None
    features: Sequence[str] = DEFAULT_FEATURES
    services: Sequence[str] = ()
    timeout: float = 20.0
    step_timeout: float = 5.0
    port: int = 443
    domain: str | None = None
    resolver: Resolver = system_resolver
    ca_bundle: str | None = None
    expected_issuers: Sequence[str] = AWS_ISSUERS
    imds_url: str | None = IMDS_URL
    resolv_conf: str | None = "/etc/resolv.conf"
    resolved_upstream: str | None = RESOLVED_UPSTREAM
    agent: bool = True
    agent_configs: Sequence[str] = AGENT_CONFIG_PATHS
    agent_logs: Sequence[str] = AGENT_LOG_PATHS
    agent_binaries: Sequence[str] = AGENT_BINARIES
    agent_proxy_files: Sequence[str] = AGENT_PROXY_FILES
    registration_files: Sequence[str] = REGISTRATION_PATHS
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    run: Runner = run_command
    known_addresses: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    s3_gateways: Mapping[str, str] = field(default_factory=dict)
    vpc_cidrs: Sequence[str] = ()
    public_cidrs: Sequence[str] = ()  # labs and tests: treat these addresses as public
    instance_id: str | None = None
    platform: str = sys.platform
    clock: Callable[[], float] = time.time


# --- proxy -------------------------------------------------------------------------------


def _env(env: Mapping[str, str], name: str) -> str:
    return env.get(name.lower()) or env.get(name.upper()) or ""


def no_proxy_matches(host: str, no_proxy: str) -> bool:
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return True
            continue
        except ValueError:
            pass
        entry = entry.lstrip("*").lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


def parse_systemd_environment(text: str) -> dict[str, str]:
    """`Environment="a=b" "c=d"` lines of a systemd unit drop-in."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("Environment="):
            continue
        body = line[len("Environment=") :]
        for item in re.findall(r'"([^"]*)"|(\S+)', body):
            pair = item[0] or item[1]
            name, sep, value = pair.partition("=")
            if sep:
                out[name] = value
    return out


def proxy_facts(config: ProbeConfig) -> dict[str, Any]:
    agent_env: dict[str, str] = {}
    sources: list[str] = []
    for path in config.agent_proxy_files:
        text = read_text(path)
        if text is None:
            continue
        found = {
            k: v
            for k, v in parse_systemd_environment(text).items()
            if k.lower() in ("https_proxy", "http_proxy", "no_proxy")
        }
        if found:
            agent_env.update(found)
            sources.append(path)
    env = config.env
    effective = dict((k, v) for k, v in env.items() if k.lower().endswith("_proxy"))
    effective.update(agent_env)
    https_proxy = _env(effective, "https_proxy")
    http_proxy = _env(effective, "http_proxy")
    no_proxy = _env(effective, "no_proxy")
    any_proxy = bool(https_proxy or http_proxy)
    return {
        "https_proxy": redact_url(https_proxy) or None,
        "http_proxy": redact_url(http_proxy) or None,
        "no_proxy": no_proxy or None,
        "agent_sources": sources,
        "imds_excluded": (not any_proxy) or no_proxy_matches(IMDS_ADDRESS, no_proxy),
        "_https_proxy": https_proxy,  # internal, removed before output
    }


def proxy_for(host: str, proxy: Mapping[str, Any]) -> str | None:
    url = proxy.get("_https_proxy") or ""
    if not url or no_proxy_matches(host, proxy.get("no_proxy") or ""):
        return None
    return str(url)


# --- node facts ----------------------------------------------------------------------------


def parse_resolv_conf(text: str) -> dict[str, Any]:
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        if parts[0] == "nameserver" and len(parts) > 1:
            nameservers.append(parts[1])
        elif parts[0] in ("search", "domain"):
            search.extend(parts[1:])
        elif parts[0] == "options":
            options.extend(parts[1:])
    return {"nameservers": nameservers, "search": search, "options": options}


def resolver_kind(address: str, vpc_cidrs: Sequence[str]) -> str:
    if address in AMAZON_DNS:
        return "amazon"
    for cidr in vpc_cidrs:
        try:
            net = ipaddress.ip_network(cidr, strict=False)
            if ipaddress.ip_address(address) == net.network_address + 2:
                return "amazon"
        except ValueError:
            continue
    if address == "127.0.0.53":
        return "local-stub"
    try:
        if ipaddress.ip_address(address).is_loopback:
            return "local"
    except ValueError:
        return "custom"
    return "custom"


def resolver_facts(config: ProbeConfig, vpc_cidrs: Sequence[str]) -> dict[str, Any]:
    if config.platform.startswith("win"):
        return {"file": None, "nameservers": [], "note": "not read on Windows"}
    if not config.resolv_conf:
        return {"file": None, "nameservers": [], "note": "not read"}
    text = read_text(config.resolv_conf)
    if text is None:
        return {"file": config.resolv_conf, "nameservers": [], "note": "cannot be read"}
    facts = parse_resolv_conf(text)
    facts["file"] = config.resolv_conf
    facts["kinds"] = {ns: resolver_kind(ns, vpc_cidrs) for ns in facts["nameservers"]}
    if "local-stub" in facts["kinds"].values() and config.resolved_upstream:
        upstream = read_text(config.resolved_upstream)
        if upstream is not None:
            servers = parse_resolv_conf(upstream)["nameservers"]
            facts["upstream"] = {ns: resolver_kind(ns, vpc_cidrs) for ns in servers}
    return facts


class Imds:
    """The instance metadata service, IMDSv2 first; never through a proxy."""

    def __init__(self, base: str, deadline: Deadline, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.deadline = deadline
        self.timeout = timeout
        self.token: str | None = None
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _open(self, path: str, method: str = "GET", token: bool = True) -> tuple[int, str]:
        headers = {"User-Agent": "ssmreach-probe"}
        if method == "PUT":
            headers["X-aws-ec2-metadata-token-ttl-seconds"] = "60"
        elif token and self.token:
            headers["X-aws-ec2-metadata-token"] = self.token
        request = urllib.request.Request(self.base + path, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=self.deadline.step(self.timeout)) as answer:
                return int(answer.status), answer.read(65536).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return int(exc.code), ""

    def get(self, path: str) -> str | None:
        try:
            status, body = self._open(path)
        except (OSError, urllib.error.URLError, DeadlineExceeded, ValueError):
            return None
        return body.strip() if status == 200 else None


def imds_facts(config: ProbeConfig, deadline: Deadline) -> dict[str, Any]:
    facts: dict[str, Any] = {"url": config.imds_url, "reachable": False}
    if not config.imds_url:
        facts["note"] = "not queried"
        return facts
    imds = Imds(config.imds_url, deadline, min(config.step_timeout, 2.0))
    try:
        status, body = imds._open("/latest/api/token", method="PUT")
        if status == 200 and body.strip():
            imds.token = body.strip()
            facts["v2_token"] = "ok"
        else:
            facts["v2_token"] = f"HTTP {status}"
        facts["reachable"] = True
    except (OSError, urllib.error.URLError, DeadlineExceeded, ValueError) as exc:
        facts["v2_token"] = "failed: " + error_text(getattr(exc, "reason", exc))
    try:
        status, body = imds._open("/latest/meta-data/instance-id", token=False)
        facts["v1"] = "allowed" if status == 200 else f"refused (HTTP {status})"
        facts["reachable"] = True
        if status == 200 and not imds.token:
            facts["instance"] = body.strip()
    except (OSError, urllib.error.URLError, DeadlineExceeded, ValueError) as exc:
        facts["v1"] = "failed: " + error_text(getattr(exc, "reason", exc))
    if not facts["reachable"] or (not imds.token and facts.get("v1") != "allowed"):
        return facts
    document = imds.get("/latest/dynamic/instance-identity/document")
    if document:
        try:
            data = json.loads(document)
            facts["instance"] = data.get("instanceId")
            facts["region"] = data.get("region")
            facts["account"] = data.get("accountId")
            facts["availability_zone"] = data.get("availabilityZone")
        except ValueError:
            pass
    if not facts.get("instance"):
        facts["instance"] = imds.get("/latest/meta-data/instance-id")
    if not facts.get("region"):
        facts["region"] = imds.get("/latest/meta-data/placement/region")
    mac = imds.get("/latest/meta-data/mac")
    if mac:
        prefix = f"/latest/meta-data/network/interfaces/macs/{mac}/"
        facts["vpc"] = imds.get(prefix + "vpc-id")
        facts["subnet"] = imds.get(prefix + "subnet-id")
        cidrs = imds.get(prefix + "vpc-ipv4-cidr-blocks") or ""
        facts["vpc_cidrs"] = [c.strip() for c in cidrs.split() if c.strip()]
    roles = imds.get("/latest/meta-data/iam/security-credentials/")
    role = (roles or "").splitlines()[0].strip() if roles else ""
    facts["role"] = role or None
    facts["credentials"] = "absent"
    if role:
        body = imds.get("/latest/meta-data/iam/security-credentials/" + role) or ""
        try:
            creds = json.loads(body) if body else {}
        except ValueError:
            creds = {}
        if creds.get("AccessKeyId") and creds.get("Code", "Success") == "Success":
            facts["credentials"] = "present"
            facts["credentials_expire"] = creds.get("Expiration")
        else:
            facts["credentials"] = "unreadable" if body else "absent"
    return facts


def registration_facts(config: ProbeConfig) -> dict[str, Any] | None:
    for path in config.registration_files:
        text = read_text(path)
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("ManagedInstanceID"):
            return {
                "file": path,
                "instance": data.get("ManagedInstanceID"),
                "region": data.get("Region"),
            }
    return None


def endpoint_host(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if "//" not in value:
        value = "https://" + value
    host = urllib.parse.urlsplit(value).hostname
    return host.lower() if host else None


def agent_config_facts(config: ProbeConfig) -> dict[str, Any]:
    for path in config.agent_configs:
        text = read_text(path)
        if text is None:
            continue
        facts: dict[str, Any] = {"file": path, "overrides": {}}
        try:
            data = json.loads(text)
        except ValueError as exc:
            facts["error"] = f"not valid JSON: {exc}"
            return facts
        if not isinstance(data, dict):
            facts["error"] = "not a JSON object"
            return facts
        for key, service in OVERRIDE_KEYS:
            section = data.get(key)
            if isinstance(section, dict) and isinstance(section.get("Endpoint"), str):
                host = endpoint_host(section["Endpoint"])
                if host:
                    facts["overrides"][service] = host
        agent = data.get("Agent")
        if isinstance(agent, dict) and agent.get("Region"):
            facts["region"] = agent.get("Region")
        return facts
    return {"file": None, "overrides": {}}


def agent_state(config: ProbeConfig, timeout: float) -> tuple[str, str | None]:
    if config.platform.startswith("win"):
        code, out = config.run(["sc", "query", "AmazonSSMAgent"], timeout)
        if code is None:
            return "unknown", None
        match = re.search(r"STATE\s*:\s*\d+\s+(\w+)", out)
        if match:
            return (
                "active" if match.group(1).upper() == "RUNNING" else match.group(1).lower()
            ), "sc"
        return ("not-installed" if "1060" in out else "unknown"), "sc"
    states: list[str] = []
    for unit, manager in (
        ("amazon-ssm-agent", "systemd"),
        ("snap.amazon-ssm-agent.amazon-ssm-agent.service", "snap"),
    ):
        code, out = config.run(["systemctl", "is-active", unit], timeout)
        if code is None:
            break
        state = (out.splitlines() or ["unknown"])[-1].strip() or "unknown"
        if state == "active":
            return "active", manager
        states.append(state)
    if states:
        return ("inactive" if "inactive" in states or "failed" in states else states[0]), None
    return "unknown", None


def agent_version(config: ProbeConfig, binary: str | None, timeout: float) -> str | None:
    attempts: list[list[str]] = []
    if binary:
        attempts.append([binary, "--version"])
    if not config.platform.startswith("win"):
        attempts.append(["rpm", "-q", "--qf", "%{VERSION}", "amazon-ssm-agent"])
        attempts.append(["dpkg-query", "-W", "-f=${Version}", "amazon-ssm-agent"])
        attempts.append(["snap", "list", "amazon-ssm-agent"])
    for argv in attempts:
        code, out = config.run(argv, timeout)
        if code == 0:
            match = re.search(r"(\d+\.\d+\.\d+\.\d+)", out)
            if match:
                return match.group(1)
    return None


def agent_log_findings(config: ProbeConfig) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in config.agent_logs:
        text = tail_text(path)
        if text is None:
            continue
        for line in text.splitlines():
            if "ERROR" not in line and "WARN" not in line and "error" not in line:
                continue
            for pattern, code in LOG_PATTERNS:
                if pattern.search(line):
                    found[code] = {"code": code, "file": path, "line": redact_line(line.strip())}
                    break
    return list(found.values())


def agent_facts(config: ProbeConfig, deadline: Deadline) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    binary = None
    for path in config.agent_binaries:
        if os.path.isfile(path):
            binary = path
            break
    if binary is None and config.agent_binaries == AGENT_BINARIES:
        binary = shutil.which("amazon-ssm-agent")
    facts["binary"] = binary
    timeout = min(config.step_timeout, 3.0)
    try:
        facts["state"], facts["manager"] = agent_state(config, deadline.step(timeout))
        facts["version"] = agent_version(config, binary, deadline.step(timeout))
    except DeadlineExceeded:
        facts.setdefault("state", "unknown")
        facts.setdefault("version", None)
    facts["log_findings"] = agent_log_findings(config)
    return facts


# --- one service ---------------------------------------------------------------------------


def address_kind(
    address: str, vpc_nets: Sequence[Network], public_nets: Sequence[Network] = ()
) -> str:
    """vpc (in the VPC's CIDRs), private (RFC 1918, CGNAT, ULA), public, local or link-local."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "invalid"
    if any(ip.version == net.version and ip in net for net in public_nets):
        return "public"
    if any(ip.version == net.version and ip in net for net in vpc_nets):
        return "vpc"
    if ip.is_loopback:
        return "local"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private or ip in ipaddress.ip_network("100.64.0.0/10"):
        return "private"
    return "public"


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
        self.out: dict[str, Any] = {
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
            "hops": self.hops,
            "reasons": self.reasons,
        }

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
        step, port = self.config.step_timeout, self.config.port
        if proxy_url:
            parsed = urllib.parse.urlsplit(
                proxy_url if "//" in proxy_url else "http://" + proxy_url
            )
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
                hop(
                    "tcp",
                    redact_url(proxy_url),
                    "pass",
                    f"CONNECT {self.host}:{port} accepted",
                )
            )
            return sock
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
        return tls

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
        elif kind == "public" and self.service == "s3":
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


def _describe_address(entry: Mapping[str, Any]) -> str:
    text = "{} ({}".format(entry["address"], entry["kind"])
    if entry.get("endpoint"):
        text += ", {} {}".format(entry["endpoint"], entry.get("eni") or "")
        text = text.rstrip()
    return text + ")"


# --- the whole probe -------------------------------------------------------------------------


def _run_threads(jobs: Mapping[str, Callable[[], Any]], deadline: Deadline) -> dict[str, Any]:
    results: dict[str, Any] = {}
    lock = threading.Lock()

    def wrap(name: str, job: Callable[[], Any]) -> Callable[[], None]:
        def target() -> None:
            try:
                value = job()
            except Exception as exc:
                value = exc
            with lock:
                results[name] = value

        return target

    threads = [threading.Thread(target=wrap(n, j), daemon=True) for n, j in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline.left()))
    with lock:
        return dict(results)


def _vpc_networks(cidrs: Sequence[str]) -> list[Network]:
    nets: list[Network] = []
    for cidr in cidrs:
        try:
            nets.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    return nets


def run_probe(config: ProbeConfig) -> dict[str, Any]:
    """Probe the node; return the `ssmreach.probe/1` document as a dict."""
    started = config.clock()
    begun = time.monotonic()
    deadline = Deadline(config.timeout)
    wanted = services_for(config.features, config.services)
    registration = registration_facts(config)
    agent_config = agent_config_facts(config) if config.agent else {"file": None, "overrides": {}}
    proxy = proxy_facts(config)
    imds = imds_facts(config, deadline)
    region = (
        config.region
        or imds.get("region")
        or (registration or {}).get("region")
        or agent_config.get("region")
        or config.env.get("AWS_REGION")
        or config.env.get("AWS_DEFAULT_REGION")
    )
    if not region:
        raise ProbeUsageError(
            "no Region: the metadata service did not say and none is configured; pass --region"
        )
    vpc_cidrs: list[str] = []
    for cidr in list(imds.get("vpc_cidrs") or []) + list(config.vpc_cidrs):
        if cidr not in vpc_cidrs:
            vpc_cidrs.append(cidr)
    vpc_nets = _vpc_networks(vpc_cidrs)
    resolvers = resolver_facts(config, vpc_cidrs)
    overrides: Mapping[str, str] = agent_config.get("overrides") or {}
    jobs: dict[str, Callable[[], Any]] = {}
    hosts: dict[str, tuple[str, bool]] = {}
    for service in wanted:
        host = overrides.get(service) or service_host(service, region, config.domain)
        hosts[service] = (host, service in overrides)
        probe = ServiceProbe(
            service,
            host,
            config,
            deadline,
            vpc_nets,
            proxy,
            imds.get("subnet"),
            service in overrides,
        )
        jobs["service:" + service] = probe.run
    if config.agent:
        jobs["agent"] = lambda: agent_facts(config, deadline)
    done = _run_threads(jobs, deadline)
    services: list[dict[str, Any]] = []
    for service in wanted:
        result = done.get("service:" + service)
        if not isinstance(result, dict):
            host = hosts[service][0]
            note = (
                f"the probe's deadline passed before {host} was done"
                if result is None
                else f"the probe of {host} failed: {result}"
            )
            result = {
                "service": service,
                "host": host,
                "verdict": "UNKNOWN",
                "via": None,
                "override": hosts[service][1],
                "addresses": [],
                "connected": None,
                "proxy": None,
                "tls": None,
                "http": None,
                "hops": [hop("deadline", None, "unknown", note)],
                "reasons": [
                    reason(
                        "EGRESS_UNMODELED",
                        "warning",
                        host,
                        note + "; run again with a longer --timeout",
                    )
                ],
            }
        services.append(result)
    agent = done.get("agent") if config.agent else None
    if config.agent and not isinstance(agent, dict):
        agent = {"state": "unknown", "note": "not finished before the deadline"}
    node_kind = "hybrid" if registration else ("ec2" if imds.get("instance") else "unknown")
    instance = config.instance_id or (registration or {}).get("instance") or imds.get("instance")
    clock = _clock_facts(services)
    reasons = _node_reasons(node_kind, imds, proxy, agent, clock, config)
    proxy.pop("_https_proxy", None)
    return {
        "format": PROBE_FORMAT,
        "probe": {
            "version": PROBE_VERSION,
            "started": datetime.datetime.fromtimestamp(started, datetime.timezone.utc)
            .isoformat()
            .replace("+00:00", "Z"),
            "seconds": round(time.monotonic() - begun, 2),
            "timeout": config.timeout,
            "python": "{}.{}.{}".format(*sys.version_info[:3]),
            "platform": config.platform,
            "features": list(config.features),
        },
        "node": {
            "instance": instance,
            "kind": node_kind,
            "region": region,
            "account": imds.get("account"),
            "vpc": imds.get("vpc"),
            "subnet": imds.get("subnet"),
            "vpc_cidrs": vpc_cidrs,
            "imds": {k: imds.get(k) for k in ("url", "reachable", "v2_token", "v1") if k in imds},
            "role": {
                "name": imds.get("role"),
                "credentials": imds.get("credentials", "unknown"),
                "expires": imds.get("credentials_expire"),
            },
            "registration": registration,
            "resolvers": resolvers,
            "proxy": proxy,
            "agent": dict(agent or {}, config=agent_config) if config.agent else None,
            "clock": clock,
        },
        "verdict": worst_verdict(
            [s["verdict"] for s in services]
            + ["BLOCKED" for r in reasons if r["severity"] == "error"]
        ),
        "reasons": reasons,
        "services": services,
    }


def _clock_facts(services: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    for service in services:
        http = service.get("http") or {}
        if "skew_seconds" in http:
            return {"skew_seconds": http["skew_seconds"], "against": service["host"]}
    return {"skew_seconds": None, "against": None}


def _node_reasons(
    kind: str,
    imds: Mapping[str, Any],
    proxy: Mapping[str, Any],
    agent: Mapping[str, Any] | None,
    clock: Mapping[str, Any],
    config: ProbeConfig,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if kind != "hybrid" and config.imds_url and not imds.get("instance"):
        detail = "token: {}; IMDSv1: {}".format(imds.get("v2_token"), imds.get("v1"))
        out.append(
            reason(
                "PROBE_IMDS_FAILED",
                "error" if not imds.get("reachable") else "warning",
                config.imds_url,
                f"the instance metadata service at {config.imds_url} gave no instance identity ({detail})",
            )
        )
    if not proxy.get("imds_excluded"):
        out.append(
            reason(
                "PROXY_IMDS_NOT_EXCLUDED",
                "warning",
                proxy.get("https_proxy") or proxy.get("http_proxy"),
                "a proxy is set ({}) but NO_PROXY ({}) does not contain 169.254.169.254".format(
                    proxy.get("https_proxy") or proxy.get("http_proxy"),
                    proxy.get("no_proxy") or "empty",
                ),
            )
        )
    if agent is not None:
        state = agent.get("state")
        if state in ("inactive", "failed", "not-installed", "stopped"):
            out.append(
                reason(
                    "AGENT_NOT_RUNNING",
                    "error",
                    "amazon-ssm-agent",
                    f"the SSM agent service is {state}",
                )
            )
        for finding in agent.get("log_findings") or []:
            out.append(
                reason(
                    finding["code"],
                    "warning",
                    finding["file"],
                    "recent agent log line: {}".format(finding["line"]),
                )
            )
    skew = clock.get("skew_seconds")
    if isinstance(skew, (int, float)) and abs(skew) > CLOCK_SKEW_LIMIT:
        out.append(
            reason(
                "CLOCK_SKEW",
                "warning",
                clock.get("against"),
                "the node's clock is {:+.0f} s off the Date of {}".format(skew, clock["against"]),
            )
        )
    return out


# --- text output ------------------------------------------------------------------------------


def render_text(doc: Mapping[str, Any]) -> str:
    node = doc.get("node") or {}
    probe = doc.get("probe") or {}
    lines = [
        "ssmreach probe on {} ({}{}{}), {} s: {}".format(
            node.get("instance") or "an unidentified node",
            node.get("region"),
            ", " + node["vpc"] if node.get("vpc") else "",
            ", " + node["subnet"] if node.get("subnet") else "",
            probe.get("seconds"),
            doc.get("verdict"),
        )
    ]
    imds = node.get("imds") or {}
    role = node.get("role") or {}
    if imds.get("url"):
        lines.append(
            "  IMDS {}: token {}, IMDSv1 {}; role {}, credentials {}".format(
                imds.get("url"),
                imds.get("v2_token"),
                imds.get("v1"),
                role.get("name") or "none",
                role.get("credentials"),
            )
        )
    resolvers = node.get("resolvers") or {}
    kinds = resolvers.get("kinds") or {}
    servers = ", ".join(
        "{} ({})".format(ns, kinds.get(ns, "?")) for ns in resolvers.get("nameservers") or []
    )
    lines.append(
        "  resolvers: {}{}".format(
            servers or resolvers.get("note") or "none",
            "; upstream " + ", ".join(f"{k} ({v})" for k, v in resolvers["upstream"].items())
            if resolvers.get("upstream")
            else "",
        )
    )
    proxy = node.get("proxy") or {}
    lines.append(
        "  proxy: {}".format(
            "HTTPS {}, NO_PROXY {}".format(
                proxy.get("https_proxy"), proxy.get("no_proxy") or "empty"
            )
            if proxy.get("https_proxy") or proxy.get("http_proxy")
            else "none"
        )
    )
    agent = node.get("agent")
    if agent:
        overrides = (agent.get("config") or {}).get("overrides") or {}
        lines.append(
            "  agent: {}{}, version {}; endpoint overrides: {}".format(
                agent.get("state"),
                " ({})".format(agent["manager"]) if agent.get("manager") else "",
                agent.get("version") or "unknown",
                ", ".join(f"{k}={v}" for k, v in overrides.items()) or "none",
            )
        )
    clock = node.get("clock") or {}
    if clock.get("skew_seconds") is not None:
        lines.append(
            "  clock: {:+.1f} s against {}".format(clock["skew_seconds"], clock["against"])
        )
    lines.append("")
    for service in doc.get("services") or []:
        lines.append(
            "  {:<12} {:<8} {}{}".format(
                service["service"],
                service["verdict"],
                service["host"],
                " via " + service["via"] if service.get("via") else "",
            )
        )
        for step in service.get("hops") or []:
            lines.append(
                "      {:<7} {:<7} {}".format(step["step"], step["result"], step["detail"])
            )
    findings = list(doc.get("reasons") or []) + [
        r for s in doc.get("services") or [] for r in s.get("reasons") or []
    ]
    if findings:
        lines.append("")
        lines.append("findings:")
        for item in sorted(findings, key=lambda r: -_SEVERITY_RANK.get(r["severity"], 0)):
            lines.append("  {:<7} {}: {}".format(item["severity"], item["code"], item["message"]))
            if item.get("fix") and item["severity"] != "info":
                lines.append("          fix: {}".format(item["fix"]))
    return "\n".join(lines) + "\n"


def exit_status(doc: Mapping[str, Any]) -> int:
    return 1 if doc.get("verdict") == "BLOCKED" else 0


# --- command line -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssmreach-probe",
        description="Probe, from this node, whether each SSM service is reachable and private "
        "(DNS, TCP 443, TLS, HTTPS, IMDS, proxy, agent). Standard library only.",
    )
    parser.add_argument("--region", help="Region (default: from the metadata service)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="whole-probe deadline in seconds (default 20)"
    )
    parser.add_argument(
        "--step-timeout", type=float, default=5.0, help="timeout of one network step (default 5)"
    )
    parser.add_argument(
        "--features",
        action="append",
        default=[],
        help="comma-separated features ({}, all); default: {}".format(
            ", ".join(FEATURES), ", ".join(DEFAULT_FEATURES)
        ),
    )
    parser.add_argument("--service", action="append", default=[], help="also probe this service")
    parser.add_argument("--instance-id", help="the node's id, when the metadata service has none")
    parser.add_argument("--compress", action="store_true", help="print base64(gzip(JSON))")
    # Test and lab settings: where the probe looks.
    parser.add_argument("--port", type=int, default=443, help=argparse.SUPPRESS)
    parser.add_argument("--domain", help=argparse.SUPPRESS)
    parser.add_argument("--resolve", action="append", default=[], metavar="HOST=IP[,IP]")
    parser.add_argument("--ca-bundle", help="CA certificates to validate against (PEM file)")
    parser.add_argument("--expected-issuer", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--imds-url", default=IMDS_URL, help=argparse.SUPPRESS)
    parser.add_argument("--no-imds", action="store_true", help="do not query the metadata service")
    parser.add_argument("--resolv-conf", default="/etc/resolv.conf", help=argparse.SUPPRESS)
    parser.add_argument("--agent-config", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--agent-log", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--registration-file", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--no-agent", action="store_true", help="skip the agent checks")
    parser.add_argument("--vpc-cidr", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--public-cidr", action="append", default=[], help=argparse.SUPPRESS)
    return parser


def config_from_args(args: argparse.Namespace) -> ProbeConfig:
    features: list[str] = []
    for value in args.features:
        features.extend(f.strip() for f in value.split(",") if f.strip())
    resolver: Resolver = system_resolver
    if args.resolve:
        resolver = mapping_resolver(parse_resolve_options(args.resolve), system_resolver)
    if args.timeout <= 0 or args.step_timeout <= 0:
        raise ProbeUsageError("--timeout and --step-timeout must be positive")
    return ProbeConfig(
        region=args.region,
        features=tuple(features) or DEFAULT_FEATURES,
        services=tuple(args.service),
        timeout=args.timeout,
        step_timeout=args.step_timeout,
        port=args.port,
        domain=args.domain,
        resolver=resolver,
        ca_bundle=args.ca_bundle,
        expected_issuers=tuple(args.expected_issuer) or AWS_ISSUERS,
        imds_url=None if args.no_imds else args.imds_url,
        resolv_conf=args.resolv_conf,
        agent=not args.no_agent,
        agent_configs=tuple(args.agent_config) or AGENT_CONFIG_PATHS,
        agent_logs=tuple(args.agent_log) or AGENT_LOG_PATHS,
        registration_files=tuple(args.registration_file) or REGISTRATION_PATHS,
        vpc_cidrs=tuple(args.vpc_cidr),
        public_cidrs=tuple(args.public_cidr),
        instance_id=args.instance_id,
    )


def dump_json(doc: Mapping[str, Any], compress: bool = False) -> str:
    text = json.dumps(doc, indent=None if compress else 2, sort_keys=False)
    if compress:
        return base64.b64encode(gzip.compress(text.encode("utf-8"))).decode("ascii")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        doc = run_probe(config)
    except ProbeUsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    if args.format == "json" or args.compress:
        sys.stdout.write(dump_json(doc, args.compress) + "\n")
    else:
        sys.stdout.write(render_text(doc))
    sys.stdout.flush()
    return exit_status(doc)


if __name__ == "__main__":
    sys.exit(main())
