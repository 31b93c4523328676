"""apply against moto in server mode: plan from a collected snapshot, apply, re-collect, re-check.

moto quirks are adapted in `apply_helpers`, never in src/ (shared/reference/moto-coverage.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from apply.apply_helpers import REGION, apply, aws, broken_estate, plan_now, refuse_dry_runs, server
from ssmreach.analysis.verdict import Verdict
from ssmreach.apply import PlanStaleError

__all__ = ["aws", "server"]  # the moto fixtures

WRITES = (
    "Create",
    "Delete",
    "Modify",
    "Authorize",
    "Revoke",
    "Associate",
    "Disassociate",
    "Change",
)


def test_apply_fixes_the_estate_and_a_second_run_changes_nothing(aws: str) -> None:
    ids = broken_estate()
    plan = plan_now()
    assert [type(ch).__name__ for ch in plan.changes] == [
        "SetVpcAttribute",
        "CreateSecurityGroup",
        "AuthorizeIngress",
        "CreateInterfaceEndpoint",
        "ModifyEndpointSecurityGroups",
        "CreateGatewayEndpoint",
    ]
    result = apply(plan)
    assert result.ok and not result.stale and result.changed == len(plan.changes)
    assert result.before is not None and result.after is not None
    assert result.before.count(Verdict.PRIVATE) < len(result.before.results)
    assert {r.verdict for r in result.after.results} == {Verdict.PRIVATE}

    ec2 = boto3.client("ec2", region_name=REGION)
    group = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["ssmreach-endpoints"]}]
    )["SecurityGroups"][0]
    assert {"Key": "ssmreach:managed", "Value": "true"} in group["Tags"]
    assert {"Key": "ssmreach:plan-id", "Value": plan.id} in group["Tags"]
    assert group["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "10.0.1.0/24"
    endpoints = {
        e["ServiceName"].rsplit(".", 1)[-1]: e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
    }
    assert endpoints["ssmmessages"]["PrivateDnsEnabled"] is True
    assert endpoints["ssmmessages"]["SubnetIds"] == [ids["ep"]]
    assert {"Key": "ssmreach:managed", "Value": "true"} in endpoints["ssmmessages"]["Tags"]
    assert group["GroupId"] in {g["GroupId"] for g in endpoints["ssm"]["Groups"]}
    assert endpoints["s3"]["RouteTableIds"] == [ids["rtb"]]
    assert "SsmreachAwsOwnedBuckets" in endpoints["s3"]["PolicyDocument"]
    hostnames = ec2.describe_vpc_attribute(VpcId=ids["vpc"], Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is True

    # idempotent: planning again from the new state gives an empty plan ...
    again = plan_now()
    assert again.empty
    # ... and forcing the old plan through again changes nothing
    count = len(ec2.describe_vpc_endpoints()["VpcEndpoints"])
    second = apply(plan, force=True, recheck=False)
    assert second.ok and second.stale and second.changed == 0
    assert {s.status for s in second.steps} == {"skipped"}  # a fresh plan holds none
    assert len(ec2.describe_vpc_endpoints()["VpcEndpoints"]) == count


def test_a_failing_step_rolls_back_what_this_run_created(aws: str) -> None:
    ids = broken_estate()
    plan = plan_now()
    writes = {"n": 0}

    def fail_third_write(model: Any, **_: Any) -> None:
        if model.name.startswith(WRITES):
            writes["n"] += 1
            if writes["n"] == 3:
                raise ClientError(
                    {"Error": {"Code": "InternalError", "Message": "injected"}}, model.name
                )

    ec2 = boto3.client("ec2", region_name=REGION)
    groups_before = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    result = apply(plan, {"before-call.ec2": fail_third_write})
    assert not result.ok
    assert result.failed is not None and result.failed.change_id.startswith("ingress/")
    assert "injected" in result.failed.note
    # created: the VPC attribute (1st write) and the group (2nd); both undone, newest first
    assert len(result.rolled_back) == 2
    assert result.rolled_back[0].startswith("delete security group")
    assert result.rolled_back[1].startswith("set enableDnsHostnames back")
    assert not result.left
    assert {s.status for s in result.steps} == {"rolled-back", "failed", "not-run"}
    assert {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]} == groups_before
    hostnames = ec2.describe_vpc_attribute(VpcId=ids["vpc"], Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is False
    assert len(ec2.describe_vpc_endpoints()["VpcEndpoints"]) == 1
    assert result.after is not None and result.after.count(Verdict.PRIVATE) < len(
        result.after.results
    )


@pytest.mark.parametrize(
    ("fault", "note"),
    [
        (
            lambda: EndpointConnectionError(endpoint_url="https://ec2.us-east-1.amazonaws.com"),
            "Could not connect",
        ),
        (lambda: ConnectionResetError(104, "Connection reset by peer"), "reset by peer"),
        (lambda: ValueError("something no handler expects"), "no handler expects"),
        (lambda: KeyboardInterrupt(), "interrupted"),
    ],
    ids=["no-connection", "connection-reset", "any-exception", "ctrl-c"],
)
def test_every_failure_path_rolls_back(
    aws: str, fault: Callable[[], BaseException], note: str
) -> None:
    """Fault injection on the third write: whatever the failure, what this run made is undone."""
    ids = broken_estate()
    plan = plan_now()
    writes = {"n": 0}

    def fail_third_write(model: Any, **_: Any) -> None:
        if model.name.startswith(WRITES):
            writes["n"] += 1
            if writes["n"] == 3:
                raise fault()

    ec2 = boto3.client("ec2", region_name=REGION)
    groups_before = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    result = apply(plan, {"before-call.ec2": fail_third_write})
    assert not result.ok and result.failed is not None
    assert note in result.failed.note
    assert len(result.rolled_back) == 2 and not result.left
    assert {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]} == groups_before
    hostnames = ec2.describe_vpc_attribute(VpcId=ids["vpc"], Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is False


def test_an_interruption_while_an_endpoint_is_being_waited_for_deletes_it(aws: str) -> None:
    broken_estate()
    plan = plan_now()

    def interrupt_wait(model: Any, **_: Any) -> None:
        if model.name == "DescribeVpcEndpoints" and any(
            type(c).__name__ == "CreateInterfaceEndpoint" for c in plan.changes
        ):
            created = boto3.client("ec2", region_name=REGION).describe_vpc_endpoints()
            if any(
                t["Key"] == "ssmreach:managed"
                for e in created["VpcEndpoints"]
                for t in e.get("Tags", [])
            ):
                raise KeyboardInterrupt

    ec2 = boto3.client("ec2", region_name=REGION)

    def live() -> list[str]:
        return [
            e["VpcEndpointId"]
            for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
            if e["State"].lower() not in ("deleted", "deleting")
        ]

    before = live()
    result = apply(plan, {"before-call.ec2.DescribeVpcEndpoints": interrupt_wait})
    assert not result.ok and result.failed is not None and "interrupted" in result.failed.note
    assert live() == before
    assert not result.left


def test_dry_run_changes_nothing_and_a_stale_plan_is_refused(aws: str) -> None:
    ids = broken_estate()
    plan = plan_now()
    ec2 = boto3.client("ec2", region_name=REGION)
    before = (
        len(ec2.describe_vpc_endpoints()["VpcEndpoints"]),
        len(ec2.describe_security_groups()["SecurityGroups"]),
    )
    result = apply(plan, {"provide-client-params.ec2": refuse_dry_runs}, dry_run=True)
    assert result.ok and result.dry_run and result.after is None
    assert {s.status for s in result.steps} == {"dry-run"}
    notes = {s.change_id.split("/")[0]: s.note for s in result.steps}
    assert notes["security-group"] == "dry run: would succeed"
    assert "no dry-run flag" in notes["vpc-attribute"]
    after = (
        len(ec2.describe_vpc_endpoints()["VpcEndpoints"]),
        len(ec2.describe_security_groups()["SecurityGroups"]),
    )
    assert after == before
    # the account moves on: the plan no longer fits
    ec2.create_security_group(GroupName="someone-else", Description="x", VpcId=ids["vpc"])
    with pytest.raises(PlanStaleError, match="plan again, or pass --force"):
        apply(plan)
