"""Instances, NAT gateways and internet gateways as the API records they become.

A planned instance has no SSM agent yet, so it is in no `DescribeInstanceInformation`
answer: what depends on the agent stays UNKNOWN, as for any instance SSM has not seen.
Its instance profile is named in Terraform (`iam_instance_profile`) and written as the
ARN `DescribeInstances` returns.
"""

from __future__ import annotations

from typing import Any

from ssmreach.preview.context import Context, before_id, drop, tags_of, upsert
from ssmreach.preview.plan_document import ResourceChange


def instance(ctx: Context, change: ResourceChange, instance_id: str) -> None:
    reservations = ctx.edit("DescribeInstances", change.address)
    if reservations is None:
        return
    subnet_id = ctx.resolver.scalar(change, "subnet_id")
    subnet = ctx.find("DescribeSubnets", "SubnetId", subnet_id or "")
    groups = ctx.resolver.values(change, "vpc_security_group_ids")
    if not groups and subnet is not None:
        groups = [
            str(g["GroupId"])
            for g in ctx.records.items(ctx.region, "ec2", "DescribeSecurityGroups")
            if g.get("VpcId") == subnet.get("VpcId") and g.get("GroupName") == "default"
        ]
    record: dict[str, Any] = {
        "InstanceId": instance_id,
        "State": {"Name": "running"},
        "SubnetId": subnet_id,
        "VpcId": subnet.get("VpcId") if subnet else None,
        "Placement": {"AvailabilityZone": subnet.get("AvailabilityZone") if subnet else None},
        "SecurityGroups": [{"GroupId": g} for g in groups],
        "Tags": tags_of(change),
    }
    if change.value.get("private_ip"):
        record["PrivateIpAddress"] = change.value["private_ip"]
    profile = ctx.resolver.scalar(change, "iam_instance_profile")
    if profile:
        record["IamInstanceProfile"] = {
            "Arn": f"arn:{ctx.partition}:iam::{ctx.account}:instance-profile/{profile}"
        }
    options = (change.value.get("metadata_options") or [{}])[0] or {}
    known = {
        "HttpEndpoint": options.get("http_endpoint"),
        "HttpTokens": options.get("http_tokens"),
        "HttpPutResponseHopLimit": options.get("http_put_response_hop_limit"),
    }
    if any(v is not None for v in known.values()):
        record["MetadataOptions"] = {k: v for k, v in known.items() if v is not None}
    for reservation in reservations:
        reservation["Instances"] = [
            i for i in reservation.get("Instances", []) if i.get("InstanceId") != instance_id
        ]
    reservations.append({"Instances": [{k: v for k, v in record.items() if v is not None}]})


def remove_instance(ctx: Context, change: ResourceChange) -> None:
    for reservation in ctx.edit("DescribeInstances", change.address) or []:
        drop(reservation.get("Instances"), "InstanceId", before_id(change))


def nat_gateway(ctx: Context, change: ResourceChange, nat_id: str) -> None:
    gateways = ctx.edit("DescribeNatGateways", change.address)
    if gateways is None:
        return
    subnet_id = ctx.resolver.scalar(change, "subnet_id")
    subnet = ctx.find("DescribeSubnets", "SubnetId", subnet_id or "")
    upsert(
        gateways,
        "NatGatewayId",
        nat_id,
        {
            "SubnetId": subnet_id,
            "VpcId": subnet.get("VpcId") if subnet else None,
            "State": "available",
            "ConnectivityType": change.value.get("connectivity_type") or "public",
        },
    )


def remove_nat_gateway(ctx: Context, change: ResourceChange) -> None:
    drop(ctx.edit("DescribeNatGateways", change.address), "NatGatewayId", before_id(change))


def internet_gateway(ctx: Context, change: ResourceChange, igw_id: str) -> None:
    gateways = ctx.edit("DescribeInternetGateways", change.address)
    if gateways is None:
        return
    vpc_id = ctx.resolver.scalar(change, "vpc_id")
    attachments = [{"VpcId": vpc_id, "State": "available"}] if vpc_id else []
    upsert(
        gateways, "InternetGatewayId", igw_id, {"Attachments": attachments, "Tags": tags_of(change)}
    )


def igw_attachment(ctx: Context, change: ResourceChange, _: str) -> None:
    igw_id = ctx.resolver.scalar(change, "internet_gateway_id")
    gateway = ctx.target(
        "DescribeInternetGateways", "InternetGatewayId", igw_id, change, "internet gateway"
    )
    if gateway is None:
        return
    gateway["Attachments"] = [
        {"VpcId": ctx.resolver.scalar(change, "vpc_id"), "State": "available"}
    ]


def remove_internet_gateway(ctx: Context, change: ResourceChange) -> None:
    drop(
        ctx.edit("DescribeInternetGateways", change.address), "InternetGatewayId", before_id(change)
    )


def remove_igw_attachment(ctx: Context, change: ResourceChange) -> None:
    igw_id = (change.change.before or {}).get("internet_gateway_id")
    gateway = ctx.find("DescribeInternetGateways", "InternetGatewayId", igw_id or "")
    if gateway is not None and ctx.edit("DescribeInternetGateways", change.address) is not None:
        gateway["Attachments"] = []
