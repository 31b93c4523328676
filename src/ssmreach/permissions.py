"""The least-privilege IAM policy that `ssmreach snapshot` (and a live `check`) needs.

Generated from the calls table, so it cannot drift from what the collector does:
one Allow statement with every read action, sorted. `sts:GetCallerIdentity` needs
no permission (IAM cannot deny it) and is left out. With `--role-arn` the base
credentials also need `sts:AssumeRole` on those roles, and each role needs the read
statement in its own account. With `--org` the credentials it runs with (in the
management account or a delegated administrator) also need
`organizations:DescribeOrganization` and `organizations:ListAccounts`, and
`sts:AssumeRole` on the `--role-name` role of every account.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ssmreach.collect.calls import (
    ACCOUNT_LISTING,
    ASSUME_ROLE,
    CALLS,
    ORGANIZATION_DESCRIPTION,
    REGION_LISTING,
    ApiCall,
)

Purpose = Literal["snapshot", "apply"]
PURPOSES: tuple[Purpose, ...] = ("snapshot", "apply")

# What `apply` calls to undo what a failed run created; the code never calls them on
# anything else (IAM cannot express "created by this run", and Route 53 has no tag keys).
ROLLBACK_ACTIONS = (
    "ec2:DeleteRoute",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteVpcEndpoints",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "route53:DeleteHostedZone",
    "route53:DisassociateVPCFromHostedZone",
)


# Reads `apply` makes beyond the snapshot's, to stay idempotent.
APPLY_READS = ("route53:ListHostedZonesByName",)


def apply_actions() -> list[str]:
    """The write actions of every change kind a plan can hold (declared on each kind)."""
    import msgspec

    from ssmreach.plan.changes import CHANGE_TYPES

    actions: set[str] = set(APPLY_READS)
    for kind in CHANGE_TYPES:
        for field in msgspec.structs.fields(kind):
            if field.name == "permissions" and isinstance(field.default, tuple):
                actions.update(field.default)
    return sorted(actions)


def calls_needed(purpose: Purpose = "snapshot") -> tuple[ApiCall, ...]:
    """The reads: `apply` reads the account exactly as `snapshot` does, before and after."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    return (*CALLS, REGION_LISTING)


def required_actions(purpose: Purpose = "snapshot") -> list[str]:
    """Every IAM action the purpose needs, sorted and unique."""
    return sorted({call.iam_action for call in calls_needed(purpose)})


def org_role_arns(role_name: str) -> str:
    """The `--role-name` role in every account (any partition: the one you run in)."""
    return f"arn:*:iam::*:role/{role_name.strip('/')}"


def org_statements(role_name: str) -> list[dict[str, Any]]:
    """What the caller of `--org` needs beyond the reads: list the organization, and take
    on the `role_name` role in its accounts."""
    return [
        {
            "Sid": "SsmreachListOrganization",
            "Effect": "Allow",
            "Action": sorted({ORGANIZATION_DESCRIPTION.iam_action, ACCOUNT_LISTING.iam_action}),
            "Resource": "*",
        },
        {
            "Sid": "SsmreachAssumeOrganizationRoles",
            "Effect": "Allow",
            "Action": ASSUME_ROLE.iam_action,
            "Resource": org_role_arns(role_name),
        },
    ]


def minimal_policy(
    purpose: Purpose = "snapshot", role_arns: Sequence[str] = (), org_role: str | None = None
) -> dict[str, Any]:
    """The IAM policy document: the read statement, plus `sts:AssumeRole` on `role_arns`,
    plus (`org_role`, the `--role-name` of `--org`) the statements of `org_statements`."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "SsmreachSnapshotRead",
            "Effect": "Allow",
            "Action": required_actions(purpose),
            "Resource": "*",
        }
    ]
    if purpose == "apply":
        statements.append(
            {
                "Sid": "SsmreachApplyWrite",
                "Effect": "Allow",
                "Action": apply_actions(),
                "Resource": "*",
            }
        )
        statements.append(
            {
                "Sid": "SsmreachApplyRollback",
                "Effect": "Allow",
                "Action": list(ROLLBACK_ACTIONS),
                "Resource": "*",
            }
        )
    if role_arns:
        statements.append(
            {
                "Sid": "SsmreachAssumeReadRoles",
                "Effect": "Allow",
                "Action": ASSUME_ROLE.iam_action,
                "Resource": sorted(set(role_arns)),
            }
        )
    if org_role is not None:
        statements.extend(org_statements(org_role))
    return {"Version": "2012-10-17", "Statement": statements}
