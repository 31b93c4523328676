"""VPCs, subnets and security groups as the API records they become.

A translator reads the resource's planned values (following values known only after
apply through `Resolver`) and edits the snapshot's records the way AWS would once the
change is carried out: a new VPC brings its default security group, main route table
and default network ACL; a gateway endpoint adds its prefix-list route to each route
table; an interface endpoint without groups gets the VPC's default group; a Terraform
`aws_security_group` created without egress blocks has no egress rule (the provider
revokes the default one); `aws_default_security_group` and `aws_default_network_acl`
replace every rule. Sources: VPC user guide ("Default VPC components", "Default network
ACL", "Gateway endpoints"), PrivateLink guide ("Security groups"), and the Terraform AWS
provider documentation of each resource type named in `KINDS`.
"""

from __future__ import annotations

from typing import Any

from ssmreach.preview.context import Context, before_id, drop, tags_of, upsert
from ssmreach.preview.plan_document import ResourceChange
from ssmreach.preview.references import Placeholder
from ssmreach.preview.routing import associate_acl, default_acl, local_route
from ssmreach.preview.rules import (
    default_acl_entries,
    permission,
    remove_permission,
)

# --- VPCs and subnets ----------------------------------------------------------------------


def vpc(ctx: Context, change: ResourceChange, vpc_id: str) -> None:
    vpcs = ctx.edit("DescribeVpcs", change.address)
    if vpcs is None:
        return
    cidr = change.value.get("cidr_block")
    existing = ctx.find("DescribeVpcs", "VpcId", vpc_id)
    fields: dict[str, Any] = {"OwnerId": ctx.account, "State": "available", "Tags": tags_of(change)}
    if cidr:
        fields["CidrBlock"] = cidr
        if existing is None:
            fields["CidrBlockAssociationSet"] = [
                {"CidrBlock": cidr, "CidrBlockState": {"State": "associated"}}
            ]
    if existing is None:
        fields["IsDefault"] = False
        fields["DhcpOptionsId"] = _region_dhcp_options(ctx, change)
    upsert(vpcs, "VpcId", vpc_id, fields)
    _vpc_attributes(ctx, change, vpc_id)
    if existing is None and cidr:
        _vpc_defaults(ctx, change, vpc_id, cidr)


def _region_dhcp_options(ctx: Context, change: ResourceChange) -> str | None:
    """A new VPC gets the Region's default DHCP options set (that of the default VPC), which
    names AmazonProvidedDNS; without one in the snapshot, such a set is added."""
    for vpc in ctx.records.items(ctx.region, "ec2", "DescribeVpcs"):
        if vpc.get("IsDefault") and vpc.get("DhcpOptionsId"):
            return str(vpc["DhcpOptionsId"])
    options = ctx.edit("DescribeDhcpOptions", change.address)
    if options is None:
        return None
    dopt = Placeholder("dopt").id_for(ctx.region, "default")
    upsert(
        options,
        "DhcpOptionsId",
        dopt,
        {
            "DhcpConfigurations": [
                {"Key": "domain-name-servers", "Values": [{"Value": "AmazonProvidedDNS"}]}
            ]
        },
    )
    return dopt


def _vpc_attributes(ctx: Context, change: ResourceChange, vpc_id: str) -> None:
    calls = ctx.edit("DescribeVpcAttribute", change.address)
    if calls is None:
        return
    values = {
        "enableDnsSupport": change.value.get("enable_dns_support", True),
        "enableDnsHostnames": change.value.get("enable_dns_hostnames", False),
    }
    calls[:] = [c for c in calls if (c.get("Request") or {}).get("VpcId") != vpc_id]
    for attribute, value in values.items():
        response_key = attribute[0].upper() + attribute[1:]
        calls.append(
            {
                "Request": {"VpcId": vpc_id, "Attribute": attribute},
                "Response": {"VpcId": vpc_id, response_key: {"Value": bool(value)}},
            }
        )


