"""Route tables, routes, their associations, and network ACLs as the API records they become.

A subnet has one route table association and one network ACL association at a time:
associating it elsewhere moves it, and removing the association returns it to the main
route table or the default ACL (VPC user guide, "Route tables" and "Network ACLs").
Gateway endpoints are routed as `GatewayId: vpce-…`, as `DescribeRouteTables` returns them.
"""

from __future__ import annotations

from typing import Any

from ssmreach.preview.context import Context, before_id, drop, tags_of, upsert
from ssmreach.preview.plan_document import ResourceChange
from ssmreach.preview.references import Placeholder
from ssmreach.preview.rules import acl_entry, default_acl_entries

TARGETS = {
    "gateway_id": "GatewayId",
    "vpc_endpoint_id": "GatewayId",
    "nat_gateway_id": "NatGatewayId",
    "transit_gateway_id": "TransitGatewayId",
    "vpc_peering_connection_id": "VpcPeeringConnectionId",
    "network_interface_id": "NetworkInterfaceId",
    "egress_only_gateway_id": "EgressOnlyInternetGatewayId",
    "local_gateway_id": "LocalGatewayId",
    "carrier_gateway_id": "CarrierGatewayId",
    "core_network_arn": "CoreNetworkArn",
}
"""Terraform's route target arguments and the `Route` field each one fills."""

DESTINATIONS = {
    "destination_cidr_block": "DestinationCidrBlock",
    "cidr_block": "DestinationCidrBlock",
    "destination_ipv6_cidr_block": "DestinationIpv6CidrBlock",
    "ipv6_cidr_block": "DestinationIpv6CidrBlock",
    "destination_prefix_list_id": "DestinationPrefixListId",
}


def local_route(cidr: str) -> dict[str, Any]:
    return {
        "DestinationCidrBlock": cidr,
        "GatewayId": "local",
        "Origin": "CreateRouteTable",
        "State": "active",
    }


def _route(get: Any, origin: str) -> dict[str, Any]:
    route: dict[str, Any] = {"Origin": origin, "State": "active"}
    for argument, key in (*DESTINATIONS.items(), *TARGETS.items()):
        value = get(argument)
        if value:
            route[key] = str(value)
    return route


def _destination(route: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        route.get(k)
        for k in ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")
    )


def _table(ctx: Context, change: ResourceChange, table_id: str | None) -> dict[str, Any] | None:
    return ctx.target("DescribeRouteTables", "RouteTableId", table_id, change, "route table")


def route_table(ctx: Context, change: ResourceChange, table_id: str) -> None:
    tables = ctx.edit("DescribeRouteTables", change.address)
    if tables is None:
        return
    vpc_id = ctx.resolver.scalar(change, "vpc_id")
    existing = ctx.find("DescribeRouteTables", "RouteTableId", table_id)
    fields: dict[str, Any] = {"VpcId": vpc_id, "OwnerId": ctx.account, "Tags": tags_of(change)}
    if change.unknown.get("route") is not True:
        vpc = ctx.find("DescribeVpcs", "VpcId", vpc_id or "")
        local = [local_route(str(vpc["CidrBlock"]))] if vpc and vpc.get("CidrBlock") else []
        inline = [
            _route(lambda a, i=i: ctx.resolver.block_value(change, "route", i, a), "CreateRoute")
            for i in range(len(change.value.get("route") or []))
        ]
        fields["Routes"] = local + inline
    elif existing is None:
        vpc = ctx.find("DescribeVpcs", "VpcId", vpc_id or "")
        fields["Routes"] = (
            [local_route(str(vpc["CidrBlock"]))] if vpc and vpc.get("CidrBlock") else []
        )
    if existing is None:
        fields["Associations"] = []
    upsert(tables, "RouteTableId", table_id, fields)


def remove_route_table(ctx: Context, change: ResourceChange) -> None:
    drop(ctx.edit("DescribeRouteTables", change.address), "RouteTableId", before_id(change))


def _values(ctx: Context, change: ResourceChange) -> Any:
    if change.change.after is not None:
        return lambda a: ctx.resolver.scalar(change, a)
    before = change.change.before or {}
    return before.get


def route(ctx: Context, change: ResourceChange, _: str) -> None:
    get = _values(ctx, change)
    table = _table(ctx, change, get("route_table_id"))
    if table is None:
        return
    new = _route(get, "CreateRoute")
    routes = table.setdefault("Routes", [])
    routes[:] = [r for r in routes if _destination(r) != _destination(new)] + [new]


