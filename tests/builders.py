"""A small builder of estates in raw AWS response shapes, for tests.

It writes exactly what `ssmreach snapshot` writes (the snapshot spec), in memory:
`builder.raw()` is a `RawSnapshot`, `builder.estate()` the parsed `Estate`, and
`builder.write(folder)` a snapshot folder. Defaults follow AWS: a new VPC has a
main route table with the local route, a default network ACL that allows all, and
a default security group that admits its own members and allows all egress.
"""

from __future__ import annotations

import itertools
import json
import uuid
from pathlib import Path
from typing import Any, TypedDict

import msgspec

from ssmreach.model.estate import Estate
from ssmreach.model.raw import (
    FORMAT,
    Manifest,
    OperationKey,
    RawError,
    RawOk,
    RawSnapshot,
    write_raw_snapshot,
)
from ssmreach.model.reader import parse_snapshot

CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ALL_TCP = {
    "IpProtocol": "-1",
    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    "Ipv6Ranges": [],
    "PrefixListIds": [],
    "UserIdGroupPairs": [],
}
S3_CIDRS = ["52.216.0.0/15", "54.231.0.0/16", "3.5.0.0/19"]


class VpcOptions(TypedDict, total=False):
    """The keyword options of `EstateBuilder.vpc` (for helpers that pass them on)."""

    dns_support: bool | None
    dns_hostnames: bool | None
    dhcp_servers: list[str] | None
    default_sg_self_rule: bool


class RoleOptions(TypedDict, total=False):
    """The keyword options of `EstateBuilder.role`."""

    managed: list[str] | None
    inline: dict[str, dict[str, Any]] | None
    boundary: str | None
    profile: bool


class InstanceOptions(TypedDict, total=False):
    """The keyword options of `EstateBuilder.instance`."""

    agent: str | None
    platform: str
    platform_name: str
    platform_version: str
    imds: str
    public_ip: str | None
    ping: str
    ip: str | None
    tags: dict[str, str] | None


def uuid_like(seed: str) -> uuid.UUID:
    """A stable key id for a key asked for by alias or ARN."""
    return uuid.uuid5(uuid.NAMESPACE_URL, seed)


def tcp(
    port: int | tuple[int, int] = 443,
    *,
    cidr: str | None = None,
    group: str | None = None,
    prefix_list: str | None = None,
    cidr6: str | None = None,
) -> dict[str, Any]:
    lo, hi = (port, port) if isinstance(port, int) else port
    return {
        "IpProtocol": "tcp",
        "FromPort": lo,
        "ToPort": hi,
        "IpRanges": [{"CidrIp": cidr}] if cidr else [],
        "Ipv6Ranges": [{"CidrIpv6": cidr6}] if cidr6 else [],
        "PrefixListIds": [{"PrefixListId": prefix_list}] if prefix_list else [],
        "UserIdGroupPairs": [{"GroupId": group}] if group else [],
    }


def nacl_entry(
    number: int,
    action: str,
    *,
    egress: bool,
    cidr: str = "0.0.0.0/0",
    ports: tuple[int, int] | None = None,
    protocol: str = "6",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "RuleNumber": number,
        "Protocol": protocol if ports else "-1",
        "RuleAction": action,
        "Egress": egress,
        ("Ipv6CidrBlock" if ":" in cidr else "CidrBlock"): cidr,
    }
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


