"""The vocabulary of a check result: verdicts, hop outcomes, hops, reasons, results."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import msgspec


class Verdict(StrEnum):
    """Per service hop and per (instance, feature); see the check-output spec."""

    PRIVATE = "PRIVATE"
    INTERNET = "INTERNET"
    UNKNOWN = "UNKNOWN"
    BLOCKED = "BLOCKED"

    @property
    def rank(self) -> int:
        """Badness: PRIVATE < INTERNET < UNKNOWN < BLOCKED."""
        return _RANK[self]


_RANK = {Verdict.PRIVATE: 0, Verdict.INTERNET: 1, Verdict.UNKNOWN: 2, Verdict.BLOCKED: 3}


def worst(
    verdicts: list[Verdict] | tuple[Verdict, ...], default: Verdict = Verdict.PRIVATE
) -> Verdict:
    return max(verdicts, key=lambda v: v.rank, default=default)


def best(
    verdicts: list[Verdict] | tuple[Verdict, ...], default: Verdict = Verdict.BLOCKED
) -> Verdict:
    return min(verdicts, key=lambda v: v.rank, default=default)


class Outcome(StrEnum):
    """The result of one hop."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class _Record(msgspec.Struct, frozen=True, gc=False):
    """Base of the result records: immutable, hashable, and cheap to create (a check
    makes one per hop and per instance and feature). They hold only strings, enums and
    tuples of records, never a cycle, so the cycle collector need not track them."""


class Hop(_Record, frozen=True, gc=False):
    """One step of the path, in path order: what was checked, against what, and how it went."""

    step: str
    resource: str | None
    result: Outcome
    detail: str


class Reason(_Record, frozen=True, gc=False):
    """Why a verdict is what it is: a stable code, the resource in the way, and the fix."""

    code: str
    severity: Severity
    resource: str | None
    message: str
    fix: str | None = None


class ServiceResult(_Record, frozen=True, gc=False):
    """How one instance reaches one service (ssm, ssmmessages, s3, ...)."""

    service: str
    host: str | None
    verdict: Verdict
    via: str | None
    reasons: tuple[Reason, ...]
    hops: tuple[Hop, ...]


class AcceptedFinding(_Record, frozen=True, gc=False):
    """A finding of a result that a baseline entry accepts (analysis/baseline.py)."""

    code: str
    resource: str | None
    reason: str
    expires: str | None = None
    entry: int = 0  # the entry's position in the baseline file, from 1


class FeatureResult(_Record, frozen=True, gc=False):
    """The verdict of one (instance, feature) pair."""

    instance: str
    account: str
    region: str
    vpc: str | None
    subnet: str | None
    name: str | None
    feature: str
    verdict: Verdict
    reasons: tuple[Reason, ...]
    services: tuple[ServiceResult, ...]
    # The instance's state: a stopped instance is checked for the network it gets when
    # it starts, and marked so.
    state: str = "running"
    accepted: tuple[AcceptedFinding, ...] = ()  # findings a baseline accepts


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything `ssmreach check` found, in the spec's order."""

    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    created: str | None
    source: str
    instances: int
    results: tuple[FeatureResult, ...]
    not_running: int = 0  # of `instances`: stopped (or stopping, pending) when read
    estate_findings: tuple[Reason, ...] = ()  # about resources, not instances (info)
    # (instance, feature) results a baseline accepts whole; None: no baseline was used
    accepted: frozenset[tuple[str, str]] | None = None

    def count(self, verdict: Verdict) -> int:
        return sum(1 for r in self.results if r.verdict is verdict)
