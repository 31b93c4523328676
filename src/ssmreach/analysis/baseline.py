"""Accepted findings (a baseline): what a team has decided to live with, for now.

A baseline file (`.ssmreach-baseline.yaml`, or `--baseline FILE`; YAML or JSON) lists
entries; each names a reason code and narrows it by resource, instance, feature or
instance tag, says why it is accepted, and may expire:

```yaml
accepted:
  - code: INTERNET_PATH          # required
    resource: vpc-0abc           # optional: the reason's resource
    instance: i-0123             # optional
    feature: patch-manager       # optional
    tag: env=dev                 # optional: an instance tag, KEY=VALUE
    reason: dev VPCs use the NAT gateway until Q3   # required
    expires: 2027-03-31          # optional: from that day on it no longer applies
```

A finding one entry matches is *accepted*: it is still shown, marked as accepted. A result
whose every error and warning is accepted (and that has at least one accepted finding)
does not count for `--require-private`, `--fail-on-unknown` or the BLOCKED exit code. An
entry past its expiry date matches nothing, so its findings fail again, and the run says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from ssmreach.analysis.reasons import BY_CODE
from ssmreach.analysis.verdict import (
    AcceptedFinding,
    CheckResult,
    FeatureResult,
    Reason,
    Severity,
    Verdict,
)
from ssmreach.errors import SsmreachError

DEFAULT_FILE = ".ssmreach-baseline.yaml"
_FIELDS = ("code", "resource", "instance", "feature", "tag", "reason", "expires")


class BaselineError(SsmreachError):
    """A baseline file that cannot be used: names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Acceptance:
    index: int  # from 1, as a person counts entries
    code: str
    reason: str
    resource: str | None = None
    instance: str | None = None
    feature: str | None = None
    tag: tuple[str, str] | None = None
    expires: date | None = None

    def matches(self, result: FeatureResult, finding: Reason, tags: Mapping[str, str]) -> bool:
        return (
            finding.code == self.code
            and (self.resource is None or finding.resource == self.resource)
            and (self.instance is None or result.instance == self.instance)
            and (self.feature is None or result.feature == self.feature)
            and (self.tag is None or tags.get(self.tag[0]) == self.tag[1])
        )

    def describe(self) -> str:
        narrow = [
            f"{k} {v}"
            for k, v in (
                ("resource", self.resource),
                ("instance", self.instance),
                ("feature", self.feature),
                ("tag", "=".join(self.tag) if self.tag else None),
            )
            if v
        ]
        return f"entry {self.index} ({self.code}{', ' + ', '.join(narrow) if narrow else ''})"


@dataclass(frozen=True, slots=True)
class Baseline:
    source: str
    entries: tuple[Acceptance, ...]


def _entry(raw: Any, index: int, source: str) -> Acceptance:
    where = f"{source}: entry {index}"
    if not isinstance(raw, dict):
        raise BaselineError(f"{where} is not a mapping of code, reason, ...")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise BaselineError(f"{where} has unknown field(s) {', '.join(unknown)}")
    code, why = raw.get("code"), raw.get("reason")
    if not isinstance(code, str) or code not in BY_CODE:
        raise BaselineError(f"{where}: code {code!r} is not a reason code (see `ssmreach reasons`)")
    if not isinstance(why, str) or not why.strip():
        raise BaselineError(f"{where}: say why it is accepted (reason: ...)")
    text: dict[str, str | None] = {}
    for name in ("resource", "instance", "feature", "tag"):
        value = raw.get(name)
        if value is not None and not isinstance(value, str | int):
            raise BaselineError(f"{where}: {name} must be text")
        text[name] = None if value is None else str(value)
    tag = None
    if text["tag"] is not None:
        key, sep, value = text["tag"].partition("=")
        if not sep or not key:
            raise BaselineError(f"{where}: tag must be KEY=VALUE, not {text['tag']!r}")
        tag = (key, value)
    expires = raw.get("expires")
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            raise BaselineError(
                f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)"
            ) from None
    if expires is not None and not isinstance(expires, date):
        raise BaselineError(f"{where}: expires must be a date (YYYY-MM-DD)")
    return Acceptance(
        index, code, why.strip(), text["resource"], text["instance"], text["feature"], tag, expires
    )