class EstateBuilder:
    def __init__(self, account: str = "111122223333", region: str = "us-east-1") -> None:
        self.account = account
        self.region = region
        self._ids = itertools.count(1)
        self.vpcs: list[dict[str, Any]] = []
        self.vpc_attrs: list[dict[str, Any]] = []
        self.subnets: list[dict[str, Any]] = []
        self.route_tables: list[dict[str, Any]] = []
        self.sgs: list[dict[str, Any]] = []
        self.nacls: list[dict[str, Any]] = []
        self.enis: list[dict[str, Any]] = []
        self.endpoints: list[dict[str, Any]] = []
        self.dhcp: list[dict[str, Any]] = [self._dhcp_set("dopt-amazon", ["AmazonProvidedDNS"])]
        self.peerings: list[dict[str, Any]] = []
        self.nats: list[dict[str, Any]] = []
        self.igws: list[dict[str, Any]] = []
        self.eigws: list[dict[str, Any]] = []
        # DescribeVpcEndpointServices SupportedIpAddressTypes by service (absent: not listed)
        self.service_ip_types: dict[str, list[str]] = {}
        self.reservations: list[dict[str, Any]] = []
        self.info: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.policies: list[dict[str, Any]] = []
        self.zones: list[dict[str, Any]] = []
        self.zone_details: list[dict[str, Any]] = []
        self.zone_records: list[dict[str, Any]] = []
        self.rules: list[dict[str, Any]] = []
        self.rule_assocs: list[dict[str, Any]] = []
        self.tgw_attachments: list[dict[str, Any]] = []
        self.tgw_routes: dict[str, list[dict[str, Any]]] = {}
        self.tgws: list[str] = []
        self.managed_lists: dict[str, tuple[str, list[str]]] = {}  # id: (name, CIDRs)
        self.dhmc_role: str | None = None
        self.session_prefs: dict[str, Any] | None = None
        self.kms_keys: dict[str, dict[str, Any]] = {}  # by the KeyId asked for (kms_key())
        self.bucket_regions: dict[str, str] = {}  # a bucket -> its Region (default: ours)
        self.missing_buckets: set[str] = set()  # GetBucketLocation answers NoSuchBucket
        # Run Command commands and State Manager associations (`command()`, `association()`):
        # None writes no ListCommands / ListAssociations file at all (not collected).
        self.commands: list[dict[str, Any]] | None = None
        self.associations: list[dict[str, Any]] | None = None
        self.association_errors: dict[str, str] = {}  # association id -> DescribeAssociation error
        self.omitted: set[str] = set()
        self.denied: set[str] = set()
        # DescribeOrganization: an org id, None for "in no organization", "" for not collected.
        self.organization: str | None = ""
        self.services = ["ssm", "ssmmessages", "ec2messages", "ec2", "kms", "logs", "s3", "sts"]
        self.s3_pl = "pl-63a5400a"
        self._subnet_ips: dict[str, itertools.count[int]] = {}
        self._subnet_by_id: dict[str, dict[str, Any]] = {}

    # -- KMS --------------------------------------------------------------------------------
    def default_key_policy(self) -> dict[str, Any]:
        """AWS's default key policy: the account's IAM policies decide."""
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }

    def kms_key(
        self,
        asked: str,
        *,
        arn: str | None = None,
        state: str = "Enabled",
        policy: dict[str, Any] | None = None,
        grants: list[dict[str, Any]] | None = None,
        key_spec: str = "SYMMETRIC_DEFAULT",
    ) -> str:
        """A key that DescribeKey finds for `asked` (an id, ARN or alias); returns its ARN."""
        if arn is None:
            key_id = asked if not asked.startswith(("arn:", "alias/")) else str(uuid_like(asked))
            arn = (
                asked
                if asked.startswith("arn:")
                else f"arn:aws:kms:{self.region}:{self.account}:key/{key_id}"
            )
        self.kms_keys[asked] = {
            "metadata": {
                "Arn": arn,
                "KeyId": arn.rsplit("/", 1)[-1],
                "KeyState": state,
                "Enabled": state == "Enabled",
                "KeyManager": "CUSTOMER",
                "KeyUsage": "ENCRYPT_DECRYPT",
                "KeySpec": key_spec,
            },
            "policy": policy if policy is not None else self.default_key_policy(),
            "grants": grants or [],
        }
        return arn

    def _bucket_calls(self) -> list[dict[str, Any]]:
        """`GetBucketLocation` for the session log bucket and every output bucket."""
        buckets = {str((self.session_prefs or {}).get("s3BucketName") or "")}
        buckets |= {str(c.get("OutputS3BucketName") or "") for c in self.commands or ()}
        buckets |= {
            str(a["OutputLocation"]["S3Location"].get("OutputS3BucketName") or "")
            for a in self.associations or ()
            if "OutputLocation" in a
        }
        calls: list[dict[str, Any]] = []
        for bucket in sorted(buckets - {""}):
            if bucket in self.missing_buckets:
                error = {"Code": "NoSuchBucket", "Message": "The specified bucket does not exist"}
                calls.append({"Request": {"Bucket": bucket}, "Error": error})
                continue
            where = self.bucket_regions.get(bucket, self.region)
            constraint = None if where == "us-east-1" else where
            calls.append(
                {"Request": {"Bucket": bucket}, "Response": {"LocationConstraint": constraint}}
            )
        return calls

    # -- Run Command and State Manager output ---------------------------------------------------
    def command(
        self,
        bucket: str | None,
        *,
        instance_ids: list[str] | None = None,
        targets: list[tuple[str, list[str]]] | None = None,
        output_region: str | None = None,
        prefix: str | None = None,
        document: str = "AWS-RunShellScript",
    ) -> str:
        """A command of `ListCommands` writing its output to `bucket`; returns its id."""
        command_id = str(uuid_like(f"command-{next(self._ids)}"))
        record: dict[str, Any] = {
            "CommandId": command_id,
            "DocumentName": document,
            "InstanceIds": instance_ids or [],
            "Targets": [{"Key": k, "Values": v} for k, v in targets or ()],
            "OutputS3Region": output_region or "",
            "OutputS3BucketName": bucket or "",
            "OutputS3KeyPrefix": prefix or "",
            "Status": "Success",
        }
        self.commands = [*(self.commands or ()), record]
        return command_id

    def association(
        self,
        bucket: str | None,
        *,
        targets: list[tuple[str, list[str]]],
        output_region: str | None = None,
        prefix: str | None = None,
        document: str = "AWS-GatherSoftwareInventory",
    ) -> str:
        """A State Manager association (`ListAssociations`, `DescribeAssociation`) writing
        its output to `bucket` (None: no output location); returns its id."""
        association_id = str(uuid_like(f"association-{next(self._ids)}"))
        record: dict[str, Any] = {
            "AssociationId": association_id,
            "Name": document,
            "Targets": [{"Key": k, "Values": v} for k, v in targets],
        }
        if bucket is not None:
            location: dict[str, Any] = {"OutputS3BucketName": bucket}
            if output_region:
                location["OutputS3Region"] = output_region
            if prefix:
                location["OutputS3KeyPrefix"] = prefix
            record["OutputLocation"] = {"S3Location": location}
        self.associations = [*(self.associations or ()), record]
        return association_id

    def _output_files(self) -> dict[tuple[str, str], Any]:
        files: dict[tuple[str, str], Any] = {}
        if self.commands is not None:
            files[("ssm", "ListCommands")] = {"Commands": self.commands}
        if self.associations is not None:
            files[("ssm", "ListAssociations")] = {
                "Associations": [
                    {k: a[k] for k in ("AssociationId", "Name", "Targets")}
                    for a in self.associations
                ]
            }
            files[("ssm", "DescribeAssociation")] = [
                {"Request": {"AssociationId": a["AssociationId"]}}
                | (
                    {"Error": {"Code": code, "Message": "not described"}}
                    if (code := self.association_errors.get(a["AssociationId"]))
                    else {"Response": {"AssociationDescription": a}}
                )
                for a in self.associations
            ]
        return files

    def _kms_calls(self) -> dict[tuple[str, str], Any]:
        asked = str((self.session_prefs or {}).get("kmsKeyId") or "")
        if asked and asked not in self.kms_keys:
            self.kms_key(asked)
        keys = {k: v for k, v in self.kms_keys.items() if k == asked}
        own = [v for v in keys.values() if v["metadata"]["Arn"].split(":")[4] == self.account]
        return {
            ("kms", "DescribeKey"): [
                {"Request": {"KeyId": k}, "Response": {"KeyMetadata": v["metadata"]}}
                for k, v in keys.items()
            ],
            ("kms", "GetKeyPolicy"): [
                {
                    "Request": {"KeyId": v["metadata"]["Arn"], "PolicyName": "default"},
                    "Response": {"PolicyName": "default", "Policy": json.dumps(v["policy"])},
                }
                for v in own
            ],
            ("kms", "ListGrants"): [
                {"Request": {"KeyId": v["metadata"]["Arn"]}, "Response": {"Grants": v["grants"]}}
                for v in own
            ],
        }

    # -- ids --------------------------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):017x}"

    # -- network ----------------------------------------------------------------------------
    def vpc(
        self,
        cidr: str = "10.0.0.0/16",
        *,
        dns_support: bool | None = True,
        dns_hostnames: bool | None = True,
        dhcp_servers: list[str] | None = None,
        default_sg_self_rule: bool = True,
        ipv6_cidr: str | None = None,
    ) -> str:
        vpc_id = self._id("vpc")
        dopt = "dopt-amazon"
        if dhcp_servers is not None:
            dopt = self._id("dopt")
            self.dhcp.append(self._dhcp_set(dopt, dhcp_servers))
        self.vpcs.append(
            {
                "VpcId": vpc_id,
                "CidrBlock": cidr,
                "State": "available",
                "DhcpOptionsId": dopt,
                "OwnerId": self.account,
                "IsDefault": False,
                "CidrBlockAssociationSet": [
                    {"CidrBlock": cidr, "CidrBlockState": {"State": "associated"}}
                ],
            }
        )
        if ipv6_cidr:
            self.vpcs[-1]["Ipv6CidrBlockAssociationSet"] = [
                {"Ipv6CidrBlock": ipv6_cidr, "Ipv6CidrBlockState": {"State": "associated"}}
            ]
        for attr, value in (
            ("enableDnsSupport", dns_support),
            ("enableDnsHostnames", dns_hostnames),
        ):
            if value is None:
                continue
            key = "EnableDnsSupport" if attr == "enableDnsSupport" else "EnableDnsHostnames"
            self.vpc_attrs.append(
                {
                    "Request": {"VpcId": vpc_id, "Attribute": attr},
                    "Response": {"VpcId": vpc_id, key: {"Value": value}},
                }
            )
        self.route_tables.append(
            {
                "RouteTableId": self._id("rtb"),
                "VpcId": vpc_id,
                "Associations": [
                    {"Main": True, "RouteTableId": "", "AssociationState": {"State": "associated"}}
                ],
                "Routes": self._local_routes(vpc_id),
            }
        )
        sg_id = self._id("sg")
        self.sgs.append(
            {
                "GroupId": sg_id,
                "GroupName": "default",
                "VpcId": vpc_id,
                "OwnerId": self.account,
                "IpPermissions": [
                    {
                        "IpProtocol": "-1",
                        "IpRanges": [],
                        "Ipv6Ranges": [],
                        "PrefixListIds": [],
                        "UserIdGroupPairs": [{"GroupId": sg_id}],
                    }
                ]
                if default_sg_self_rule
                else [],
                "IpPermissionsEgress": [self._all_egress(vpc_id)],
            }
        )
        # With an IPv6 CIDR, AWS adds allow-all IPv6 entries to the default network ACL
        # (VPC user guide, "Default network ACL").
        v6 = (
            [
                nacl_entry(101, "allow", egress=False, cidr="::/0"),
                nacl_entry(32768, "deny", egress=False, cidr="::/0"),
                nacl_entry(101, "allow", egress=True, cidr="::/0"),
                nacl_entry(32768, "deny", egress=True, cidr="::/0"),
            ]
            if ipv6_cidr
            else []
        )
        self.nacls.append(
            {
                "NetworkAclId": self._id("acl"),
                "VpcId": vpc_id,
                "IsDefault": True,
                "Associations": [],
                "Entries": [
                    nacl_entry(100, "allow", egress=False),
                    nacl_entry(32767, "deny", egress=False),
                    nacl_entry(100, "allow", egress=True),
                    nacl_entry(32767, "deny", egress=True),
                    *v6,
                ],
            }
        )
        return vpc_id

    @staticmethod
    def _dhcp_set(dopt: str, servers: list[str]) -> dict[str, Any]:
        return {
            "DhcpOptionsId": dopt,
            "DhcpConfigurations": [
                {"Key": "domain-name-servers", "Values": [{"Value": s} for s in servers]}
            ],
        }

    def _all_egress(self, vpc_id: str) -> dict[str, Any]:
        """A new group's egress rule: all IPv4, and all IPv6 in a VPC with an IPv6 CIDR
        (VPC user guide, "Security group rules": default outbound rules)."""
        vpc = next(v for v in self.vpcs if v["VpcId"] == vpc_id)
        if not vpc.get("Ipv6CidrBlockAssociationSet"):
            return ALL_TCP
        return {**ALL_TCP, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}

    def _local_routes(self, vpc_id: str) -> list[dict[str, Any]]:
        """The local route of each of the VPC's CIDRs (one IPv4, one IPv6 when it has one)."""
        vpc = next(v for v in self.vpcs if v["VpcId"] == vpc_id)
        routes = [
            {"DestinationCidrBlock": vpc["CidrBlock"], "GatewayId": "local", "State": "active"}
        ]
        for assoc in vpc.get("Ipv6CidrBlockAssociationSet", []):
            routes.append(
                {
                    "DestinationIpv6CidrBlock": assoc["Ipv6CidrBlock"],
                    "GatewayId": "local",
                    "State": "active",
                }
            )
        return routes

    def _cidr_of(self, vpc_id: str) -> str:
        cidr: str = next(v["CidrBlock"] for v in self.vpcs if v["VpcId"] == vpc_id)
        return cidr

    def subnet(
        self,
        vpc_id: str,
        cidr: str | None,
        az: str = "a",
        *,
        ipv6_cidr: str | None = None,
        dns64: bool = False,
    ) -> str:
        """A subnet; `cidr=None` with `ipv6_cidr` makes it IPv6-only (`Ipv6Native`)."""
        subnet_id = self._id("subnet")
        record: dict[str, Any] = {
            "SubnetId": subnet_id,
            "VpcId": vpc_id,
            "AvailabilityZone": f"{self.region}{az}",
            "MapPublicIpOnLaunch": False,
            "Ipv6Native": cidr is None,
            "EnableDns64": dns64,
        }
        if cidr is not None:
            record["CidrBlock"] = cidr
        if ipv6_cidr:
            record["Ipv6CidrBlockAssociationSet"] = [
                {"Ipv6CidrBlock": ipv6_cidr, "Ipv6CidrBlockState": {"State": "associated"}}
            ]
        self.subnets.append(record)
        self._subnet_ips[subnet_id] = itertools.count(10)
        self._subnet_by_id[subnet_id] = self.subnets[-1]
        default_acl = next(a for a in self.nacls if a["VpcId"] == vpc_id and a["IsDefault"])
        default_acl["Associations"].append(
            {"NetworkAclId": default_acl["NetworkAclId"], "SubnetId": subnet_id}
        )
        return subnet_id

    def next_ip(self, subnet_id: str) -> str:
        """The next free address of a subnet (the subnet's first /24-aligned block, then onwards)."""
        import ipaddress

        subnet = self._subnet_by_id[subnet_id]
        cidr = subnet.get("CidrBlock") or subnet["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
        net = ipaddress.ip_network(cidr)
        return str(net.network_address + next(self._subnet_ips[subnet_id]))

    def next_ip6(self, subnet_id: str) -> str | None:
        """The next free IPv6 address of a subnet with an IPv6 CIDR (None without one)."""
        import ipaddress

        assocs = self._subnet_by_id[subnet_id].get("Ipv6CidrBlockAssociationSet") or []
        if not assocs:
            return None
        net = ipaddress.ip_network(assocs[0]["Ipv6CidrBlock"])
        return str(net.network_address + next(self._subnet_ips[subnet_id]))

    def is_ipv6_only(self, subnet_id: str) -> bool:
        return "CidrBlock" not in self._subnet_by_id[subnet_id]

    def main_table(self, vpc_id: str) -> dict[str, Any]:
        return next(
            t
            for t in self.route_tables
            if t["VpcId"] == vpc_id and any(a.get("Main") for a in t["Associations"])
        )

    def route_table(
        self, vpc_id: str, subnets: list[str], routes: list[dict[str, Any]] | None = None
    ) -> str:
        rtb = self._id("rtb")
        self.route_tables.append(
            {
                "RouteTableId": rtb,
                "VpcId": vpc_id,
                "Associations": [
                    {
                        "Main": False,
                        "SubnetId": s,
                        "RouteTableId": rtb,
                        "AssociationState": {"State": "associated"},
                    }
                    for s in subnets
                ],
                "Routes": self._local_routes(vpc_id)
                + [{"State": "active", **r} for r in routes or []],
            }
        )
        return rtb

    def table(self, rtb: str) -> dict[str, Any]:
        return next(t for t in self.route_tables if t["RouteTableId"] == rtb)

    def add_route(self, rtb: str, destination: str, target: str, state: str = "active") -> None:
        key = {
            "igw": "GatewayId",
            "nat": "NatGatewayId",
            "pcx": "VpcPeeringConnectionId",
            "tgw": "TransitGatewayId",
            "eni": "NetworkInterfaceId",
            "vgw": "GatewayId",
            "vpce": "GatewayId",
            "eigw": "EgressOnlyInternetGatewayId",
        }[target.split("-")[0]]
        dest_key = (
            "DestinationPrefixListId"
            if destination.startswith("pl-")
            else "DestinationIpv6CidrBlock"
            if ":" in destination
            else "DestinationCidrBlock"
        )
        self.table(rtb)["Routes"].append({dest_key: destination, key: target, "State": state})

    def sg(
        self,
        vpc_id: str,
        name: str,
        *,
        ingress: list[dict[str, Any]] | None = None,
        egress: list[dict[str, Any]] | None = None,
    ) -> str:
        sg_id = self._id("sg")
        self.sgs.append(
            {
                "GroupId": sg_id,
                "GroupName": name,
                "VpcId": vpc_id,
                "OwnerId": self.account,
                "IpPermissions": ingress or [],
                "IpPermissionsEgress": [self._all_egress(vpc_id)] if egress is None else egress,
            }
        )
        return sg_id

    def default_sg(self, vpc_id: str) -> str:
        group_id: str = next(
            g["GroupId"] for g in self.sgs if g["VpcId"] == vpc_id and g["GroupName"] == "default"
        )
        return group_id

    def nacl(self, vpc_id: str, subnets: list[str], entries: list[dict[str, Any]]) -> str:
        acl_id = self._id("acl")
        for acl in self.nacls:
            acl["Associations"] = [a for a in acl["Associations"] if a["SubnetId"] not in subnets]
        self.nacls.append(
            {
                "NetworkAclId": acl_id,
                "VpcId": vpc_id,
                "IsDefault": False,
                "Entries": entries,
                "Associations": [{"NetworkAclId": acl_id, "SubnetId": s} for s in subnets],
            }
        )
        return acl_id

    def igw(self, vpc_id: str, *, attached: bool = True) -> str:
        igw_id = self._id("igw")
        self.igws.append(
            {
                "InternetGatewayId": igw_id,
                "Attachments": [{"VpcId": vpc_id, "State": "available"}] if attached else [],
            }
        )
        return igw_id

    def eigw(self, vpc_id: str, *, attached: bool = True) -> str:
        """An egress-only internet gateway (IPv6 out only)."""
        eigw_id = self._id("eigw")
        self.eigws.append(
            {
                "EgressOnlyInternetGatewayId": eigw_id,
                "Attachments": [{"VpcId": vpc_id, "State": "attached"}] if attached else [],
            }
        )
        return eigw_id

    def nat(self, subnet_id: str, *, state: str = "available", connectivity: str = "public") -> str:
        nat_id = self._id("nat")
        vpc_id = next(s["VpcId"] for s in self.subnets if s["SubnetId"] == subnet_id)
        self.nats.append(
            {
                "NatGatewayId": nat_id,
                "SubnetId": subnet_id,
                "VpcId": vpc_id,
                "State": state,
                "ConnectivityType": connectivity,
                "NatGatewayAddresses": [{"PublicIp": "203.0.113.10"}],
            }
        )
        return nat_id

    def internet_via_nat(self, vpc_id: str, private_rtb: str, public_cidr: str) -> tuple[str, str]:
        """A public subnet with a NAT gateway and an IGW; `private_rtb` routes 0.0.0.0/0 to the NAT."""
        public = self.subnet(vpc_id, public_cidr)
        igw = self.igw(vpc_id)
        self.route_table(
            vpc_id,
            [public],
            [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "State": "active"}],
        )
        nat = self.nat(public)
        self.add_route(private_rtb, "0.0.0.0/0", nat)
        return nat, igw

    def peering(self, vpc_a: str, vpc_b: str, status: str = "active") -> str:
        pcx = self._id("pcx")
        self.peerings.append(
            {
                "VpcPeeringConnectionId": pcx,
                "Status": {"Code": status},
                "RequesterVpcInfo": {
                    "VpcId": vpc_a,
                    "OwnerId": self.account,
                    "Region": self.region,
                },
                "AccepterVpcInfo": {"VpcId": vpc_b, "OwnerId": self.account, "Region": self.region},
            }
        )
        return pcx

    def managed_prefix_list(self, name: str, cidrs: list[str]) -> str:
        """A customer-managed prefix list (DescribeManagedPrefixLists and its entries)."""
        pl_id = self._id("pl")
        self.managed_lists[pl_id] = (name, cidrs)
        return pl_id

    def transit_gateway(self, vpcs: dict[str, str]) -> tuple[str, str, dict[str, str]]:
        """A transit gateway with one route table, every VPC attached and propagated.

        `vpcs` maps VPC id to its CIDR; returns (tgw id, route table id, attachment by VPC)."""
        tgw = self._id("tgw")
        table = self._id("tgw-rtb")
        self.tgws.append(tgw)
        attachments = {}
        for vpc_id in vpcs:
            att = self._id("tgw-attach")
            attachments[vpc_id] = att
            self.tgw_attachments.append(
                {
                    "TransitGatewayAttachmentId": att,
                    "TransitGatewayId": tgw,
                    "ResourceType": "vpc",
                    "ResourceId": vpc_id,
                    "State": "available",
                    "Association": {"TransitGatewayRouteTableId": table, "State": "associated"},
                }
            )
        self.tgw_routes[table] = [
            {
                "DestinationCidrBlock": cidr,
                "Type": "propagated",
                "State": "active",
                "TransitGatewayAttachments": [
                    {
                        "ResourceId": vpc_id,
                        "TransitGatewayAttachmentId": attachments[vpc_id],
                        "ResourceType": "vpc",
                    }
                ],
            }
            for vpc_id, cidr in vpcs.items()
        ]
        return tgw, table, attachments

    # -- endpoints --------------------------------------------------------------------------
    def endpoint(
        self,
        vpc_id: str,
        service: str,
        subnets: list[str],
        sgs: list[str] | None = None,
        *,
        private_dns: bool = True,
        policy: dict[str, Any] | None = None,
        state: str = "available",
        ip_type: str = "ipv4",
        dns_record_ip_type: str | None = None,
    ) -> str:
        """An interface endpoint; `ip_type` dualstack or ipv6 gives its interfaces IPv6
        addresses (and ipv6 no IPv4 one); `dns_record_ip_type` defaults to AWS's default
        for the type (the type itself; dualstack for dualstack)."""
        ep_id = self._id("vpce")
        enis = []
        groups = [{"GroupId": g} for g in (sgs or [])]
        for subnet_id in subnets:
            eni_id = self._id("eni")
            subnet = next(s for s in self.subnets if s["SubnetId"] == subnet_id)
            eni: dict[str, Any] = {
                "NetworkInterfaceId": eni_id,
                "SubnetId": subnet_id,
                "VpcId": vpc_id,
                "AvailabilityZone": subnet["AvailabilityZone"],
                "Groups": groups or [{"GroupId": self.default_sg(vpc_id)}],
                "InterfaceType": "vpc_endpoint",
            }
            if ip_type != "ipv6":
                eni["PrivateIpAddress"] = self.next_ip(subnet_id)
            if ip_type in ("dualstack", "ipv6") and (v6 := self.next_ip6(subnet_id)):
                eni["Ipv6Addresses"] = [{"Ipv6Address": v6}]
            self.enis.append(eni)
            enis.append(eni_id)
        self.endpoints.append(
            {
                "VpcEndpointId": ep_id,
                "VpcEndpointType": "Interface",
                "VpcId": vpc_id,
                "OwnerId": self.account,
                "ServiceName": f"com.amazonaws.{self.region}.{service}",
                "State": state,
                "PolicyDocument": json.dumps(
                    policy
                    or {
                        "Statement": [
                            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
                        ]
                    }
                ),
                "SubnetIds": subnets,
                "Groups": groups,
                "PrivateDnsEnabled": private_dns,
                "NetworkInterfaceIds": enis,
                "DnsEntries": [
                    {"DnsName": f"{ep_id}-abc.{service}.{self.region}.vpce.amazonaws.com"}
                ],
                "IpAddressType": ip_type,
                "DnsOptions": {"DnsRecordIpType": dns_record_ip_type or ip_type},
            }
        )
        return ep_id

    def s3_gateway(
        self, vpc_id: str, route_tables: list[str], *, policy: dict[str, Any] | None = None
    ) -> str:
        ep_id = self._id("vpce")
        self.endpoints.append(
            {
                "VpcEndpointId": ep_id,
                "VpcEndpointType": "Gateway",
                "VpcId": vpc_id,
                "OwnerId": self.account,
                "ServiceName": f"com.amazonaws.{self.region}.s3",
                "State": "available",
                "PolicyDocument": json.dumps(
                    policy
                    or {
                        "Statement": [
                            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
                        ]
                    }
                ),
                "RouteTableIds": route_tables,
            }
        )
        for rtb in route_tables:
            self.add_route(rtb, self.s3_pl, ep_id)
        return ep_id

    def gwlb_endpoint(self, vpc_id: str, subnet_id: str) -> str:
        """A Gateway Load Balancer endpoint (an inspection appliance's entry) in `subnet_id`."""
        ep_id = self._id("vpce")
        eni_id = self._id("eni")
        self.enis.append(
            {
                "NetworkInterfaceId": eni_id,
                "SubnetId": subnet_id,
                "VpcId": vpc_id,
                "PrivateIpAddress": self.next_ip(subnet_id),
                "InterfaceType": "gateway_load_balancer_endpoint",
                "Description": f"VPC Endpoint Interface {ep_id}",
            }
        )
        self.endpoints.append(
            {
                "VpcEndpointId": ep_id,
                "VpcEndpointType": "GatewayLoadBalancer",
                "VpcId": vpc_id,
                "ServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0inspection",
                "State": "available",
                "SubnetIds": [subnet_id],
                "NetworkInterfaceIds": [eni_id],
            }
        )
        return ep_id

    def firewall_endpoint(self, vpc_id: str, subnet_id: str | None) -> str:
        """An AWS Network Firewall endpoint: a `vpce-` that DescribeVpcEndpoints does not list;
        its interface (when `subnet_id` is given) names it in its description."""
        ep_id = self._id("vpce")
        if subnet_id is not None:
            self.enis.append(
                {
                    "NetworkInterfaceId": self._id("eni"),
                    "SubnetId": subnet_id,
                    "VpcId": vpc_id,
                    "PrivateIpAddress": self.next_ip(subnet_id),
                    "InterfaceType": "gateway_load_balancer_endpoint",
                    "Description": f"VPC Endpoint Interface {ep_id}",
                }
            )
        return ep_id

    def private_endpoints(
        self, vpc_id: str, subnets: list[str], sgs: list[str], route_tables: list[str]
    ) -> dict[str, str]:
        """The recommended setup: ssm, ssmmessages, ec2messages interface endpoints and the S3 gateway."""
        out = {
            s: self.endpoint(vpc_id, s, subnets, sgs) for s in ("ssm", "ssmmessages", "ec2messages")
        }
        out["s3"] = self.s3_gateway(vpc_id, route_tables)
        return out

    def hub_endpoints(
        self, hub: str, subnets: list[str], sgs: list[str], spokes: list[str]
    ) -> dict[str, str]:
        """Hub-and-spoke: ssm, ssmmessages and ec2messages endpoints in `hub` with private
        DNS off, and one private hosted zone per service name, aliased to the endpoint and
        associated with every spoke."""
        out = {}
        for svc in ("ssm", "ssmmessages", "ec2messages"):
            ep = out[svc] = self.endpoint(hub, svc, subnets, sgs, private_dns=False)
            name = f"{svc}.{self.region}.amazonaws.com"
            alias = {
                "HostedZoneId": "Z7HUB",
                "DNSName": f"{ep}-abc.{svc}.{self.region}.vpce.amazonaws.com",
                "EvaluateTargetHealth": False,
            }
            self.private_zone(
                name, spokes, [{"Name": name + ".", "Type": "A", "AliasTarget": alias}]
            )
        return out

    # -- DNS ----------------------------------------------------------------------------------
    def private_zone(
        self, name: str, vpcs: list[str], records: list[dict[str, Any]] | None = None
    ) -> str:
        zone_id = "Z" + self._id("z")[2:].upper()
        self.zones.append(
            {
                "Id": f"/hostedzone/{zone_id}",
                "Name": name.rstrip(".") + ".",
                "Config": {"PrivateZone": True},
            }
        )
        self.zone_details.append(
            {
                "Request": {"Id": zone_id},
                "Response": {
                    "HostedZone": {
                        "Id": f"/hostedzone/{zone_id}",
                        "Name": name + ".",
                        "Config": {"PrivateZone": True},
                    },
                    "VPCs": [{"VPCRegion": self.region, "VPCId": v} for v in vpcs],
                },
            }
        )
        self.zone_records.append(
            {
                "Request": {"HostedZoneId": zone_id},
                "Response": {"ResourceRecordSets": records or []},
            }
        )
        return zone_id

    def resolver_rule(self, domain: str, rule_type: str, vpcs: list[str]) -> str:
        rule_id = self._id("rslvr-rr")
        self.rules.append(
            {
                "Id": rule_id,
                "DomainName": domain.rstrip(".") + ".",
                "RuleType": rule_type,
                "Status": "COMPLETE",
            }
        )
        for v in vpcs:
            self.rule_assocs.append({"ResolverRuleId": rule_id, "VPCId": v, "Status": "COMPLETE"})
        return rule_id

    # -- IAM ----------------------------------------------------------------------------------
    def role(
        self,
        name: str,
        *,
        managed: list[str] | None = None,
        inline: dict[str, dict[str, Any]] | None = None,
        boundary: str | None = None,
        profile: bool = True,
    ) -> str:
        arn = f"arn:aws:iam::{self.account}:role/{name}"
        profile_arn = f"arn:aws:iam::{self.account}:instance-profile/{name}"
        role: dict[str, Any] = {
            "RoleName": name,
            "Arn": arn,
            "Path": "/",
            "InstanceProfileList": [{"InstanceProfileName": name, "Arn": profile_arn}]
            if profile
            else [],
            "RolePolicyList": [
                {"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()
            ],
            "AttachedManagedPolicies": [
                {"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]}
                for a in (managed if managed is not None else [CORE])
            ],
        }
        if boundary:
            role["PermissionsBoundary"] = {
                "PermissionsBoundaryArn": boundary,
                "PermissionsBoundaryType": "Policy",
            }
        self.roles.append(role)
        return profile_arn

    def managed_policy(self, name: str, document: dict[str, Any]) -> str:
        arn = f"arn:aws:iam::{self.account}:policy/{name}"
        self.policies.append(
            {
                "PolicyName": name,
                "Arn": arn,
                "DefaultVersionId": "v1",
                "PolicyVersionList": [
                    {"Document": document, "VersionId": "v1", "IsDefaultVersion": True}
                ],
            }
        )
        return arn

    # -- instances ----------------------------------------------------------------------------
    def instance(
        self,
        name: str,
        subnet_id: str,
        sgs: list[str],
        profile: str | None,
        *,
        agent: str | None = "3.3.1142.0",
        platform: str = "Linux",
        platform_name: str = "Amazon Linux",
        platform_version: str = "2023",
        imds: str = "enabled",
        public_ip: str | None = None,
        ping: str = "Online",
        ip: str | None = None,
        tags: dict[str, str] | None = None,
        imds_ipv6: str = "disabled",
    ) -> str:
        iid = f"i-{next(self._ids):017x}"
        subnet = self._subnet_by_id[subnet_id]
        v6_only = self.is_ipv6_only(subnet_id)
        ip6 = self.next_ip6(subnet_id)
        ip = None if v6_only else (ip or self.next_ip(subnet_id))
        inst: dict[str, Any] = {
            "InstanceId": iid,
            "State": {"Name": "running"},
            "SubnetId": subnet_id,
            "VpcId": subnet["VpcId"],
            "PrivateIpAddress": ip,
            "Placement": {"AvailabilityZone": subnet["AvailabilityZone"]},
            "SecurityGroups": [{"GroupId": g} for g in sgs],
            "NetworkInterfaces": [
                {
                    "NetworkInterfaceId": self._id("eni"),
                    "SubnetId": subnet_id,
                    "PrivateIpAddress": ip,
                    "Groups": [{"GroupId": g} for g in sgs],
                }
            ],
            "MetadataOptions": {
                "HttpEndpoint": imds,
                "HttpTokens": "required",
                "HttpProtocolIpv6": imds_ipv6,
            },
            "PlatformDetails": "Windows" if platform == "Windows" else "Linux/UNIX",
            "Tags": [{"Key": "Name", "Value": name}]
            + [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if ip is None:
            del inst["PrivateIpAddress"], inst["NetworkInterfaces"][0]["PrivateIpAddress"]
        if ip6 is not None:
            inst["Ipv6Address"] = ip6
            inst["NetworkInterfaces"][0]["Ipv6Addresses"] = [{"Ipv6Address": ip6}]
        if platform == "Windows":
            inst["Platform"] = "windows"
        if profile:
            inst["IamInstanceProfile"] = {"Arn": profile, "Id": "AIPA" + iid[2:]}
        if public_ip:
            inst["PublicIpAddress"] = public_ip
        self.reservations.append(
            {"ReservationId": self._id("r"), "OwnerId": self.account, "Instances": [inst]}
        )
        if agent is not None:
            self.info.append(
                {
                    "InstanceId": iid,
                    "PingStatus": ping,
                    "AgentVersion": agent,
                    "PlatformType": platform,
                    "PlatformName": platform_name,
                    "PlatformVersion": platform_version,
                    "ResourceType": "EC2Instance",
                }
            )
        return iid

    # -- output ---------------------------------------------------------------------------------
    def _regional(self) -> dict[tuple[str, str], Any]:
        for t in self.route_tables:
            for a in t["Associations"]:
                a["RouteTableId"] = t["RouteTableId"]
        details = [
            {
                "ServiceName": f"com.amazonaws.{self.region}.{s}",
                "ServiceType": [{"ServiceType": "Gateway" if s == "s3" else "Interface"}],
                "AvailabilityZones": [f"{self.region}a", f"{self.region}b", f"{self.region}c"],
                "PrivateDnsName": None if s == "s3" else f"{s}.{self.region}.amazonaws.com",
            }
            | (
                {"SupportedIpAddressTypes": self.service_ip_types[s]}
                if s in self.service_ip_types
                else {}
            )
            for s in self.services
        ]
        dhmc_value = self.dhmc_role or "$None"
        prefs_calls: list[dict[str, Any]]
        if self.session_prefs is None:
            prefs_calls = [
                {
                    "Request": {"Name": "SSM-SessionManagerRunShell"},
                    "Error": {"Code": "InvalidDocument", "Message": "document does not exist"},
                }
            ]
        else:
            prefs_calls = [
                {
                    "Request": {"Name": "SSM-SessionManagerRunShell"},
                    "Response": {
                        "Name": "SSM-SessionManagerRunShell",
                        "DocumentType": "Session",
                        "Content": json.dumps(
                            {"schemaVersion": "1.0", "inputs": self.session_prefs}
                        ),
                    },
                }
            ]
        return {
            ("ec2", "DescribeVpcs"): {"Vpcs": self.vpcs},
            ("ec2", "DescribeVpcAttribute"): self.vpc_attrs,
            ("ec2", "DescribeSubnets"): {"Subnets": self.subnets},
            ("ec2", "DescribeRouteTables"): {"RouteTables": self.route_tables},
            ("ec2", "DescribeSecurityGroups"): {"SecurityGroups": self.sgs},
            ("ec2", "DescribeNetworkAcls"): {"NetworkAcls": self.nacls},
            ("ec2", "DescribeNetworkInterfaces"): {"NetworkInterfaces": self.enis},
            ("ec2", "DescribeVpcEndpoints"): {"VpcEndpoints": self.endpoints},
            ("ec2", "DescribeVpcEndpointServices"): {
                "ServiceNames": [d["ServiceName"] for d in details],
                "ServiceDetails": details,
            },
            ("ec2", "DescribeDhcpOptions"): {"DhcpOptions": self.dhcp},
            ("ec2", "DescribeVpcPeeringConnections"): {"VpcPeeringConnections": self.peerings},
            ("ec2", "DescribeNatGateways"): {"NatGateways": self.nats},
            ("ec2", "DescribeInternetGateways"): {"InternetGateways": self.igws},
            ("ec2", "DescribeEgressOnlyInternetGateways"): {
                "EgressOnlyInternetGateways": self.eigws
            },
            ("ec2", "DescribePrefixLists"): {
                "PrefixLists": [
                    {
                        "PrefixListId": self.s3_pl,
                        "PrefixListName": f"com.amazonaws.{self.region}.s3",
                        "Cidrs": S3_CIDRS,
                    }
                ]
            },
            ("ec2", "DescribeManagedPrefixLists"): {
                "PrefixLists": [
                    {"PrefixListId": k, "PrefixListName": name, "AddressFamily": "IPv4"}
                    for k, (name, _) in self.managed_lists.items()
                ]
            },
            ("ec2", "GetManagedPrefixListEntries"): [
                {
                    "Request": {"PrefixListId": k},
                    "Response": {"Entries": [{"Cidr": c} for c in cidrs]},
                }
                for k, (_, cidrs) in self.managed_lists.items()
            ],
            ("ec2", "DescribeTransitGateways"): {
                "TransitGateways": [
                    {"TransitGatewayId": t, "State": "available"} for t in self.tgws
                ]
            },
            ("ec2", "DescribeTransitGatewayRouteTables"): {
                "TransitGatewayRouteTables": [
                    {"TransitGatewayRouteTableId": t, "State": "available"} for t in self.tgw_routes
                ]
            },
            ("ec2", "DescribeInstances"): {"Reservations": self.reservations},
            ("ssm", "DescribeInstanceInformation"): {"InstanceInformationList": self.info},
            ("ec2", "DescribeTransitGatewayAttachments"): {
                "TransitGatewayAttachments": self.tgw_attachments
            },
            ("ec2", "SearchTransitGatewayRoutes"): [
                {
                    "Request": {
                        "TransitGatewayRouteTableId": t,
                        "Filters": [{"Name": "state", "Values": ["active", "blackhole"]}],
                    },
                    "Response": {"Routes": routes},
                }
                for t, routes in self.tgw_routes.items()
            ],
            ("ssm", "GetServiceSetting"): [
                {
                    "Request": {
                        "SettingId": "/ssm/managed-instance/default-ec2-instance-management-role"
                    },
                    "Response": {
                        "ServiceSetting": {
                            "SettingId": "/ssm/managed-instance/default-ec2-instance-management-role",
                            "SettingValue": dhmc_value,
                        }
                    },
                }
            ],
            ("ssm", "GetDocument"): prefs_calls,
            **self._kms_calls(),
            ("s3", "GetBucketLocation"): self._bucket_calls(),
            **self._output_files(),
            ("route53resolver", "ListResolverRules"): {"ResolverRules": self.rules},
            ("route53resolver", "ListResolverRuleAssociations"): {
                "ResolverRuleAssociations": self.rule_assocs
            },
        }

    def _global(self) -> dict[tuple[str, str], Any]:
        return {
            ("iam", "GetAccountAuthorizationDetails"): {
                "RoleDetailList": self.roles,
                "Policies": self.policies,
            },
            ("route53", "ListHostedZones"): {"HostedZones": self.zones},
            ("route53", "GetHostedZone"): self.zone_details,
            ("route53", "ListResourceRecordSets"): self.zone_records,
        }

    def files(self) -> dict[OperationKey, RawOk | RawError]:
        files: dict[OperationKey, RawOk | RawError] = {}
        for where, ops in ((self.region, self._regional()), ("global", self._global())):
            for (service, op), body in ops.items():
                if op in self.omitted:
                    continue
                key = OperationKey(self.account, where, service, op)
                if op in self.denied:
                    files[key] = RawError(
                        "AccessDenied", f"User is not authorized to perform: {service}:{op}"
                    )
                else:
                    files[key] = RawOk(msgspec.json.encode(body))
        org_key = OperationKey(self.account, "global", "organizations", "DescribeOrganization")
        if self.organization is not None and "DescribeOrganization" in self.denied:
            files[org_key] = RawError("AccessDeniedException", "not authorized")
        elif self.organization is None:
            files[OperationKey(self.account, "global", "organizations", "DescribeOrganization")] = (
                RawError(
                    "AWSOrganizationsNotInUseException",
                    "Your account is not a member of an organization.",
                )
            )
        elif self.organization:
            files[OperationKey(self.account, "global", "organizations", "DescribeOrganization")] = (
                RawOk(
                    msgspec.json.encode(
                        {"Organization": {"Id": self.organization, "MasterAccountId": self.account}}
                    )
                )
            )
        return files

    def raw(self) -> RawSnapshot:
        manifest = Manifest(
            format=FORMAT,
            created="2026-11-28T12:00:00Z",
            accounts=(self.account,),
            regions=(self.region,),
        )
        return RawSnapshot(manifest=manifest, files=self.files(), source="builder")

    def estate(self) -> Estate:
        return parse_snapshot(self.raw())

    def write(self, folder: Path) -> Path:
        write_raw_snapshot(self.raw(), folder)
        return folder
