"""What changed between two checks: verdicts that got worse or better, and why.

Both sides are `ssmreach.check/1` documents (a check of a snapshot is turned into one
first), so a diff of two snapshots and a diff of two saved reports are the same thing.
A result is identified by (account, Region, instance, feature). Worse and better follow
the verdict's badness: PRIVATE < INTERNET < UNKNOWN < BLOCKED. The cause of a change is the
first hop of a service whose step, resource or outcome differs between the two traces:
the resource whose configuration changed (a security group, a route table, an endpoint),
with the reason codes that appeared or went away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ssmreach.analysis.verdict import Verdict

DIFF_FORMAT = "ssmreach.diff/1"
Key = tuple[str, str, str, str]  # account, Region, instance, feature


@dataclass(frozen=True, slots=True)
class Cause:
    service: str
    step: str
    resource: str | None
    before: str  # "pass: detail", or "absent"
    after: str


@dataclass(frozen=True, slots=True)
class Change:
    account: str
    region: str
    instance: str
    name: str | None
    feature: str
    before: Verdict
    after: Verdict
    causes: tuple[Cause, ...] = ()
    codes_added: tuple[str, ...] = ()
    codes_removed: tuple[str, ...] = ()

    @property
    def worse(self) -> bool:
        return self.after.rank > self.before.rank


@dataclass(frozen=True, slots=True)
class Diff:
    worse: tuple[Change, ...]
    better: tuple[Change, ...]
    added: tuple[Key, ...] = ()  # results only the second check has (new instances)
    removed: tuple[Key, ...] = ()
    unchanged: int = 0
    notes: tuple[str, ...] = field(default=())


def _key(result: Mapping[str, Any]) -> Key:
    return (
        str(result.get("account")),
        str(result.get("region")),
        str(result.get("instance")),
        str(result.get("feature")),
    )


def _codes(result: Mapping[str, Any]) -> set[str]:
    codes = {str(r.get("code")) for r in result.get("reasons") or []}
    for service in result.get("services") or []:
        codes |= {str(r.get("code")) for r in service.get("reasons") or []}
    return codes


def _hop_text(hop: Mapping[str, Any] | None) -> str:
    if hop is None:
        return "absent"
    return f"{hop.get('result')}: {hop.get('detail', '')}".rstrip(": ")


def _shape(hop: Mapping[str, Any] | None) -> tuple[Any, ...] | None:
    return (hop.get("step"), hop.get("resource"), hop.get("result")) if hop else None


def _causes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Cause, ...]:
    """Per service, the first hop that differs (in step, resource or outcome)."""
    old = {s.get("service"): s for s in before.get("services") or []}
    causes: list[Cause] = []
    for service in after.get("services") or []:
        name = str(service.get("service"))
        previous = old.pop(name, None)
        hops = list(service.get("hops") or [])
        was = list((previous or {}).get("hops") or [])
        for index in range(max(len(hops), len(was))):
            new = hops[index] if index < len(hops) else None
            prior = was[index] if index < len(was) else None
            if _shape(new) != _shape(prior):
                hop = new or prior or {}
                causes.append(
                    Cause(
                        name,
                        str(hop.get("step")),
                        hop.get("resource"),
                        _hop_text(prior),
                        _hop_text(new),
                    )
                )
                break
    for name in old:
        causes.append(Cause(str(name), "service", None, "checked", "no longer needed"))
    return tuple(causes)


def _verdict(result: Mapping[str, Any], where: str) -> Verdict:
    try:
        return Verdict(str(result.get("verdict")))
    except ValueError:
        raise ValueError(f"{where}: result {_key(result)} has no valid verdict") from None


def diff_documents(before: Mapping[str, Any], after: Mapping[str, Any]) -> Diff:
    """The differences of two `ssmreach.check/1` documents (raises ValueError on others)."""
    for doc, where in ((before, "BEFORE"), (after, "AFTER")):
        if doc.get("format") != "ssmreach.check/1":
            raise ValueError(f"{where} is not an ssmreach.check/1 document")
    old = {_key(r): r for r in before.get("results") or []}
    new = {_key(r): r for r in after.get("results") or []}
    worse: list[Change] = []
    better: list[Change] = []
    unchanged = 0
    for key in sorted(set(old) & set(new)):
        a, b = old[key], new[key]
        va, vb = _verdict(a, "BEFORE"), _verdict(b, "AFTER")
        if va is vb:
            unchanged += 1
            continue
        change = Change(
            *key[:3],
            b.get("name") or a.get("name"),
            key[3],
            va,
            vb,
            _causes(a, b),
            tuple(sorted(_codes(b) - _codes(a))),
            tuple(sorted(_codes(a) - _codes(b))),
        )
        (worse if change.worse else better).append(change)
    return Diff(
        tuple(worse),
        tuple(better),
        tuple(sorted(set(new) - set(old))),
        tuple(sorted(set(old) - set(new))),
        unchanged,
    )


def diff_document(diff: Diff) -> dict[str, Any]:
    def change(c: Change) -> dict[str, Any]:
        return {
            "account": c.account,
            "region": c.region,
            "instance": c.instance,
            "name": c.name,
            "feature": c.feature,
            "before": c.before.value,
            "after": c.after.value,
            "causes": [
                {
                    "service": x.service,
                    "step": x.step,
                    "resource": x.resource,
                    "before": x.before,
                    "after": x.after,
                }
                for x in c.causes
            ],
            "codes_added": list(c.codes_added),
            "codes_removed": list(c.codes_removed),
        }

    def keys(items: Iterable[Key]) -> list[dict[str, str]]:
        return [
            dict(zip(("account", "region", "instance", "feature"), k, strict=True)) for k in items
        ]

    return {
        "format": DIFF_FORMAT,
        "summary": {
            "worse": len(diff.worse),
            "better": len(diff.better),
            "added": len(diff.added),
            "removed": len(diff.removed),
            "unchanged": diff.unchanged,
        },
        "worse": [change(c) for c in diff.worse],
        "better": [change(c) for c in diff.better],
        "added": keys(diff.added),
        "removed": keys(diff.removed),
    }
