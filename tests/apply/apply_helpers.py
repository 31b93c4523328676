"""The moto server of the apply tests and the boto3 sessions that adapt moto to AWS.

moto quirks are adapted here, never in src/ (shared/reference/moto-coverage.md):
- `DescribeInstanceInformation` is missing: answered by a `before-call` hook;
- `ListAssociations` is missing: answered with no associations (the tests create none);
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
from typing import Any, Final

import boto3
import boto3.session
import pytest
import requests
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from ssmreach.apply import ApplyOptions, apply_plan, client_factory, state_reader
from ssmreach.plan import Plan, make_plan

REGION: Final = "us-east-1"


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
        "before-call.ssm.ListAssociations": lambda **_: (_Http(), {"Associations": []}),
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


def refuse_dry_runs(params: dict[str, Any], **_: Any) -> None:
    """moto ignores DryRun on some calls (CreateVpcEndpoint creates the endpoint): answer
    every EC2 request that carries DryRun=True the way AWS does when it would succeed."""
    if params.get("DryRun"):
        raise ClientError(
            {"Error": {"Code": "DryRunOperation", "Message": "would succeed"}}, "dry run"
        )
