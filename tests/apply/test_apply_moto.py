"""apply against moto in server mode: plan from a collected snapshot, apply, re-collect, re-check.

moto quirks are adapted here, never in src/ (shared/reference/moto-coverage.md):
- `DescribeInstanceInformation` is missing: answered by a `before-call` hook;
- endpoint network interfaces get random 10.x addresses outside their subnet: an
  `after-call` hook on `DescribeNetworkInterfaces` moves them into their subnet;
- managed IAM policies are not loaded: the role gets an inline policy.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import boto3.session
import pytest
import requests
from botocore.exceptions import ClientError, EndpointConnectionError
from moto.server import ThreadedMotoServer

from ssmreach.analysis.verdict import Verdict
from ssmreach.apply import (
    ApplyOptions,
    PlanStaleError,
    apply_plan,
    client_factory,
    state_reader,
)
from ssmreach.plan import Plan, make_plan

REGION = "us-east-1"
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


_SERVICES: dict[str, dict[str, Any]] = {}


class _Http:
    def __init__(self) -> None:
        self.status_code = 200
        self.headers: dict[str, str] = {}
        self.content = b""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    yield f"http://{host}:{port}"
    srv.stop()


@pytest.fixture
def aws(server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    requests.post(f"{server}/moto-api/reset", timeout=10)
    return server


def broken_estate() -> dict[str, str]:
    """One VPC (DNS hostnames off), an app subnet and an endpoint subnet, one instance with a
    profile, an ssm endpoint created without a group (the VPC default group), no
    ssmmessages endpoint, no S3 gateway."""
    ec2 = boto3.client("ec2", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    app = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")[
        "Subnet"
    ]["SubnetId"]
    ep = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.11.0/24", AvailabilityZone=f"{REGION}a")[
        "Subnet"
    ]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for subnet in (app, ep):
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="ssm-node", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="ssm-node",
        PolicyName="ssm",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ssm:*", "ssmmessages:*", "ec2messages:*", "s3:GetObject"],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    iam.create_instance_profile(InstanceProfileName="ssm-node")
    iam.add_role_to_instance_profile(InstanceProfileName="ssm-node", RoleName="ssm-node")
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=app,
        SecurityGroupIds=[sg],
        IamInstanceProfile={"Name": "ssm-node"},
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
    )["Instances"][0]["InstanceId"]
    ssm = ec2.create_vpc_endpoint(
        VpcEndpointType="Interface",
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{REGION}.ssm",
        SubnetIds=[ep],
        PrivateDnsEnabled=True,
    )["VpcEndpoint"]["VpcEndpointId"]
    return {
        "vpc": vpc,
        "app": app,
        "ep": ep,
        "rtb": rtb,
        "sg": sg,
        "instance": instance,
        "ssm": ssm,
    }


def session_factory(extra: dict[str, Callable[..., Any]] | None = None) -> Callable[..., Any]:
    """boto3 sessions with the moto adaptations (and `extra` event handlers)."""

    def instance_information(**_: Any) -> tuple[_Http, dict[str, Any]]:
        ec2 = boto3.client("ec2", region_name=REGION)
        ids = [
            i["InstanceId"]
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
        ]
        info = [
            {
                "InstanceId": i,
                "PingStatus": "Online",
                "AgentVersion": "3.3.1142.0",
                "PlatformType": "Linux",
                "PlatformName": "Amazon Linux",
                "PlatformVersion": "2023",
                "ResourceType": "EC2Instance",
            }
            for i in ids
        ]
        return _Http(), {"InstanceInformationList": info, "ResponseMetadata": {}}

    def fix_endpoint_addresses(parsed: dict[str, Any], **_: Any) -> None:
        ec2 = boto3.client("ec2", region_name=REGION)
        cidrs = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets()["Subnets"]}
        for n, eni in enumerate(parsed.get("NetworkInterfaces", [])):
            cidr = cidrs.get(eni.get("SubnetId", ""))
            if cidr and ipaddress.ip_address(eni["PrivateIpAddress"]) not in ipaddress.ip_network(
                cidr
            ):
                eni["PrivateIpAddress"] = str(ipaddress.ip_network(cidr).network_address + 200 + n)
                eni["PrivateIpAddresses"] = [
                    {"PrivateIpAddress": eni["PrivateIpAddress"], "Primary": True}
                ]

    def default_endpoint_groups(parsed: dict[str, Any], **_: Any) -> None:
        # moto omits Groups for an interface endpoint created without one; AWS lists the
        # VPC default group it gets.
        ec2 = boto3.client("ec2", region_name=REGION)
        for endpoint in parsed.get("VpcEndpoints", []):
            if endpoint.get("VpcEndpointType") == "Interface" and "Groups" not in endpoint:
                default = ec2.describe_security_groups(
                    Filters=[
                        {"Name": "vpc-id", "Values": [endpoint["VpcId"]]},
                        {"Name": "group-name", "Values": ["default"]},
                    ]
                )["SecurityGroups"]
                endpoint["Groups"] = [
                    {"GroupId": g["GroupId"], "GroupName": "default"} for g in default
                ]

    def cached_services(
        params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[_Http, dict[str, Any]] | None:
        context["ssmreach_services_key"] = str(params.get("body"))
        found = _SERVICES.get(context["ssmreach_services_key"])
        return (_Http(), copy.deepcopy(found)) if found is not None else None

    def keep_services(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # after-call handlers get no request parameters: the key comes from before-call
        key = context.get("ssmreach_services_key")
        if key is not None and "Error" not in parsed:
            _SERVICES.setdefault(key, copy.deepcopy(parsed))

    handlers: dict[str, Callable[..., Any]] = {
        "before-call.ssm.DescribeInstanceInformation": instance_information,
        "after-call.ec2.DescribeNetworkInterfaces": fix_endpoint_addresses,
        "after-call.ec2.DescribeVpcEndpoints": default_endpoint_groups,
        # speed only: the endpoint-service catalogue never changes, and moto takes ~1 s for it
        "before-call.ec2.DescribeVpcEndpointServices": cached_services,
        "after-call.ec2.DescribeVpcEndpointServices": keep_services,
        **(extra or {}),
    }

    def factory(**kwargs: Any) -> Any:
        session = boto3.session.Session(**kwargs)
        for event, handler in handlers.items():
            session.events.register(event, handler)
        return session

    return factory


def plan_now(
    features: tuple[str, ...] = (
        "core",
        "run-command",
        "session-manager",
        "patch-manager",
        "agent-update",
    ),
) -> Plan:
    from ssmreach.plan import PlanOptions

    estate = state_reader([REGION], session_factory=session_factory())()
    return make_plan(estate, options=PlanOptions(features=features))


def apply(plan: Plan, extra: dict[str, Callable[..., Any]] | None = None, **options: Any) -> Any:
    factory = session_factory(extra)
    return apply_plan(
        plan,
        state_reader([REGION], session_factory=factory),
        client_factory(session_factory=factory),
        ApplyOptions(poll=0.05, **options),
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


def refuse_dry_runs(params: dict[str, Any], **_: Any) -> None:
    """moto ignores DryRun on some calls (CreateVpcEndpoint creates the endpoint): answer
    every EC2 request that carries DryRun=True the way AWS does when it would succeed."""
    if params.get("DryRun"):
        raise ClientError(
            {"Error": {"Code": "DryRunOperation", "Message": "would succeed"}}, "dry run"
        )


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