def parse_baseline(text: str, source: str) -> Baseline:
    """Read a baseline document (YAML, of which JSON is a part); errors name file and entry."""
    import yaml

    try:
        document = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        raise BaselineError(f"{source}: not valid YAML ({problem})") from None
    except RecursionError:
        raise BaselineError(f"{source}: nested too deeply to be a baseline") from None
    if not isinstance(document, dict) or not isinstance(document.get("accepted", []), list):
        raise BaselineError(f"{source}: expected a mapping with an `accepted:` list")
    entries = tuple(
        _entry(raw, n, source) for n, raw in enumerate(document.get("accepted") or [], 1)
    )
    return Baseline(source, entries)


@dataclass(frozen=True, slots=True)
class Triage:
    result: CheckResult  # results carry their accepted findings
    accepted: frozenset[tuple[str, str]]  # (instance, feature) no longer counted
    expired: tuple[Acceptance, ...]
    unused: tuple[Acceptance, ...]


def _deciding(result: FeatureResult) -> list[Reason]:
    reasons = dict.fromkeys(result.reasons)
    for service in result.services:
        reasons.update(dict.fromkeys(service.reasons))
    return list(reasons)


def apply_baseline(
    result: CheckResult, baseline: Baseline, tags: Mapping[str, Mapping[str, str]], today: date
) -> Triage:
    """Mark the findings the baseline accepts; say which results no longer count."""
    live = [e for e in baseline.entries if e.expires is None or e.expires > today]
    expired = tuple(e for e in baseline.entries if e.expires is not None and e.expires <= today)
    used: set[int] = set()
    accepted: set[tuple[str, str]] = set()
    results: list[FeatureResult] = []
    for r in result.results:
        if r.verdict is Verdict.PRIVATE or not live:
            results.append(r)
            continue
        marks: list[AcceptedFinding] = []
        open_findings = 0
        for finding in _deciding(r):
            entry = next((e for e in live if e.matches(r, finding, tags.get(r.instance, {}))), None)
            if entry is None:
                open_findings += finding.severity is not Severity.INFO
                continue
            used.add(entry.index)
            marks.append(
                AcceptedFinding(
                    code=finding.code,
                    resource=finding.resource,
                    reason=entry.reason,
                    expires=entry.expires.isoformat() if entry.expires else None,
                    entry=entry.index,
                )
            )
        if marks and not open_findings:
            accepted.add((r.instance, r.feature))
        results.append(msgspec.structs.replace(r, accepted=tuple(marks)) if marks else r)
    unused = tuple(e for e in live if e.index not in used)
    kept = frozenset(accepted)
    return Triage(
        dataclasses.replace(result, results=tuple(results), accepted=kept), kept, expired, unused
    )


def baseline_document(result: CheckResult, today: date, *, note: str = "") -> dict[str, Any]:
    """A baseline that accepts every error and warning of `result` (one entry per code and
    resource), for `ssmreach baseline`; each says when it was written, to be reviewed."""
    seen: dict[tuple[str, str | None], None] = {}
    for r in result.results:
        for finding in _deciding(r):
            if finding.severity is not Severity.INFO:
                seen.setdefault((finding.code, finding.resource), None)
    why = note or f"accepted as found on {today.isoformat()}: review and say why"
    entries: list[dict[str, Any]] = []
    for code, resource in sorted(seen, key=lambda k: (k[0], k[1] or "")):
        entry: dict[str, Any] = {"code": code}
        if resource:
            entry["resource"] = resource
        entry["reason"] = why
        entries.append(entry)
    return {"accepted": entries}


def counted(
    results: Sequence[FeatureResult], accepted: frozenset[tuple[str, str]]
) -> list[FeatureResult]:
    """The results that still count for the exit code."""
    return [r for r in results if (r.instance, r.feature) not in accepted]