def _vpc_defaults(ctx: Context, change: ResourceChange, vpc_id: str, cidr: str) -> None:
    """What AWS creates with a VPC (VPC user guide, "Default VPC components" and the
    defaults of a new VPC): a default security group, a main route table, a default ACL."""
    attrs = ctx.ids.attrs(change.address)
    groups = ctx.edit("DescribeSecurityGroups", change.address)
    if groups is not None:
        sg = str(attrs["default_security_group_id"])
        upsert(
            groups,
            "GroupId",
            sg,
            {
                "GroupName": "default",
                "VpcId": vpc_id,
                "OwnerId": ctx.account,
                "IpPermissions": [permission("-1", None, None, groups=[sg])],
                "IpPermissionsEgress": [permission("-1", None, None, cidrs=["0.0.0.0/0"])],
            },
        )
    tables = ctx.edit("DescribeRouteTables", change.address)
    if tables is not None:
        rtb = str(attrs["main_route_table_id"])
        upsert(
            tables,
            "RouteTableId",
            rtb,
            {
                "VpcId": vpc_id,
                "OwnerId": ctx.account,
                "Associations": [
                    {
                        "Main": True,
                        "RouteTableId": rtb,
                        "RouteTableAssociationId": Placeholder("rtbassoc").id_for(
                            change.address, "main"
                        ),
                        "AssociationState": {"State": "associated"},
                    }
                ],
                "Routes": [local_route(cidr)],
            },
        )
    acls = ctx.edit("DescribeNetworkAcls", change.address)
    if acls is not None:
        upsert(
            acls,
            "NetworkAclId",
            str(attrs["default_network_acl_id"]),
            {
                "VpcId": vpc_id,
                "IsDefault": True,
                "Associations": [],
                "Entries": default_acl_entries(allow=True),
            },
        )


def remove_vpc(ctx: Context, change: ResourceChange) -> None:
    vpc_id = before_id(change)
    drop(ctx.edit("DescribeVpcs", change.address), "VpcId", vpc_id)
    for operation in (
        "DescribeSecurityGroups",
        "DescribeRouteTables",
        "DescribeNetworkAcls",
        "DescribeSubnets",
    ):
        drop(ctx.edit(operation, change.address), "VpcId", vpc_id)


def subnet(ctx: Context, change: ResourceChange, subnet_id: str) -> None:
    subnets = ctx.edit("DescribeSubnets", change.address)
    if subnets is None:
        return
    vpc_id = ctx.resolver.scalar(change, "vpc_id")
    existing = ctx.find("DescribeSubnets", "SubnetId", subnet_id)
    fields: dict[str, Any] = {
        "VpcId": vpc_id,
        "CidrBlock": change.value.get("cidr_block"),
        "AvailabilityZone": change.value.get("availability_zone"),
        "AvailabilityZoneId": change.value.get("availability_zone_id"),
        "MapPublicIpOnLaunch": bool(change.value.get("map_public_ip_on_launch")),
        "OwnerId": ctx.account,
        "Tags": tags_of(change),
    }
    upsert(subnets, "SubnetId", subnet_id, {k: v for k, v in fields.items() if v is not None})
    if existing is None and vpc_id:
        associate_acl(ctx, change, subnet_id, default_acl(ctx, vpc_id))


def remove_subnet(ctx: Context, change: ResourceChange) -> None:
    subnet_id = before_id(change)
    drop(ctx.edit("DescribeSubnets", change.address), "SubnetId", subnet_id)
    for acl in ctx.edit("DescribeNetworkAcls", change.address) or []:
        drop(acl.get("Associations"), "SubnetId", subnet_id)
    for table in ctx.edit("DescribeRouteTables", change.address) or []:
        drop(table.get("Associations"), "SubnetId", subnet_id)


# --- security groups -------------------------------------------------------------------------


def _inline_rules(
    ctx: Context, change: ResourceChange, block: str, own: str
) -> list[dict[str, Any]]:
    rules = []
    for i, rule in enumerate(change.value.get(block) or []):

        def listed(name: str, i: int = i) -> list[str]:
            return [str(v) for v in ctx.resolver.block_value(change, block, i, name) or []]

        groups = listed("security_groups") + ([own] if rule.get("self") else [])
        rules.append(
            permission(
                rule.get("protocol"),
                rule.get("from_port"),
                rule.get("to_port"),
                cidrs=listed("cidr_blocks"),
                ipv6=listed("ipv6_cidr_blocks"),
                prefix_lists=listed("prefix_list_ids"),
                groups=groups,
            )
        )
    return rules


