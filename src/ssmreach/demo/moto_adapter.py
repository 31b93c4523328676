"""Where the embedded AWS (moto) answers differently from AWS, and how the demo corrects it.

Only the demo uses this module; the analysis never knows it runs on moto. Each fix
names the moto gap it closes (see the moto coverage notes):

- `ssm:DescribeInstanceInformation` and `ssm:GetServiceSetting` are not implemented:
  answered by botocore `before-call` hooks from the instances moto holds (every
  instance with an instance profile is a managed node running a current agent;
  Default Host Management Configuration is off).
- `ssm:ListAssociations` is not implemented: answered with no associations (the demo
  creates none); so are `ssm:DescribeActivations` and
  `directconnect:DescribeDirectConnectGateways` (the demo has no hybrid nodes).
- `ec2:ModifyVpcEndpoint` ignores `PrivateDnsEnabled`: the hook applies it to moto's
  endpoint before the call goes through.
- The VPC default security group lacks its rule admitting its own members: added.
- Endpoint network interfaces get random addresses outside their subnets: the
  collected `DescribeNetworkInterfaces` answer is rewritten with addresses inside them.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import boto3

from ssmreach.model.raw import OperationKey, RawOk, RawSnapshot

AGENT_VERSION = "3.3.1142.0"
DHMC_SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"


class _Http:
    status_code = 200
    headers: dict[str, str] = {}  # noqa: RUF012


def _ec2_backend(account: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def _instance_information(account: str, region: str) -> dict[str, Any]:
    backend = _ec2_backend(account, region)
    managed = []
    for reservation in backend.reservations.values():
        for inst in reservation.instances:
            if inst.instance_state.name != "running" or not getattr(
                inst, "iam_instance_profile", None
            ):
                continue
            managed.append(
                {
                    "InstanceId": inst.id,
                    "PingStatus": "Online",
                    "AgentVersion": AGENT_VERSION,
                    "IsLatestVersion": True,
                    "PlatformType": "Linux",
                    "PlatformName": "Amazon Linux",
                    "PlatformVersion": "2023",
                    "ResourceType": "EC2Instance",
                    "IPAddress": inst.private_ip,
                }
            )
    return {"InstanceInformationList": managed}


def session_factory(account: str, region: str) -> Any:
    """A `boto3.Session` factory whose clients get the demo's corrections (one Region)."""

    def factory(*args: Any, **kwargs: Any) -> boto3.Session:
        session = boto3.Session(*args, **kwargs)
        events: Any = session.events

        def describe_info(**_: Any) -> tuple[_Http, dict[str, Any]]:
            return _Http(), _instance_information(account, region)

        def service_setting(params: dict[str, Any], **_: Any) -> tuple[_Http, dict[str, Any]]:
            setting = params.get("SettingId", DHMC_SETTING)
            return _Http(), {
                "ServiceSetting": {
                    "SettingId": setting,
                    "SettingValue": "$None",
                    "Status": "Default",
                }
            }

        def private_dns(params: dict[str, Any], **_: Any) -> None:
            if "PrivateDnsEnabled" in params:
                endpoint = _ec2_backend(account, region).vpc_end_points.get(params["VpcEndpointId"])
                if endpoint is not None:
                    endpoint.private_dns_enabled = bool(params["PrivateDnsEnabled"])

        events.register("before-call.ssm.DescribeInstanceInformation", describe_info)
        events.register("before-call.ssm.GetServiceSetting", service_setting)
        events.register(
            "before-call.ssm.ListAssociations", lambda **_: (_Http(), {"Associations": []})
        )
        events.register(
            "before-call.ssm.DescribeActivations", lambda **_: (_Http(), {"ActivationList": []})
        )
        events.register(
            "before-call.directconnect.DescribeDirectConnectGateways",
            lambda **_: (_Http(), {"directConnectGateways": []}),
        )
        events.register("before-parameter-build.ec2.ModifyVpcEndpoint", private_dns)
        return session

    return factory


def add_default_group_self_rules(ec2: Any) -> None:
    """Give every VPC default group the self-referencing inbound rule AWS creates."""
    for group in ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]:
        if any(p.get("UserIdGroupPairs") for p in group.get("IpPermissions", [])):
            continue
        ec2.authorize_security_group_ingress(
            GroupId=group["GroupId"],
            IpPermissions=[
                {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group["GroupId"]}]}
            ],
        )


def correct_snapshot(raw: RawSnapshot) -> RawSnapshot:
    """Give endpoint network interfaces addresses inside their subnets, as AWS does."""
    files = dict(raw.files)
    for key, content in raw.files.items():
        if key.operation != "DescribeNetworkInterfaces" or not isinstance(content, RawOk):
            continue
        endpoints_key = OperationKey(key.account, key.region, "ec2", "DescribeVpcEndpoints")
        subnets_key = OperationKey(key.account, key.region, "ec2", "DescribeSubnets")
        endpoints, subnets = files.get(endpoints_key), files.get(subnets_key)
        if not isinstance(endpoints, RawOk) or not isinstance(subnets, RawOk):
            continue
        endpoint_enis = {
            eni
            for ep in json.loads(endpoints.body)["VpcEndpoints"]
            for eni in ep.get("NetworkInterfaceIds", [])
        }
        cidrs = {s["SubnetId"]: s["CidrBlock"] for s in json.loads(subnets.body)["Subnets"]}
        body = json.loads(content.body)
        used: dict[str, int] = {}
        for eni in body["NetworkInterfaces"]:
            cidr = cidrs.get(eni.get("SubnetId", ""))
            if eni["NetworkInterfaceId"] not in endpoint_enis or cidr is None:
                continue
            net = ipaddress.ip_network(cidr)
            used[cidr] = used.get(cidr, 200) + 1
            address = str(net.network_address + used[cidr])
            eni["PrivateIpAddress"] = address
            eni["PrivateIpAddresses"] = [{"PrivateIpAddress": address, "Primary": True}]
        files[key] = RawOk(json.dumps(body).encode())
    return RawSnapshot(manifest=raw.manifest, files=files, source=raw.source)
