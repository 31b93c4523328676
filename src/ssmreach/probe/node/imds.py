"""The instance metadata service: IMDSv2 and IMDSv1, identity, network, role credentials."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from .constants import IMDS_URL, IMDS_URL_IPV6
from .deadline import Deadline, DeadlineExceeded
from .helpers import error_text

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from .config import ProbeConfig


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
    """The metadata service at its IPv4 address, else (an IPv6-only subnet, with
    HttpProtocolIpv6 enabled) at [fd00:ec2::254]."""
    if not config.imds_url:
        return {"url": None, "reachable": False, "note": "not queried"}
    facts = _imds_at(config.imds_url, config, deadline)
    if not facts["reachable"] and config.imds_url == IMDS_URL:
        again = _imds_at(IMDS_URL_IPV6, config, deadline)
        if again["reachable"]:
            return again
    return facts


def _imds_at(url: str, config: ProbeConfig, deadline: Deadline) -> dict[str, Any]:
    facts: dict[str, Any] = {"url": url, "reachable": False}
    imds = Imds(url, deadline, min(config.step_timeout, 2.0))
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
    _identity_facts(imds, facts)
    _role_facts(imds, facts)
    return facts


def _identity_facts(imds: Imds, facts: dict[str, Any]) -> None:
    """Instance, Region and account, then the VPC, subnet and VPC CIDRs of the first ENI."""
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


def _role_facts(imds: Imds, facts: dict[str, Any]) -> None:
    """The instance role and whether its credentials are there (never the credentials)."""
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
