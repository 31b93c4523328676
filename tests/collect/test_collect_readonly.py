"""The read-only guard: what it allows, that it stops a write, and what a collection sends."""

from __future__ import annotations

import boto3
import pytest

from collect.collect_helpers import aws_env, moto  # noqa: F401
from collect.moto_estate import REGION
from ssmreach.collect import calls as calls_module
from ssmreach.collect import collect_snapshot
from ssmreach.collect.calls import ApiCall
from ssmreach.collect.readonly import ReadOnlyViolation, install_guard, is_read_only
from ssmreach.collect.session import identify
from ssmreach.errors import CollectError


@pytest.mark.parametrize(
    ("service", "operation", "allowed"),
    [
        ("ec2", "DescribeVpcs", True),
        ("ec2", "GetManagedPrefixListEntries", True),
        ("ec2", "SearchTransitGatewayRoutes", True),
        ("route53resolver", "ListResolverRules", True),
        ("sts", "GetCallerIdentity", True),
        ("sts", "AssumeRole", True),
        ("ec2", "CreateVpc", False),
        ("ec2", "ModifyVpcAttribute", False),
        ("ec2", "AuthorizeSecurityGroupEgress", False),
        ("ec2", "RunInstances", False),
        ("ssm", "UpdateServiceSetting", False),
        ("ssm", "SendCommand", False),
        ("iam", "AttachRolePolicy", False),
        ("ec2", "AssumeRole", False),  # the exception is for STS only
        ("sts", "AssumeRoleWithWebIdentity", False),
        # reads that the collector does not make are refused too: exact names only
        ("secretsmanager", "GetSecretValue", False),
        ("ec2", "GetPasswordData", False),
        ("ssm", "GetParameter", False),
        ("ec2", "DescribeImages", False),
        ("kms", "DescribeKey", True),
    ],
)
def test_only_reads_are_allowed(service: str, operation: str, allowed: bool) -> None:
    assert is_read_only(service, operation) is allowed


@pytest.mark.usefixtures("moto")
def test_a_collector_client_refuses_a_write() -> None:
    account = identify(boto3.Session(), REGION)
    ec2 = account.client("ec2", REGION)
    before = len(ec2.describe_vpcs()["Vpcs"])
    with pytest.raises(ReadOnlyViolation) as caught:
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
    assert isinstance(caught.value, CollectError)
    assert "ec2:CreateVpc" in caught.value.message
    assert len(boto3.client("ec2", region_name=REGION).describe_vpcs()["Vpcs"]) == before
    install_guard(ec2)  # idempotent
    with pytest.raises(ReadOnlyViolation):
        ec2.modify_vpc_attribute(VpcId="vpc-1", EnableDnsSupport={"Value": False})


@pytest.mark.usefixtures("moto")
def test_a_secret_reading_call_is_refused_before_it_is_sent() -> None:
    account = identify(boto3.Session(), REGION)
    with pytest.raises(ReadOnlyViolation, match="ec2:GetPasswordData"):
        account.client("ec2", REGION).get_password_data(InstanceId="i-0123456789abcdef0")


@pytest.mark.usefixtures("moto")
def test_a_write_in_the_table_stops_the_collection_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = ApiCall("ec2", "CreateVpc", "ec2:CreateVpc", params={"CidrBlock": "10.9.0.0/16"})
    monkeypatch.setattr(calls_module, "CALLS", (bad,))
    with pytest.raises(ReadOnlyViolation):
        collect_snapshot([REGION])
    vpcs = boto3.client("ec2", region_name=REGION).describe_vpcs()["Vpcs"]
    assert all(v["CidrBlock"] != "10.9.0.0/16" for v in vpcs)


# A full collection that records every operation it sends (all reads) is part of
# test_collect_moto.py::test_estate_is_collected_into_every_file_of_the_spec.
