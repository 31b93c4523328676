"""Estates of growing size built through boto3 against in-process moto, and a counter of
the calls a collection sends, per operation (for the collector's scale tests)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from collect.moto_estate import REGION


@dataclass(frozen=True, slots=True)
class Size:
    """How many of each resource an estate has: per VPC a subnet, a security group, a
    route table, a network ACL and a private hosted zone with `records` records; `vpcs`
    managed prefix lists and transit gateway route tables; `reservations` instances."""

    vpcs: int
    reservations: int
    records: int

    @property
    def label(self) -> str:
        return f"{self.vpcs}-vpcs-{self.reservations}-instances"


def build_scaled_estate(size: Size) -> None:
    """Create the resources of `size` in the test account (moto adds a default VPC)."""
    ec2 = boto3.client("ec2", region_name=REGION)
    r53 = boto3.client("route53", region_name=REGION)
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    for n in range(size.vpcs):
        vpc = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"]
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n}.1.0/24")
        ec2.create_security_group(GroupName=f"app-{n}", Description="app", VpcId=vpc)
        ec2.create_route_table(VpcId=vpc)
        ec2.create_network_acl(VpcId=vpc)
        ec2.create_managed_prefix_list(
            PrefixListName=f"corp-{n}",
            MaxEntries=5,
            AddressFamily="IPv4",
            Entries=[{"Cidr": f"192.168.{n}.0/24"}],
        )
        ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)
        zone = r53.create_hosted_zone(
            Name=f"zone{n}.internal",
            CallerReference=f"zone-{n}",
            HostedZoneConfig={"PrivateZone": True, "Comment": "private"},
            VPC={"VPCRegion": REGION, "VPCId": vpc},
        )["HostedZone"]["Id"]
        _add_records(r53, zone, f"zone{n}.internal", size.records)
    for _ in range(size.reservations):
        ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)


def build_scaled_org(accounts: int) -> dict[str, int]:
    """An organization of `accounts` ACTIVE accounts (the caller's, moto's default, and
    `accounts - 1` members): member `n` gets one VPC with a subnet and `n % 8` instances,
    one a reservation, read through the role moto's STS hands out for any ARN. Returns the
    instances per account (the caller's has none)."""
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    sts = boto3.client("sts", region_name=REGION)
    instances: dict[str, int] = {}
    for n in range(1, accounts):
        account = org.create_account(Email=f"m{n}@example.com", AccountName=f"member{n}")[
            "CreateAccountStatus"
        ]["AccountId"]
        c = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/builder", RoleSessionName="builder"
        )["Credentials"]
        ec2 = boto3.client(
            "ec2",
            region_name=REGION,
            aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"],
        )
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        for _ in range(n % 8):
            ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnet)
        instances[account] = n % 8
    return instances


def _add_records(r53: Any, zone: str, domain: str, count: int) -> None:
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"host{i}.{domain}",
                "Type": "A",
                "TTL": 60,
                "ResourceRecords": [{"Value": f"10.0.0.{i % 250 + 1}"}],
            },
        }
        for i in range(count)
    ]
    if changes:
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})


@dataclass
class CallCounter:
    """Counts the calls sent, per `service:Operation`, from botocore's `before-call` event
    (once per call; retries of a call are not counted again)."""

    sent: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self) -> Callable[..., None]:
        def count(model: Any, **_: Any) -> None:
            with self._lock:
                self.sent[f"{model.service_model.service_name}:{model.name}"] += 1

        return count

    def __getitem__(self, api: str) -> int:
        return self.sent[api]
