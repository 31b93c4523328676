"""The user's own buckets of Run Command and State Manager: which output buckets a node
writes to, as S3 needs of the `run-command` feature (`output_plan`).

The snapshot lists the recent commands (`ssm:ListCommands`) and the associations
(`ssm:ListAssociations`, then `ssm:DescribeAssociation` each, for the output location).
NEEDS has no State Manager feature, so association buckets count for `run-command`, the
feature whose agent path (the message channel) delivers associations' documents too.

Which nodes a bucket applies to: a command's `InstanceIds`, and a command's or an
association's `Targets` (`InstanceIds`, with `*` for every node; `tag:<Key>` against the
instance's tags; `tag-key`). The rule, conservative because a wrong match would make a
verdict worse by guess:

- every target takes the node in: the bucket is the node's, an S3 need like the Session
  Manager log bucket (`s3:PutObject`, its Region, and for an association the Region its
  `OutputS3Region` names);
- every target leaves it out: the bucket is not the node's;
- otherwise (a resource group or another key ssmreach cannot evaluate, or targets that
  agree only in part: the API reference does not say whether several targets are joined
  with AND or OR) the verdict is unchanged and an INFO `OUTPUT_TARGET_UNRESOLVED` names the
  bucket.

Reads: an absent `ListCommands` or `ListAssociations` (not collected) is an INFO note that
the output buckets were not checked; a denied or failed one leaves `run-command` UNKNOWN
naming it. An
association whose description is absent is an INFO note; denied or failed, it leaves
`run-command` UNKNOWN on the nodes it certainly targets (INFO on those it may target). A
bucket whose Region was not read follows the Session Manager bucket's path (UNKNOWN
through a gateway endpoint, naming `s3:GetBucketLocation`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ssmreach.analysis.path_context import RegionMismatch, ServiceNeed
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.verdict import Reason, Severity
from ssmreach.model import aws
from ssmreach.model.estate import BucketGone, Gap, OutputSource, RegionData

LISTINGS = ("ListCommands", "ListAssociations")
"""The whole-account reads that say which output buckets exist."""


@dataclass(frozen=True, slots=True)
class OutputPlan:
    """What a node's output buckets add to `run-command`: S3 needs and notes."""

    needs: tuple[ServiceNeed, ...] = ()
    reasons: tuple[Reason, ...] = ()


NO_OUTPUT = OutputPlan()


def applies(source: OutputSource, instance: aws.Instance) -> bool | None:
    """Whether the source runs on the instance: True or False when every target agrees,
    None when they do not or one cannot be evaluated."""
    tags = {t.key: t.value for t in instance.tags}
    found = {t.matches(instance.instance_id, tags) for t in source.targets}
    return found.pop() if len(found) == 1 else None


def output_plan(region: RegionData, instance: aws.Instance) -> OutputPlan:
    """The output buckets the instance's commands and associations write to, as S3 needs,
    and the notes on what could not be decided (see the module's rule)."""
    notes = _listing_gaps(region)
    sources = region.output_sources.candidates(instance)
    if not sources and not notes:
        return NO_OUTPUT
    sure: list[OutputSource] = []
    for source in sources:
        runs = applies(source, instance)
        if runs is False:
            continue
        if source.gap is not None:
            notes.append(_description_gap(source, source.gap, sure=runs is True))
        elif runs:
            sure.append(source)
        else:
            notes.append(_unresolved(source))
    return OutputPlan(tuple(_needs(region, sure)), tuple(dict.fromkeys(notes)))


def _listing_gaps(region: RegionData) -> list[Reason]:
    """A denied or failed listing: whether the node writes output anywhere is not known
    (UNKNOWN); one not collected: a note that the output buckets were not checked (a
    snapshot of an older ssmreach, or one written by hand, never says "no buckets")."""
    out = []
    for operation in LISTINGS:
        gap = region.gap(operation)
        if gap is None:
            continue
        if gap.kind == "missing":
            out.append(
                reason(
                    gap.code,
                    Severity.INFO,
                    gap.api,
                    f"{gap.describe()}: the S3 buckets Run Command or State Manager "
                    "output goes to are not checked",
                    f"Collect the snapshot again (it reads {gap.api}) to check them.",
                )
            )
            continue
        out.append(
            reason(
                gap.code,
                Severity.WARNING,
                None,
                f"{gap.describe()}: whether Run Command or State Manager output goes to an "
                "S3 bucket the node cannot reach is not known",
                f"Collect the snapshot with {gap.api} allowed.",
            )
        )
    return out


