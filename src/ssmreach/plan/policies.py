"""Endpoint policies a plan sets: what the SSM features call through each endpoint.

Interface endpoints: allow, for any principal, the actions the agent calls through
that service (the actions of AmazonSSMManagedInstanceCore for ssm, ssmmessages and
ec2messages; the feature's actions for ec2, kms and logs). The S3 gateway endpoint:
`s3:GetObject` on the AWS-owned buckets the features read (requirements §2), and,
judgement, everything on buckets of the account itself (`s3:ResourceAccount`), because
a gateway endpoint carries *all* S3 traffic of its route tables: a policy limited to
the AWS buckets would cut the instances off from the account's own buckets.

An existing policy that lacks an action is never replaced: the plan adds one allow
statement to it (`extend_policy`).
"""

from __future__ import annotations

import json
from typing import Any

from ssmreach.analysis.buckets import aws_owned_buckets, bucket_object_arn

__all__ = [
    "ENDPOINT_ACTIONS",
    "extend_policy",
    "interface_policy",
    "plan_buckets",
    "s3_gateway_policy",
    "s3_statement",
]

_VERSION = "2012-10-17"

ENDPOINT_ACTIONS: dict[str, tuple[str, ...]] = {
    "ssm": (
        "ssm:DescribeAssociation",
        "ssm:DescribeDocument",
        "ssm:GetDeployablePatchSnapshotForInstance",
        "ssm:GetDocument",
        "ssm:GetManifest",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:ListAssociations",
        "ssm:ListInstanceAssociations",
        "ssm:PutComplianceItems",
        "ssm:PutConfigurePackageResult",
        "ssm:PutInventory",
        "ssm:UpdateAssociationStatus",
        "ssm:UpdateInstanceAssociationStatus",
        "ssm:UpdateInstanceInformation",
    ),
    "ssmmessages": (
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ),
    "ec2messages": (
        "ec2messages:AcknowledgeMessage",
        "ec2messages:DeleteMessage",
        "ec2messages:FailMessage",
        "ec2messages:GetEndpoint",
        "ec2messages:GetMessages",
        "ec2messages:SendReply",
    ),
    "ec2": ("ec2:CreateSnapshot", "ec2:CreateTags", "ec2:DescribeInstances"),
    "kms": ("kms:Decrypt", "kms:GenerateDataKey"),
    "logs": (
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ),
}

SID_SERVICE = "SsmreachSsmAgent"
SID_BUCKETS = "SsmreachAwsOwnedBuckets"
SID_ACCOUNT = "SsmreachOwnAccountBuckets"


def _dump(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2, sort_keys=False)


def service_statement(service: str) -> dict[str, Any]:
    return {
        "Sid": SID_SERVICE,
        "Effect": "Allow",
        "Principal": "*",
        "Action": list(ENDPOINT_ACTIONS.get(service, (f"{service}:*",))),
        "Resource": "*",
    }


def interface_policy(service: str) -> str:
    """The policy of a new interface endpoint for `service`."""
    return _dump({"Version": _VERSION, "Statement": [service_statement(service)]})


def plan_buckets(region: str, features: tuple[str, ...]) -> tuple[str, ...]:
    """The AWS-owned buckets the features read in `region` (unknown names are left out)."""
    names: list[str] = []
    purposes: list[str] = ["windows-documents"]
    if "agent-update" in features or "patch-manager" in features:
        purposes.insert(0, "agent-update")
    if "patch-manager" in features:
        purposes.insert(1, "patch-manager")
    for purpose in purposes:
        found = aws_owned_buckets(region, purpose)  # type: ignore[arg-type]
        for bucket in found or ():
            if bucket not in names:
                names.append(bucket)
    return tuple(names)


def s3_statement(buckets: tuple[str, ...], partition: str = "aws") -> dict[str, Any]:
    return {
        "Sid": SID_BUCKETS,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": [bucket_object_arn(b, partition) for b in buckets],
    }


def s3_gateway_policy(buckets: tuple[str, ...], account: str, partition: str = "aws") -> str:
    """The policy of a new S3 gateway endpoint."""
    statements = [s3_statement(buckets, partition)]
    statements.append(
        {
            "Sid": SID_ACCOUNT,
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"s3:ResourceAccount": account}},
        }
    )
    return _dump({"Version": _VERSION, "Statement": statements})


def extend_policy(existing: str | None, statement: dict[str, Any]) -> str | None:
    """The existing policy with `statement` added (replacing an earlier ssmreach statement
    with the same Sid). None when the existing policy is not a readable JSON object."""
    if not existing:
        document: dict[str, Any] = {"Version": _VERSION, "Statement": []}
    else:
        try:
            parsed = json.loads(existing)
        except ValueError:
            return None
        if not isinstance(parsed, dict):
            return None
        document = dict(parsed)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    kept = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == statement["Sid"])]
    document["Statement"] = [*kept, statement]
    return _dump(document)
