"""Checks of decoded records that a verdict depends on: a malformed record is an error.

The shapes in `aws.py` already require the fields AWS always returns (a security group's
`IpPermissionsEgress`, a network ACL's `Entries` and each entry's `RuleAction`, a route
table's `Routes` and each route's `State`, ...), so msgspec rejects a record without
them. What a type cannot say is checked here: CIDRs, ports, protocols, rule numbers and
actions, and ids that appear twice in one file. Each problem is one line naming the
record; the reader raises it as a `SnapshotError` naming the file (exit 2), because a
guess from such a record would decide a verdict. The rules per field are in
`docs/snapshot-validation.md`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from ssmreach.model import aws, hybrid

PORT_PROTOCOLS = frozenset({"tcp", "udp", "6", "17"})
ICMP_PROTOCOLS = frozenset({"icmp", "icmpv6", "1", "58"})
NAMED_PROTOCOLS = PORT_PROTOCOLS | ICMP_PROTOCOLS | {"-1", "all"}


@lru_cache(maxsize=65536)  # pure; a snapshot repeats the same CIDRs in many tables and rules
def cidr_problem(
    value: str | None, *, required: bool = False, version: int | None = None
) -> str | None:
    """Why `value` is not a CIDR as AWS writes it (prefix length, no host bits, the family
    its field holds), or None."""
    if value is None:
        return "has no CIDR" if required else None
    if "/" not in value:
        return f"has CIDR {value!r}, which has no prefix length"
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"has CIDR {value!r}, which is not a valid IPv4 or IPv6 CIDR"
    if version is not None and net.version != version:
        return f"has CIDR {value!r} in a field for IPv{version}"
    if str(net.network_address) != value.split("/", 1)[
        0
    ] and net.network_address != ipaddress.ip_address(value.split("/", 1)[0]):
        return f"has CIDR {value!r}, whose host bits are set (AWS writes {net})"
    return None


def _last_rule_number(entry: aws.NetworkAclEntry) -> int:
    """Rules are numbered 1-32766, and DescribeNetworkAcls lists the `*` rule as 32767 for
    IPv4 and 32768 for IPv6 (EC2 API reference, "NetworkAclEntry"; the IPv6 `*` rule of a
    VPC with an IPv6 CIDR)."""
    return 32768 if entry.ipv6_cidr_block and not entry.cidr_block else 32767


def _protocol_problem(protocol: str) -> str | None:
    p = protocol.lower()
    if p in NAMED_PROTOCOLS:
        return None
    if p.isdigit() and 0 <= int(p) <= 255:
        return None
    return f"has protocol {protocol!r}, which is neither a name AWS uses nor a number 0-255"


def _port_problem(low: int | None, high: int | None) -> str | None:
    if low is None or high is None:
        return "has no port range, which TCP and UDP rules always have"
    if not (0 <= low <= 65535 and 0 <= high <= 65535):
        return f"has ports {low}-{high}, outside 0-65535"
    if low > high:
        return f"has ports {low}-{high}, whose start is after its end"
    return None


def _duplicates(items: Iterable[str], where: str) -> Iterator[str]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item in seen:
            yield f"{item} appears twice, at {where}[{seen[item]}] and {where}[{index}]"
        else:
            seen[item] = index


def _permissions(group: aws.SecurityGroup, index: int) -> Iterator[str]:
    for direction, perms in (
        ("inbound", group.ip_permissions),
        ("outbound", group.ip_permissions_egress),
    ):
        for n, perm in enumerate(perms):
            what = (
                f"security group {group.group_id} (SecurityGroups[{index}]), {direction} rule {n}"
            )
            problem = _protocol_problem(perm.ip_protocol)
            if problem is None and perm.ip_protocol.lower() in PORT_PROTOCOLS:
                problem = _port_problem(perm.from_port, perm.to_port)
            for cidr in perm.ip_ranges:
                problem = problem or cidr_problem(cidr.cidr_ip, version=4)
            for cidr6 in perm.ipv6_ranges:
                problem = problem or cidr_problem(cidr6.cidr_ipv6, version=6)
            if problem is None and any(not p.group_id for p in perm.user_id_group_pairs):
                problem = "has a group reference without GroupId"
            if problem:
                yield f"{what} {problem}"


def _security_groups(doc: aws.DescribeSecurityGroups) -> Iterator[str]:
    yield from _duplicates((g.group_id for g in doc.security_groups), "SecurityGroups")
    for index, group in enumerate(doc.security_groups):
        yield from _permissions(group, index)


def _network_acls(doc: aws.DescribeNetworkAcls) -> Iterator[str]:
    yield from _duplicates((a.network_acl_id for a in doc.network_acls), "NetworkAcls")
    for index, acl in enumerate(doc.network_acls):
        for n, entry in enumerate(acl.entries):
            what = f"network ACL {acl.network_acl_id} (NetworkAcls[{index}]), entry {n}"
            problem = None
            if entry.rule_action.lower() not in ("allow", "deny"):
                problem = f"has RuleAction {entry.rule_action!r}, not allow or deny"
            elif not 1 <= entry.rule_number <= _last_rule_number(entry):
                problem = (
                    f"has RuleNumber {entry.rule_number}, outside 1-{_last_rule_number(entry)}"
                )
            else:
                problem = _protocol_problem(entry.protocol)
            if problem is None and entry.protocol.lower() in PORT_PROTOCOLS:
                span = entry.port_range
                problem = _port_problem(span.from_ if span else None, span.to if span else None)
            if problem is None:
                problem = (
                    cidr_problem(entry.ipv6_cidr_block, version=6)
                    if entry.cidr_block is None
                    else cidr_problem(entry.cidr_block, version=4)
                )
                if entry.cidr_block is None and entry.ipv6_cidr_block is None:
                    problem = "has no CidrBlock and no Ipv6CidrBlock"
            if problem:
                yield f"{what} {problem}"


def _route_tables(doc: aws.DescribeRouteTables) -> Iterator[str]:
    yield from _duplicates((t.route_table_id for t in doc.route_tables), "RouteTables")
    for index, table in enumerate(doc.route_tables):
        for n, route in enumerate(table.routes):
            what = f"route table {table.route_table_id} (RouteTables[{index}]), route {n}"
            v4, v6 = route.destination_cidr_block, route.destination_ipv6_cidr_block
            if v4 is None and v6 is None and route.destination_prefix_list_id is None:
                yield f"{what} has no destination (CIDR or prefix list)"
                continue
            problem = cidr_problem(v4, version=4) or cidr_problem(v6, version=6)
            if problem:
                yield f"{what} {problem}"
        for n, assoc in enumerate(table.associations):
            if not assoc.main and not assoc.subnet_id and not assoc.gateway_id:
                yield (
                    f"route table {table.route_table_id} (RouteTables[{index}]), association {n} "
                    "is neither the main one nor for a subnet or gateway"
                )


def _vpcs(doc: aws.DescribeVpcs) -> Iterator[str]:
    yield from _duplicates((v.vpc_id for v in doc.vpcs), "Vpcs")
    for index, vpc in enumerate(doc.vpcs):
        for cidr in vpc.cidrs:
            problem = cidr_problem(cidr)
            if problem:
                yield f"VPC {vpc.vpc_id} (Vpcs[{index}]) {problem}"


def _subnets(doc: aws.DescribeSubnets) -> Iterator[str]:
    yield from _duplicates((s.subnet_id for s in doc.subnets), "Subnets")
    for index, subnet in enumerate(doc.subnets):
        problem = cidr_problem(subnet.cidr_block)
        if problem:
            yield f"subnet {subnet.subnet_id} (Subnets[{index}]) {problem}"


def _endpoints(doc: aws.DescribeVpcEndpoints) -> Iterator[str]:
    yield from _duplicates((e.vpc_endpoint_id for e in doc.vpc_endpoints), "VpcEndpoints")
    for index, ep in enumerate(doc.vpc_endpoints):
        if ep.is_interface and ep.listed_groups is None:
            yield (
                f"interface endpoint {ep.vpc_endpoint_id} (VpcEndpoints[{index}]) has no Groups, "
                "which AWS always lists for interface endpoints"
            )


def _prefix_lists(doc: aws.DescribePrefixLists) -> Iterator[str]:
    for index, pl in enumerate(doc.prefix_lists):
        for cidr in pl.cidrs or ():
            problem = cidr_problem(cidr)
            if problem:
                yield f"prefix list {pl.prefix_list_id} (PrefixLists[{index}]) {problem}"


def _ids(attribute: str, key: str, where: str) -> Callable[[Any], Iterator[str]]:
    def check(doc: Any) -> Iterator[str]:
        yield from _duplicates((getattr(r, key) for r in getattr(doc, attribute)), where)

    return check


def _instances(doc: aws.DescribeInstances) -> Iterator[str]:
    ids = [i.instance_id for r in doc.reservations for i in r.instances]
    yield from _duplicates(ids, "the instances of Reservations")


def _vpn_connections(doc: hybrid.DescribeVpnConnections) -> Iterator[str]:
    yield from _duplicates([v.vpn_connection_id for v in doc.vpn_connections], "VpnConnections")
    for i, vpn in enumerate(doc.vpn_connections):
        for j, route in enumerate(vpn.routes):
            problem = cidr_problem(route.destination_cidr_block)
            if problem:
                yield f"VpnConnections[{i}] ({vpn.vpn_connection_id}) Routes[{j}] {problem}"


VALIDATORS: dict[type[Any], Callable[[Any], Iterator[str]]] = {
    aws.DescribeSecurityGroups: _security_groups,
    aws.DescribeNetworkAcls: _network_acls,
    aws.DescribeRouteTables: _route_tables,
    aws.DescribeVpcs: _vpcs,
    aws.DescribeSubnets: _subnets,
    aws.DescribePrefixLists: _prefix_lists,
    aws.DescribeVpcEndpoints: _endpoints,
    aws.DescribeNetworkInterfaces: _ids(
        "network_interfaces", "network_interface_id", "NetworkInterfaces"
    ),
    aws.DescribeNatGateways: _ids("nat_gateways", "nat_gateway_id", "NatGateways"),
    aws.DescribeInternetGateways: _ids(
        "internet_gateways", "internet_gateway_id", "InternetGateways"
    ),
    aws.DescribeEgressOnlyInternetGateways: _ids(
        "egress_only_internet_gateways",
        "egress_only_internet_gateway_id",
        "EgressOnlyInternetGateways",
    ),
    aws.DescribeVpcPeeringConnections: _ids(
        "vpc_peering_connections", "vpc_peering_connection_id", "VpcPeeringConnections"
    ),
    aws.DescribeInstances: _instances,
    hybrid.DescribeVpnConnections: _vpn_connections,
}
"""The checks per decoded shape; shapes without an entry need none."""


def first_problem(doc: object) -> str | None:
    """The first problem of a decoded document, or None when it has none."""
    check = VALIDATORS.get(type(doc))
    return next(check(doc), None) if check is not None else None
