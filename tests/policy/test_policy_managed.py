"""Built-in AWS managed policy copies."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from ssmreach.policy import BUILTIN_SOURCE, builtin_managed_policy
from ssmreach.policy.evaluate import Decision, RequestContext, evaluate_identity
from ssmreach.policy.managed import BUILTIN_ARNS

CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
DHMC = "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"
LEGACY = "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"

# Reference section 3.1: the actions of AmazonSSMManagedInstanceCore.
CORE_ACTIONS = {
    "ssm:DescribeAssociation",
    "ssm:GetDeployablePatchSnapshotForInstance",
    "ssm:GetDocument",
    "ssm:DescribeDocument",
    "ssm:GetManifest",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:ListAssociations",
    "ssm:ListInstanceAssociations",
    "ssm:PutInventory",
    "ssm:PutComplianceItems",
    "ssm:PutConfigurePackageResult",
    "ssm:UpdateAssociationStatus",
    "ssm:UpdateInstanceAssociationStatus",
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
}


def ctx(action: str, resource: str = "*") -> RequestContext:
    return RequestContext(action, resource, "arn:aws:iam::111122223333:role/r", "111122223333")


def actions_of(arn: str) -> set[str]:
    policy = builtin_managed_policy(arn)
    assert policy is not None
    return {a for s in policy.statements if s.effect == "Allow" for a in s.actions or ()}


def test_bundled_arns() -> None:
    assert set(BUILTIN_ARNS) == {CORE, DHMC, LEGACY}


def test_core_matches_reference_section_3_1() -> None:
    assert actions_of(CORE) == CORE_ACTIONS


def test_default_policy_lacks_only_parameter_reads() -> None:
    assert actions_of(DHMC) == CORE_ACTIONS - {"ssm:GetParameter", "ssm:GetParameters"}


def test_legacy_role_policy_grants_s3() -> None:
    policy = builtin_managed_policy(LEGACY)
    assert policy is not None
    bucket = "arn:aws:s3:::amazon-ssm-us-east-1/*"
    assert evaluate_identity([policy], ctx("s3:GetObject", bucket)).decision is Decision.ALLOW


@pytest.mark.parametrize(
    "action", ["ssm:UpdateInstanceInformation", "ssmmessages:OpenControlChannel"]
)
def test_core_allows_agent_actions(action: str) -> None:
    policy = builtin_managed_policy(CORE)
    assert policy is not None and policy.name == CORE
    result = evaluate_identity(
        [policy], ctx(action, "arn:aws:ec2:us-east-1:111122223333:instance/i-1")
    )
    assert result.decision is Decision.ALLOW
    assert (
        evaluate_identity([policy], ctx("s3:GetObject", "arn:aws:s3:::b/*")).decision
        is Decision.NO_ALLOW
    )


def test_other_partitions_and_unknown_arns() -> None:
    cn = "arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore"
    policy = builtin_managed_policy(cn)
    assert policy is not None and policy.name == cn
    assert builtin_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess") is None
    assert (
        builtin_managed_policy("arn:aws:iam::111122223333:policy/AmazonSSMManagedInstanceCore")
        is None
    )


def test_source_is_recorded() -> None:
    data = json.loads(
        resources.files("ssmreach").joinpath("data", "aws_managed_policies.json").read_text()
    )
    assert data["retrieved"] and "moto" in data["source"]
    assert data["retrieved"] in BUILTIN_SOURCE and "moto" in BUILTIN_SOURCE
    assert data["versions"][LEGACY]["deprecated"] is True
