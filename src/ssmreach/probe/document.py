"""`ssmreach.probe/1` as typed, validated structures (what `check --probe FILE` reads).

The probe itself (`ssmreach.probe.node`) writes plain JSON with the standard
library; this module is the reading side. Unknown fields are ignored, so newer
probes stay readable.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

PROBE_FORMAT = "ssmreach.probe/1"

VerdictName = Literal["PRIVATE", "INTERNET", "BLOCKED", "UNKNOWN"]
SeverityName = Literal["error", "warning", "info"]
OutcomeName = Literal["pass", "fail", "unknown"]


class ProbeHop(msgspec.Struct, frozen=True, kw_only=True):
    step: str
    resource: str | None = None
    result: OutcomeName
    detail: str = ""


class ProbeReason(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    severity: SeverityName
    resource: str | None = None
    message: str
    fix: str | None = None


class ProbeAddress(msgspec.Struct, frozen=True, kw_only=True):
    address: str
    kind: str
    endpoint: str | None = None
    eni: str | None = None
    service: str | None = None
    vpc: str | None = None


class ProbeService(msgspec.Struct, frozen=True, kw_only=True):
    service: str
    host: str
    verdict: VerdictName
    via: str | None = None
    override: bool = False
    addresses: tuple[ProbeAddress, ...] = ()
    connected: str | None = None
    proxy: str | None = None
    tls: dict[str, Any] | None = None
    http: dict[str, Any] | None = None
    hops: tuple[ProbeHop, ...] = ()
    reasons: tuple[ProbeReason, ...] = ()


class ProbeRun(msgspec.Struct, frozen=True, kw_only=True):
    version: str = ""
    started: str | None = None
    seconds: float | None = None
    timeout: float | None = None
    python: str | None = None
    platform: str | None = None
    features: tuple[str, ...] = ()


class ProbeNode(msgspec.Struct, frozen=True, kw_only=True):
    instance: str | None = None
    kind: str = "unknown"
    region: str | None = None
    account: str | None = None
    vpc: str | None = None
    subnet: str | None = None
    vpc_cidrs: tuple[str, ...] = ()
    imds: dict[str, Any] | None = None
    role: dict[str, Any] | None = None
    registration: dict[str, Any] | None = None
    resolvers: dict[str, Any] | None = None
    proxy: dict[str, Any] | None = None
    agent: dict[str, Any] | None = None
    clock: dict[str, Any] | None = None


class ProbeDocument(msgspec.Struct, frozen=True, kw_only=True):
    """One run of the probe on one node."""

    format: str
    probe: ProbeRun = ProbeRun()
    node: ProbeNode = ProbeNode()
    verdict: VerdictName = "UNKNOWN"
    reasons: tuple[ProbeReason, ...] = ()
    services: tuple[ProbeService, ...]  # always written: absent is not "no evidence"

    @property
    def instance(self) -> str | None:
        return self.node.instance

    def service(self, name: str) -> ProbeService | None:
        return next((s for s in self.services if s.service == name), None)


def probe_document(data: Any) -> ProbeDocument:
    """Validate one decoded JSON object (raises msgspec.ValidationError)."""
    return msgspec.convert(data, ProbeDocument)