def remove_route(ctx: Context, change: ResourceChange) -> None:
    get = _values(ctx, change)
    table = _table(ctx, change, get("route_table_id"))
    if table is not None:
        gone = _destination(_route(get, "CreateRoute"))
        table["Routes"] = [r for r in table.get("Routes", []) if _destination(r) != gone]


def _unassociate_subnet(tables: list[dict[str, Any]], subnet_id: str) -> None:
    for table in tables:
        table["Associations"] = [
            a for a in table.get("Associations", []) if a.get("SubnetId") != subnet_id
        ]


def table_association(ctx: Context, change: ResourceChange, association_id: str) -> None:
    get = _values(ctx, change)
    tables = ctx.edit("DescribeRouteTables", change.address)
    table = _table(ctx, change, get("route_table_id"))
    if tables is None or table is None:
        return
    subnet, gateway = get("subnet_id"), get("gateway_id")
    if subnet:
        _unassociate_subnet(tables, subnet)
    association = {
        "Main": False,
        "RouteTableId": table["RouteTableId"],
        "RouteTableAssociationId": association_id,
    }
    association.update({"SubnetId": subnet} if subnet else {"GatewayId": gateway})
    table.setdefault("Associations", []).append(
        {**association, "AssociationState": {"State": "associated"}}
    )


def remove_table_association(ctx: Context, change: ResourceChange) -> None:
    subnet = (change.change.before or {}).get("subnet_id")
    tables = ctx.edit("DescribeRouteTables", change.address)
    if tables is not None and subnet:
        _unassociate_subnet(tables, subnet)  # the subnet falls back to the main table


def _set_main(
    ctx: Context, change: ResourceChange, vpc_id: str | None, table_id: str | None
) -> None:
    tables = ctx.edit("DescribeRouteTables", change.address)
    if tables is None or not table_id:
        return
    for table in tables:
        if table.get("VpcId") != vpc_id:
            continue
        table["Associations"] = [a for a in table.get("Associations", []) if not a.get("Main")]
        if table.get("RouteTableId") == table_id:
            table["Associations"].append(
                {
                    "Main": True,
                    "RouteTableId": table_id,
                    "RouteTableAssociationId": Placeholder("rtbassoc").id_for(change.address),
                    "AssociationState": {"State": "associated"},
                }
            )


def main_association(ctx: Context, change: ResourceChange, _: str) -> None:
    _set_main(
        ctx,
        change,
        ctx.resolver.scalar(change, "vpc_id"),
        ctx.resolver.scalar(change, "route_table_id"),
    )


def remove_main_association(ctx: Context, change: ResourceChange) -> None:
    """Terraform puts the VPC's original main table back (`original_route_table_id`)."""
    before = change.change.before or {}
    _set_main(ctx, change, before.get("vpc_id"), before.get("original_route_table_id"))


# --- network ACLs -------------------------------------------------------------------------


def default_acl(ctx: Context, vpc_id: str) -> str | None:
    for acl in ctx.records.items(ctx.region, "ec2", "DescribeNetworkAcls"):
        if acl.get("VpcId") == vpc_id and acl.get("IsDefault"):
            return str(acl["NetworkAclId"])
    return None


def associate_acl(ctx: Context, change: ResourceChange, subnet_id: str, acl_id: str | None) -> None:
    acls = ctx.edit("DescribeNetworkAcls", change.address)
    if acls is None or acl_id is None:
        return
    for acl in acls:
        acl["Associations"] = [
            a for a in acl.get("Associations", []) if a.get("SubnetId") != subnet_id
        ]
        if acl.get("NetworkAclId") == acl_id:
            acl["Associations"].append(
                {
                    "NetworkAclAssociationId": Placeholder("aclassoc").id_for(
                        change.address, subnet_id
                    ),
                    "NetworkAclId": acl_id,
                    "SubnetId": subnet_id,
                }
            )


def _inline_entries(change: ResourceChange) -> list[dict[str, Any]]:
    entries = []
    for block, egress in (("ingress", False), ("egress", True)):
        for rule in change.value.get(block) or []:
            entries.append(
                acl_entry(
                    rule.get("rule_no"),
                    egress=egress,
                    protocol=rule.get("protocol"),
                    action=rule.get("action"),
                    cidr=rule.get("cidr_block") or None,
                    ipv6=rule.get("ipv6_cidr_block") or None,
                    from_port=rule.get("from_port"),
                    to_port=rule.get("to_port"),
                    icmp_type=rule.get("icmp_type"),
                    icmp_code=rule.get("icmp_code"),
                )
            )
    return entries


