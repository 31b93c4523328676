"""Carry out a plan on a raw snapshot, in memory: the "after" state the engine should call PRIVATE.

Each change edits the raw AWS answers the way the real call would change them
(new ids, endpoint network interfaces with addresses inside their subnets, gateway
routes, alias records), then the snapshot is parsed again.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
from typing import Any

from ssmreach.model.estate import Estate
from ssmreach.model.raw import GLOBAL, OperationKey, RawOk, RawSnapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.plan import Plan, is_ref, ref_target
from ssmreach.plan import changes as c

_ids = itertools.count(0xA000)


def _new(prefix: str) -> str:
    return f"{prefix}-{next(_ids):017x}"


class _Files:
    def __init__(self, raw: RawSnapshot) -> None:
        self.raw = raw
        self.data: dict[OperationKey, Any] = {}

    def get(self, account: str, region: str, service: str, op: str, default: Any) -> Any:
        key = OperationKey(account, region, service, op)
        if key not in self.data:
            found = self.raw.files.get(key)
            self.data[key] = json.loads(found.body) if isinstance(found, RawOk) else default
        return self.data[key]

    def snapshot(self) -> RawSnapshot:
        files = dict(self.raw.files)
        for key, value in self.data.items():
            files[key] = RawOk(json.dumps(value).encode())
        return RawSnapshot(manifest=self.raw.manifest, files=files, source=self.raw.source)


def _endpoint_interface(
    subnet: dict[str, Any], change: c.CreateInterfaceEndpoint, n: int
) -> dict[str, Any]:
    """The network interface a new endpoint gets in `subnet`: an IPv4 address unless its IP
    address type is ipv6, an IPv6 one when it is dualstack or ipv6."""
    record: dict[str, Any] = {
        "NetworkInterfaceId": _new("eni"),
        "SubnetId": subnet["SubnetId"],
        "VpcId": change.vpc_id,
        "AvailabilityZone": subnet["AvailabilityZone"],
    }
    if change.ip_address_type != "ipv6":
        net = ipaddress.ip_network(subnet["CidrBlock"])
        record["PrivateIpAddress"] = str(net.network_address + 200 + n)
    if change.ip_address_type in ("dualstack", "ipv6"):
        v6 = ipaddress.ip_network(subnet["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"])
        record["Ipv6Addresses"] = [{"Ipv6Address": str(v6.network_address + 200 + n)}]
    return record


def simulate(raw: RawSnapshot, plan: Plan) -> RawSnapshot:
    f = _Files(raw)
    made: dict[str, str] = {}

    def real(value: str) -> str:
        return made[ref_target(value)] if is_ref(value) else value

    for change in plan.changes:
        a, r = change.account, change.region

        def ec2(op: str, key: str, a: str = a, r: str = r) -> list[Any]:
            rows: list[Any] = f.get(a, r, "ec2", op, {key: []})[key]
            return rows

        def group(gid: str) -> dict[str, Any]:
            return next(
                g for g in ec2("DescribeSecurityGroups", "SecurityGroups") if g["GroupId"] == gid
            )

        def endpoint(eid: str) -> dict[str, Any]:
            return next(
                e for e in ec2("DescribeVpcEndpoints", "VpcEndpoints") if e["VpcEndpointId"] == eid
            )

        def table(rtb: str) -> dict[str, Any]:
            return next(
                t for t in ec2("DescribeRouteTables", "RouteTables") if t["RouteTableId"] == rtb
            )

        def s3_prefix_list(r: str = r) -> str:
            lists = ec2("DescribePrefixLists", "PrefixLists")
            found: str = next(
                p["PrefixListId"] for p in lists if p["PrefixListName"] == f"com.amazonaws.{r}.s3"
            )
            return found

        match change:
            case c.SetVpcAttribute():
                calls = f.get(a, r, "ec2", "DescribeVpcAttribute", [])
                key = change.attribute[0].upper() + change.attribute[1:]
                for call in calls:
                    if call["Request"] == {"VpcId": change.vpc_id, "Attribute": change.attribute}:
                        call["Response"] = {"VpcId": change.vpc_id, key: {"Value": change.value}}
            case c.CreateSecurityGroup():
                gid = made[change.id] = _new("sg")
                ec2("DescribeSecurityGroups", "SecurityGroups").append(
                    {
                        "GroupId": gid,
                        "GroupName": change.group_name,
                        "VpcId": change.vpc_id,
                        "IpPermissions": [],
                        "IpPermissionsEgress": [
                            {
                                "IpProtocol": "-1",
                                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                "Ipv6Ranges": [],
                                "PrefixListIds": [],
                                "UserIdGroupPairs": [],
                            }
                        ],
                    }
                )
            case c.AuthorizeIngress() | c.AuthorizeEgress():
                perm: dict[str, Any] = {
                    "IpProtocol": "tcp",
                    "FromPort": change.port,
                    "ToPort": change.port,
                    "IpRanges": [{"CidrIp": x} for x in change.cidrs if not c.is_ipv6_cidr(x)],
                    "Ipv6Ranges": [{"CidrIpv6": x} for x in change.cidrs if c.is_ipv6_cidr(x)],
                    "UserIdGroupPairs": [],
                    "PrefixListIds": [],
                }
                if isinstance(change, c.AuthorizeIngress):
                    perm["UserIdGroupPairs"] = [
                        {"GroupId": real(g)} for g in change.source_group_ids
                    ]
                    group(real(change.group_id))["IpPermissions"].append(perm)
                else:
                    perm["UserIdGroupPairs"] = [
                        {"GroupId": real(g)} for g in change.destination_group_ids
                    ]
                    perm["PrefixListIds"] = [{"PrefixListId": p} for p in change.prefix_list_ids]
                    group(real(change.group_id))["IpPermissionsEgress"].append(perm)
            case c.CreateInterfaceEndpoint():
                eid = made[change.id] = _new("vpce")
                groups = [{"GroupId": real(g)} for g in change.security_group_ids]
                subnets = {s["SubnetId"]: s for s in ec2("DescribeSubnets", "Subnets")}
                enis = []
                for n, subnet_id in enumerate(change.subnet_ids):
                    record = _endpoint_interface(subnets[subnet_id], change, n)
                    record["Groups"] = groups
                    ec2("DescribeNetworkInterfaces", "NetworkInterfaces").append(record)
                    enis.append(record["NetworkInterfaceId"])
                ec2("DescribeVpcEndpoints", "VpcEndpoints").append(
                    {
                        "VpcEndpointId": eid,
                        "VpcEndpointType": "Interface",
                        "VpcId": change.vpc_id,
                        "ServiceName": change.service_name,
                        "State": "available",
                        "PolicyDocument": change.policy,
                        "SubnetIds": list(change.subnet_ids),
                        "Groups": groups,
                        "PrivateDnsEnabled": change.private_dns,
                        "NetworkInterfaceIds": enis,
                        "DnsEntries": [
                            {
                                "DnsName": f"{eid}-x1.{change.service}.{r}.vpce.amazonaws.com",
                                "HostedZoneId": "Z7HUB22UULQXV",
                            }
                        ],
                        "IpAddressType": change.ip_address_type or "ipv4",
                        "DnsOptions": {"DnsRecordIpType": change.dns_record_ip_type or "ipv4"},
                    }
                )
            case c.ModifyEndpointPrivateDns():
                endpoint(change.endpoint_id)["PrivateDnsEnabled"] = change.enabled
            case c.ModifyEndpointSecurityGroups():
                ep = endpoint(change.endpoint_id)
                ep["Groups"] = ep.get("Groups", []) + [
                    {"GroupId": real(g)} for g in change.add_group_ids
                ]
            case c.SetEndpointPolicy():
                endpoint(change.endpoint_id)["PolicyDocument"] = change.policy
            case c.CreateGatewayEndpoint():
                eid = made[change.id] = _new("vpce")
                ec2("DescribeVpcEndpoints", "VpcEndpoints").append(
                    {
                        "VpcEndpointId": eid,
                        "VpcEndpointType": "Gateway",
                        "VpcId": change.vpc_id,
                        "ServiceName": change.service_name,
                        "State": "available",
                        "PolicyDocument": change.policy,
                        "RouteTableIds": list(change.route_table_ids),
                    }
                )
                for rtb in change.route_table_ids:
                    table(rtb)["Routes"].append(
                        {
                            "DestinationPrefixListId": s3_prefix_list(),
                            "GatewayId": eid,
                            "State": "active",
                        }
                    )
            case c.AssociateGatewayRouteTables():
                ep = endpoint(change.endpoint_id)
                ep["RouteTableIds"] = ep.get("RouteTableIds", []) + list(change.route_table_ids)
                for rtb in change.route_table_ids:
                    table(rtb)["Routes"].append(
                        {
                            "DestinationPrefixListId": s3_prefix_list(),
                            "GatewayId": change.endpoint_id,
                            "State": "active",
                        }
                    )
            case c.CreateRoute():
                key = (
                    "VpcPeeringConnectionId"
                    if change.target.startswith("pcx-")
                    else "TransitGatewayId"
                )
                table(change.route_table_id)["Routes"].append(
                    {
                        "DestinationCidrBlock": change.destination_cidr,
                        key: change.target,
                        "State": "active",
                    }
                )
            case c.CreatePrivateHostedZone():
                zid = made[change.id] = "Z" + _new("z")[2:].upper()
                target = endpoint(real(change.endpoint_id))
                zones = f.get(a, GLOBAL, "route53", "ListHostedZones", {"HostedZones": []})
                zone = {
                    "Id": f"/hostedzone/{zid}",
                    "Name": change.zone_name + ".",
                    "Config": {"PrivateZone": True},
                }
                zones["HostedZones"].append(zone)
                f.get(a, GLOBAL, "route53", "GetHostedZone", []).append(
                    {
                        "Request": {"Id": zid},
                        "Response": {
                            "HostedZone": zone,
                            "VPCs": [{"VPCRegion": r, "VPCId": v} for v in change.vpc_ids],
                        },
                    }
                )
                f.get(a, GLOBAL, "route53", "ListResourceRecordSets", []).append(
                    {
                        "Request": {"HostedZoneId": zid},
                        "Response": {
                            "ResourceRecordSets": [
                                {
                                    "Name": change.zone_name + ".",
                                    "Type": "A",
                                    "AliasTarget": {
                                        "HostedZoneId": target["DnsEntries"][0]["HostedZoneId"],
                                        "DNSName": target["DnsEntries"][0]["DnsName"],
                                    },
                                }
                            ]
                        },
                    }
                )
            case c.AssociateHostedZone():
                for call in f.get(a, GLOBAL, "route53", "GetHostedZone", []):
                    if call["Request"]["Id"] == change.zone_id:
                        call["Response"]["VPCs"].append({"VPCRegion": r, "VPCId": change.vpc_id})
            case c.AddNetworkAclEntry():
                acl = next(
                    x
                    for x in ec2("DescribeNetworkAcls", "NetworkAcls")
                    if x["NetworkAclId"] == change.network_acl_id
                )
                assert not any(
                    e["RuleNumber"] == change.rule_number and e["Egress"] == change.egress
                    for e in acl["Entries"]
                ), "CreateNetworkAclEntry would fail: the rule number is taken"
                acl["Entries"].append(
                    {
                        "RuleNumber": change.rule_number,
                        "Protocol": change.protocol,
                        "RuleAction": "allow",
                        "Egress": change.egress,
                        "CidrBlock": change.cidr,
                        "PortRange": {"From": change.from_port, "To": change.to_port},
                    }
                )
            case _:
                raise AssertionError(f"simulate: unknown change {type(change).__name__}")
    return f.snapshot()


def after(raw: RawSnapshot, plan: Plan) -> Estate:
    return parse_snapshot(simulate(raw, plan))
