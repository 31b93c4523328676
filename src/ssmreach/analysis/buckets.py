"""AWS-owned S3 buckets that SSM features read, per Region (requirements.md section 2).

- agent-update: `amazon-ssm-R`, `aws-ssm-R`.
- patch-manager: `aws-ssm-R`, `patch-baseline-snapshot-R` (with a suffix in the
  Regions that have one), and `aws-patch-manager-R-SUFFIX`. In me-south-1 the
  two buckets `patch-baseline-snapshot-me-south-1-uduvl7q8` and
  `aws-patch-manager-me-south-1-a53fc9dce` replace the list. A Region missing
  from the suffix table gives None: the names are unknown and never guessed.
- windows-documents: `aws-windows-downloads-R`.

The suffix tables and exceptions live in `ssmreach/data/aws_owned_buckets.json`
(with the AWS pages they were taken from), read once on first use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

__all__ = [
    "AWS_OWNED_RESOURCE_KEYS",
    "BucketPurpose",
    "BucketTable",
    "aws_owned_buckets",
    "bucket_object_arn",
    "bucket_table",
]

AWS_OWNED_RESOURCE_KEYS: dict[str, tuple[str, ...]] = {
    "aws:resourceaccount": ("an AWS-owned account",),
    "aws:resourceorgid": ("an AWS-owned organization",),
    "aws:resourceorgpaths": ("an AWS-owned organization path",),
}
"""The resource keys of a request to an AWS-owned bucket. Their real values are AWS's own
account and organization, never one of the customer's: a condition that requires the
customer's account or organization (the data-perimeter `aws:ResourceOrgID` pattern) is
false for them, and any pattern that matches every value (`*`) is true. Data perimeter
guidance exempts these buckets by name for this reason (aws-samples/
data-perimeter-policy-examples, "AllowRequestsToAWSOwnedResources")."""

BucketPurpose = Literal["agent-update", "patch-manager", "windows-documents"]
_PURPOSES: frozenset[str] = frozenset({"agent-update", "patch-manager", "windows-documents"})
_REGION = re.compile(r"[a-z]{2,}(?:-[a-z0-9]+)*-\d+")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True, slots=True)
class BucketTable:
    """The contents of aws_owned_buckets.json."""

    patch_manager_suffix: dict[str, str]  # Region -> suffix of aws-patch-manager-R-SUFFIX
    snapshot_suffix: dict[str, str]  # Region -> suffix of patch-baseline-snapshot-R-SUFFIX
    exceptions: dict[str, dict[str, tuple[str, ...]]]  # Region -> purpose -> bucket names
    sources: tuple[str, ...]  # AWS documentation URLs
    date: str  # when the table was taken from the sources


def _str_map(raw: object, what: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ValueError(f"aws_owned_buckets.json: {what} must map Regions to strings")
    return {str(k): str(v) for k, v in raw.items()}


@cache
def bucket_table() -> BucketTable:
    """The bundled table, parsed once."""
    text = resources.files("ssmreach").joinpath("data", "aws_owned_buckets.json").read_text("utf-8")
    data = json.loads(text)
    exceptions: dict[str, dict[str, tuple[str, ...]]] = {}
    for region, purposes in dict(data.get("region_exceptions", {})).items():
        exceptions[str(region)] = {
            str(p): tuple(str(b) for b in names) for p, names in purposes.items()
        }
    return BucketTable(
        patch_manager_suffix=_str_map(data["patch_manager_suffix"], "patch_manager_suffix"),
        snapshot_suffix=_str_map(
            data["patch_baseline_snapshot_suffix"], "patch_baseline_snapshot_suffix"
        ),
        exceptions=exceptions,
        sources=tuple(str(s["url"]) for s in data["sources"]),
        date=str(data["date"]),
    )


def aws_owned_buckets(region: str, purpose: BucketPurpose) -> tuple[str, ...] | None:
    """Names (not ARNs) of the AWS-owned buckets `purpose` needs in `region`.

    Returns None when the names are not known for that Region (patch-manager in
    a Region missing from the suffix table). Raises ValueError for a malformed
    Region code or an unknown purpose.
    """
    if _REGION.fullmatch(region) is None:
        raise ValueError(f"not a Region code: {region!r}")
    if purpose not in _PURPOSES:
        raise ValueError(f"unknown bucket purpose: {purpose!r}")
    table = bucket_table()
    override = table.exceptions.get(region, {}).get(purpose)
    if override is not None:
        return override
    if purpose == "agent-update":
        return (f"amazon-ssm-{region}", f"aws-ssm-{region}")
    if purpose == "windows-documents":
        return (f"aws-windows-downloads-{region}",)
    suffix = table.patch_manager_suffix.get(region)
    if suffix is None:
        return None
    snapshot = f"patch-baseline-snapshot-{region}"
    if region in table.snapshot_suffix:
        snapshot = f"{snapshot}-{table.snapshot_suffix[region]}"
    return (f"aws-ssm-{region}", snapshot, f"aws-patch-manager-{region}-{suffix}")


def bucket_object_arn(bucket: str, partition: str = "aws") -> str:
    """`arn:PARTITION:s3:::BUCKET/*`: the objects of the bucket, as `s3:GetObject` names them."""
    if _BUCKET.fullmatch(bucket) is None:
        raise ValueError(f"not an S3 bucket name: {bucket!r}")
    return f"arn:{partition}:s3:::{bucket}/*"