def network_acl(ctx: Context, change: ResourceChange, acl_id: str) -> None:
    acls = ctx.edit("DescribeNetworkAcls", change.address)
    if acls is None:
        return
    existing = ctx.find("DescribeNetworkAcls", "NetworkAclId", acl_id)
    fields: dict[str, Any] = {
        "VpcId": ctx.resolver.scalar(change, "vpc_id"),
        "OwnerId": ctx.account,
        "Tags": tags_of(change),
    }
    inline_known = (
        change.unknown.get("ingress") is not True and change.unknown.get("egress") is not True
    )
    if inline_known or existing is None:
        fields["Entries"] = (_inline_entries(change) if inline_known else []) + default_acl_entries(
            allow=False
        )
    if existing is None:
        fields.update(IsDefault=False, Associations=[])
    upsert(acls, "NetworkAclId", acl_id, fields)
    for subnet_id in ctx.resolver.values(change, "subnet_ids"):
        associate_acl(ctx, change, subnet_id, acl_id)


def default_network_acl(ctx: Context, change: ResourceChange, _: str) -> None:
    """`aws_default_network_acl` replaces every entry of the VPC's default ACL with its own
    (Terraform AWS provider, aws_default_network_acl); the catch-all deny stays."""
    acl_id = ctx.resolver.scalar(change, "default_network_acl_id")
    acl = _acl(ctx, change, acl_id)
    if acl is None:
        return
    acl["Entries"] = _inline_entries(change) + default_acl_entries(allow=False)
    for subnet_id in ctx.resolver.values(change, "subnet_ids"):
        associate_acl(ctx, change, subnet_id, acl_id)


def remove_network_acl(ctx: Context, change: ResourceChange) -> None:
    """AWS deletes an ACL only without subnets: the provider first moves them to the VPC's
    default ACL (Terraform AWS provider, aws_network_acl), and so does the overlay."""
    acl_id = before_id(change)
    acl = ctx.find("DescribeNetworkAcls", "NetworkAclId", acl_id or "")
    if acl is not None:
        default = default_acl(ctx, str(acl.get("VpcId")))
        for association in list(acl.get("Associations") or []):
            if association.get("SubnetId") and default != acl_id:
                associate_acl(ctx, change, str(association["SubnetId"]), default)
    drop(ctx.edit("DescribeNetworkAcls", change.address), "NetworkAclId", acl_id)


def _rule_entry(get: Any, values: dict[str, Any]) -> dict[str, Any]:
    return acl_entry(
        values.get("rule_number"),
        egress=bool(values.get("egress")),
        protocol=values.get("protocol"),
        action=values.get("rule_action"),
        cidr=get("cidr_block"),
        ipv6=get("ipv6_cidr_block"),
        from_port=values.get("from_port"),
        to_port=values.get("to_port"),
        icmp_type=values.get("icmp_type"),
        icmp_code=values.get("icmp_code"),
    )


def _acl(ctx: Context, change: ResourceChange, acl_id: str | None) -> dict[str, Any] | None:
    return ctx.target("DescribeNetworkAcls", "NetworkAclId", acl_id, change, "network ACL")


def acl_rule(ctx: Context, change: ResourceChange, _: str) -> None:
    get = _values(ctx, change)
    acl = _acl(ctx, change, get("network_acl_id"))
    if acl is None:
        return
    entry = _rule_entry(get, change.value)
    key = (entry["RuleNumber"], entry["Egress"])
    acl["Entries"] = [
        e for e in acl.get("Entries", []) if (e.get("RuleNumber"), e.get("Egress")) != key
    ] + [entry]


def remove_acl_rule(ctx: Context, change: ResourceChange) -> None:
    before = change.change.before or {}
    acl = _acl(ctx, change, before.get("network_acl_id"))
    if acl is not None:
        key = (before.get("rule_number"), bool(before.get("egress")))
        acl["Entries"] = [
            e for e in acl.get("Entries", []) if (e.get("RuleNumber"), e.get("Egress")) != key
        ]


def acl_association(ctx: Context, change: ResourceChange, _: str) -> None:
    subnet_id = ctx.resolver.scalar(change, "subnet_id")
    if subnet_id:
        associate_acl(ctx, change, subnet_id, ctx.resolver.scalar(change, "network_acl_id"))


def remove_acl_association(ctx: Context, change: ResourceChange) -> None:
    """The subnet returns to its VPC's default ACL."""
    subnet_id = (change.change.before or {}).get("subnet_id")
    subnet = ctx.find("DescribeSubnets", "SubnetId", subnet_id or "")
    if subnet_id and subnet is not None:
        associate_acl(ctx, change, subnet_id, default_acl(ctx, str(subnet.get("VpcId"))))