def security_group(ctx: Context, change: ResourceChange, group_id: str) -> None:
    groups = ctx.edit("DescribeSecurityGroups", change.address)
    if groups is None:
        return
    existing = ctx.find("DescribeSecurityGroups", "GroupId", group_id)
    fields: dict[str, Any] = {
        "GroupName": change.value.get("name") or change.address,
        "VpcId": ctx.resolver.scalar(change, "vpc_id"),
        "OwnerId": ctx.account,
        "Tags": tags_of(change),
    }
    for block, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        if change.unknown.get(block) is True:
            # Not written inline: a new group has none (the provider revokes AWS's default
            # egress rule); an existing one keeps what it has.
            if existing is None:
                fields[key] = []
        else:
            fields[key] = _inline_rules(ctx, change, block, group_id)
    upsert(groups, "GroupId", group_id, fields)


def default_security_group(ctx: Context, change: ResourceChange, _: str) -> None:
    """`aws_default_security_group` adopts the VPC's default group and removes every rule not
    in its configuration (Terraform AWS provider, aws_default_security_group)."""
    vpc_id = ctx.resolver.scalar(change, "vpc_id")
    group = next(
        (
            g
            for g in ctx.records.items(ctx.region, "ec2", "DescribeSecurityGroups")
            if g.get("VpcId") == vpc_id and g.get("GroupName") == "default"
        ),
        None,
    )
    if ctx.edit("DescribeSecurityGroups", change.address) is None:
        return
    if group is None:
        ctx.notes.append(
            f"{change.address}: the default security group of {vpc_id} is not in the snapshot"
        )
        return
    group["IpPermissions"] = _inline_rules(ctx, change, "ingress", group["GroupId"])
    group["IpPermissionsEgress"] = _inline_rules(ctx, change, "egress", group["GroupId"])


def remove_group(ctx: Context, change: ResourceChange) -> None:
    drop(ctx.edit("DescribeSecurityGroups", change.address), "GroupId", before_id(change))


class _RuleValues:
    """A standalone rule's values: planned (references followed), or the old ones for a removal."""

    def __init__(self, ctx: Context, change: ResourceChange) -> None:
        self._ctx, self._change = ctx, change
        self.planned = change.change.after is not None
        self.values: dict[str, Any] = change.value if self.planned else (change.change.before or {})

    def scalar(self, name: str) -> str | None:
        if self.planned:
            return self._ctx.resolver.scalar(self._change, name)
        value = self.values.get(name)
        return None if value is None else str(value)

    def listed(self, name: str) -> list[str]:
        if self.planned:
            return self._ctx.resolver.values(self._change, name)
        return [str(v) for v in self.values.get(name) or []]

    def one(self, name: str) -> list[str]:
        value = self.scalar(name)
        return [value] if value else []


def _rule_of(ctx: Context, change: ResourceChange) -> tuple[str | None, bool, dict[str, Any]]:
    """(group, egress, permission) of a standalone rule resource."""
    v = _RuleValues(ctx, change)
    group = v.scalar("security_group_id")
    if change.type == "aws_security_group_rule":
        groups = v.one("source_security_group_id") + (
            [group] if v.values.get("self") and group else []
        )
        rule = permission(
            v.values.get("protocol"),
            v.values.get("from_port"),
            v.values.get("to_port"),
            cidrs=v.listed("cidr_blocks"),
            ipv6=v.listed("ipv6_cidr_blocks"),
            prefix_lists=v.listed("prefix_list_ids"),
            groups=groups,
        )
        return group, v.values.get("type") == "egress", rule
    rule = permission(
        v.values.get("ip_protocol"),
        v.values.get("from_port"),
        v.values.get("to_port"),
        cidrs=v.one("cidr_ipv4"),
        ipv6=v.one("cidr_ipv6"),
        prefix_lists=v.one("prefix_list_id"),
        groups=v.one("referenced_security_group_id"),
    )
    return group, change.type.endswith("egress_rule"), rule


def _group_rules(
    ctx: Context, change: ResourceChange, group_id: str | None, egress: bool
) -> list[dict[str, Any]] | None:
    group = ctx.target("DescribeSecurityGroups", "GroupId", group_id, change, "security group")
    if group is None:
        return None
    rules: list[dict[str, Any]] = group.setdefault(
        "IpPermissionsEgress" if egress else "IpPermissions", []
    )
    return rules


def sg_rule(ctx: Context, change: ResourceChange, _: str) -> None:
    group_id, egress, rule = _rule_of(ctx, change)
    rules = _group_rules(ctx, change, group_id, egress)
    if rules is not None:
        rules.append(rule)


def remove_sg_rule(ctx: Context, change: ResourceChange) -> None:
    group_id, egress, rule = _rule_of(ctx, change)
    rules = _group_rules(ctx, change, group_id, egress)
    if rules is not None:
        remove_permission(rules, rule)
