"""Built-in copies of the AWS managed policies an SSM instance role usually carries.

A snapshot normally holds every attached policy's default version; when it
lacks one of these, `builtin_managed_policy` supplies the bundled copy so the
role can still be evaluated (requirements.md section 1, "Identity"). The copies
live in `ssmreach/data/aws_managed_policies.json`, which records where they came
from and when (`BUILTIN_SOURCE`).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ssmreach.policy.document import Policy, parse_policy

__all__ = ["BUILTIN_ARNS", "BUILTIN_SOURCE", "builtin_managed_policy"]


def _load() -> dict[str, Any]:
    text = (
        resources.files("ssmreach").joinpath("data", "aws_managed_policies.json").read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


_DATA = _load()
_DOCUMENTS: dict[str, object] = dict(_DATA["policies"])

BUILTIN_SOURCE: str = f"{_DATA['source']}; retrieved {_DATA['retrieved']}"
BUILTIN_ARNS: tuple[str, ...] = tuple(_DOCUMENTS)


def _canonical(arn: str) -> str:
    """The `aws`-partition form of an AWS managed policy ARN (aws-cn, aws-us-gov, ...)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4] == "aws":
        parts[1] = "aws"
        return ":".join(parts)
    return arn


@cache
def builtin_managed_policy(arn: str) -> Policy | None:
    """The bundled copy of AWS managed policy `arn`, or None when none is bundled.

    ARNs of other partitions (`arn:aws-cn:iam::aws:policy/...`) find the same copy;
    the returned policy is named by the ARN asked for.
    """
    document = _DOCUMENTS.get(_canonical(arn))
    if document is None:
        return None
    return parse_policy(document, arn)