def _description_gap(source: OutputSource, gap: Gap, *, sure: bool) -> Reason:
    """An association whose output location was not read: UNKNOWN when it certainly
    targets the node and the read was denied or failed; a note otherwise."""
    targets = "targets this node" if sure else "may target this node"
    if gap.kind == "missing":
        message = f"{source.label} {targets}; its output location is not known: {gap.describe()}; no output bucket is assumed"
    else:
        message = f"{source.label} {targets}; its output location is not known: {gap.describe()}"
    severity = Severity.WARNING if sure and gap.kind != "missing" else Severity.INFO
    return reason(
        gap.code, severity, None, message, f"Collect the snapshot with {gap.api} allowed."
    )


def _unresolved(source: OutputSource) -> Reason:
    """A source that may run on the node: named, its bucket not checked."""
    shown = [
        f"{t.key}={','.join(sorted(t.values))}" if t.values else t.key
        for t in source.targets
        if t.kind == "other"
    ]
    how = f"targets {'; '.join(shown)}" if shown else "has targets that agree only in part"
    return reason(
        "OUTPUT_TARGET_UNRESOLVED",
        Severity.INFO,
        source.bucket,
        f"{source.label} writes its output to bucket {source.bucket} and {how}: whether it "
        "runs on this node is not known, so the bucket's path is not checked for it",
    )


def _purpose(sources: Iterable[OutputSource]) -> str:
    kinds = {s.kind for s in sources}
    if kinds == {"command"}:
        return "Run Command output"
    if kinds == {"association"}:
        return "State Manager output"
    return "Run Command and State Manager output"


def _objects(bucket: str, sources: Iterable[OutputSource]) -> list[str]:
    """The objects the outputs are written as: under each key prefix, or anywhere."""
    prefixes = {(s.key_prefix or "").strip("/") for s in sources}
    if "" in prefixes:
        return [f"{bucket}/*"]
    return [f"{bucket}/{p}/*" for p in sorted(prefixes)]


def _needs(region: RegionData, sources: list[OutputSource]) -> list[ServiceNeed]:
    """One S3 need per bucket Region: the buckets in the node's Region together, those of
    each other Region together, and each bucket whose Region is not known alone."""
    by_bucket: dict[str, list[OutputSource]] = {}
    for s in sources:
        if s.bucket:
            by_bucket.setdefault(s.bucket, []).append(s)
    groups: dict[tuple[int, str], list[str]] = {}
    wheres: dict[tuple[int, str], str | Gap | BucketGone | None] = {}
    for bucket in sorted(by_bucket):
        where: str | Gap | BucketGone | None = region.bucket_region(bucket)
        key = (2, bucket) if isinstance(where, Gap | BucketGone) else (1, str(where))
        if where == region.region:
            key, where = (0, ""), None
        groups.setdefault(key, []).append(bucket)
        wheres[key] = where
    needs = []
    for key in sorted(groups):
        buckets = groups[key]
        used = [s for b in buckets for s in by_bucket[b]]
        needs.append(
            ServiceNeed(
                "s3",
                tuple(buckets),
                "s3:PutObject",
                bucket_region=wheres[key],
                purpose=_purpose(used),
                objects=tuple(o for b in buckets for o in _objects(b, by_bucket[b])),
                region_mismatches=tuple(_mismatches(region, used)),
            )
        )
    return needs


def _mismatches(region: RegionData, sources: Iterable[OutputSource]) -> list[RegionMismatch]:
    out = []
    for s in sources:
        actual = region.bucket_region(s.bucket or "")
        if s.declared_region and isinstance(actual, str) and s.declared_region != actual:
            out.append(RegionMismatch(s.bucket or "", s.declared_region, actual, s.label))
    return list(dict.fromkeys(out))
