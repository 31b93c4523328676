"""The network handlers: VPC DNS attributes, security groups and their rules, routes to
peering connections and transit gateways, and network ACL entries.

A group, rule, route or entry that exists already is left alone; a route or ACL rule
number that exists with another meaning is not replaced: the change fails.
ModifyVpcAttribute has no dry-run flag: in dry-run mode it is not sent.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ssmreach.apply.context import Context, Outcome, dry_run_call, error_code
from ssmreach.model.route_targets import connection_kind
from ssmreach.plan import changes as c

__all__ = [
    "network_acl_entry",
    "route",
    "security_group",
    "security_group_rules",
    "vpc_attribute",
]


def vpc_attribute(ctx: Context, ch: c.SetVpcAttribute) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    key = "EnableDnsSupport" if ch.attribute == "enableDnsSupport" else "EnableDnsHostnames"
    current = ec2.describe_vpc_attribute(VpcId=ch.vpc_id, Attribute=ch.attribute)
    if current.get(key, {}).get("Value") == ch.value:
        return Outcome(ch.vpc_id, False, f"{ch.attribute} is already {str(ch.value).lower()}")
    if ctx.dry_run:
        return Outcome(
            ch.vpc_id, False, "dry run: ModifyVpcAttribute has no dry-run flag; not sent"
        )
    ec2.modify_vpc_attribute(VpcId=ch.vpc_id, **{key: {"Value": ch.value}})

    def undo() -> None:
        ec2.modify_vpc_attribute(VpcId=ch.vpc_id, **{key: {"Value": not ch.value}})

    return Outcome(ch.vpc_id, True, undo=undo, undo_what=f"set {ch.attribute} back on {ch.vpc_id}")


def security_group(ctx: Context, ch: c.CreateSecurityGroup) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    found = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [ch.vpc_id]},
            {"Name": "group-name", "Values": [ch.group_name]},
        ]
    ).get("SecurityGroups", [])
    if found:
        return Outcome(found[0]["GroupId"], False, "exists")
    args: dict[str, Any] = {
        "GroupName": ch.group_name,
        "Description": ch.description,
        "VpcId": ch.vpc_id,
        "TagSpecifications": ctx.tags("security-group", ch.group_name),
    }
    if ctx.dry_run:
        return dry_run_call(ec2.create_security_group, **args)
    group_id = ec2.create_security_group(**args)["GroupId"]

    def undo() -> None:
        ec2.delete_security_group(GroupId=group_id)

    return Outcome(group_id, True, undo=undo, undo_what=f"delete security group {group_id}")


def _permission(port: int, **peers: Any) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    perm.update({k: v for k, v in peers.items() if v})
    return perm


def security_group_rules(ctx: Context, ch: c.AuthorizeIngress | c.AuthorizeEgress) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    ingress = isinstance(ch, c.AuthorizeIngress)
    try:
        group = ctx.real(ch.group_id)
    except LookupError:
        if ctx.dry_run:
            return Outcome(None, False, "dry run: the group is created earlier in the plan")
        raise
    desc = ch.description
    perms: list[dict[str, Any]] = [
        _permission(ch.port, Ipv6Ranges=[{"CidrIpv6": x, "Description": desc}])
        if c.is_ipv6_cidr(x)
        else _permission(ch.port, IpRanges=[{"CidrIp": x, "Description": desc}])
        for x in ch.cidrs
    ]
    others = ch.source_group_ids if isinstance(ch, c.AuthorizeIngress) else ch.destination_group_ids
    for ref_value in others:
        try:
            other = ctx.real(ref_value)
        except LookupError:
            if ctx.dry_run:
                return Outcome(None, False, "dry run: a group is created earlier in the plan")
            raise
        perms.append(
            _permission(ch.port, UserIdGroupPairs=[{"GroupId": other, "Description": desc}])
        )
    if isinstance(ch, c.AuthorizeEgress):
        perms += [
            _permission(ch.port, PrefixListIds=[{"PrefixListId": p, "Description": desc}])
            for p in ch.prefix_list_ids
        ]
    call = ec2.authorize_security_group_ingress if ingress else ec2.authorize_security_group_egress
    revoke = ec2.revoke_security_group_ingress if ingress else ec2.revoke_security_group_egress
    if ctx.dry_run:
        return dry_run_call(call, GroupId=group, IpPermissions=perms)
    added: list[str] = []
    for perm in perms:
        try:
            answer = call(GroupId=group, IpPermissions=[perm])
        except ClientError as exc:
            if error_code(exc) == "InvalidPermission.Duplicate":
                continue
            raise
        added += [r["SecurityGroupRuleId"] for r in answer.get("SecurityGroupRules", [])]
    if not added:
        return Outcome(group, False, "the rules exist")

    def undo() -> None:
        revoke(GroupId=group, SecurityGroupRuleIds=added)

    return Outcome(
        group, True, f"{len(added)} rule(s)", undo, f"revoke {', '.join(added)} on {group}"
    )


def route(ctx: Context, ch: c.CreateRoute) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    key = (
        "VpcPeeringConnectionId" if connection_kind(ch.target) == "peering" else "TransitGatewayId"
    )
    tables = ec2.describe_route_tables(RouteTableIds=[ch.route_table_id]).get("RouteTables", [])
    for route in tables[0].get("Routes", []) if tables else []:
        if route.get("DestinationCidrBlock") == ch.destination_cidr:
            if route.get(key) == ch.target:
                return Outcome(ch.route_table_id, False, "the route exists")
            raise RuntimeError(
                f"{ch.route_table_id} already routes {ch.destination_cidr} elsewhere; not replaced"
            )
    args = {
        "RouteTableId": ch.route_table_id,
        "DestinationCidrBlock": ch.destination_cidr,
        key: ch.target,
    }
    if ctx.dry_run:
        return dry_run_call(ec2.create_route, **args)
    ec2.create_route(**args)

    def undo() -> None:
        ec2.delete_route(RouteTableId=ch.route_table_id, DestinationCidrBlock=ch.destination_cidr)

    return Outcome(
        ch.route_table_id,
        True,
        undo=undo,
        undo_what=f"delete route {ch.destination_cidr} from {ch.route_table_id}",
    )


def _same_entry(entry: dict[str, Any], ch: c.AddNetworkAclEntry) -> bool:
    ports = entry.get("PortRange") or {}
    return (
        str(entry.get("Protocol")) in (ch.protocol, "tcp")
        and str(entry.get("RuleAction", "")).lower() == "allow"
        and entry.get("CidrBlock") == ch.cidr
        and ports.get("From") == ch.from_port
        and ports.get("To") == ch.to_port
    )


def network_acl_entry(ctx: Context, ch: c.AddNetworkAclEntry) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    acls = ec2.describe_network_acls(NetworkAclIds=[ch.network_acl_id]).get("NetworkAcls", [])
    if not acls:
        raise LookupError(f"{ch.network_acl_id} does not exist")
    direction = "outbound" if ch.egress else "inbound"
    for entry in acls[0].get("Entries", []):
        if entry.get("RuleNumber") != ch.rule_number or bool(entry.get("Egress")) != ch.egress:
            continue
        if _same_entry(entry, ch):
            return Outcome(ch.network_acl_id, False, "the entry exists")
        raise RuntimeError(
            f"{ch.network_acl_id} already has a different {direction} rule {ch.rule_number}; "
            "not replaced (plan again)"
        )
    args: dict[str, Any] = {
        "NetworkAclId": ch.network_acl_id,
        "RuleNumber": ch.rule_number,
        "Protocol": ch.protocol,
        "RuleAction": "allow",
        "Egress": ch.egress,
        "CidrBlock": ch.cidr,
        "PortRange": {"From": ch.from_port, "To": ch.to_port},
    }
    if ctx.dry_run:
        return dry_run_call(ec2.create_network_acl_entry, **args)
    ec2.create_network_acl_entry(**args)

    def undo() -> None:
        ec2.delete_network_acl_entry(
            NetworkAclId=ch.network_acl_id, RuleNumber=ch.rule_number, Egress=ch.egress
        )

    return Outcome(
        ch.network_acl_id,
        True,
        f"{direction} rule {ch.rule_number}",
        undo,
        f"delete {direction} rule {ch.rule_number} from {ch.network_acl_id}",
    )
