"""The least-privilege IAM policy that `ssmreach snapshot` (and a live `check`) needs.

Generated from the calls table, so it cannot drift from what the collector does:
one Allow statement with every read action, sorted. `sts:GetCallerIdentity` needs
no permission (IAM cannot deny it) and is left out. With `--role-arn` the base
credentials also need `sts:AssumeRole` on those roles, and each role needs the read
statement in its own account.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ssmreach.collect.calls import ASSUME_ROLE, CALLS, REGION_LISTING, ApiCall

Purpose = Literal["snapshot"]
PURPOSES: tuple[Purpose, ...] = ("snapshot",)


def calls_needed(purpose: Purpose = "snapshot") -> tuple[ApiCall, ...]:
    if purpose != "snapshot":
        raise ValueError(f"unknown purpose {purpose!r}")
    return (*CALLS, REGION_LISTING)


def required_actions(purpose: Purpose = "snapshot") -> list[str]:
    """Every IAM action the purpose needs, sorted and unique."""
    return sorted({call.iam_action for call in calls_needed(purpose)})


def minimal_policy(purpose: Purpose = "snapshot", role_arns: Sequence[str] = ()) -> dict[str, Any]:
    """The IAM policy document: the read statement, plus `sts:AssumeRole` on `role_arns`."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "SsmreachSnapshotRead",
            "Effect": "Allow",
            "Action": required_actions(purpose),
            "Resource": "*",
        }
    ]
    if role_arns:
        statements.append(
            {
                "Sid": "SsmreachAssumeReadRoles",
                "Effect": "Allow",
                "Action": ASSUME_ROLE.iam_action,
                "Resource": sorted(set(role_arns)),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
