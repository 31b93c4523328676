"""The changes a plan may propose: a closed union of typed, frozen, JSON-serialisable records.

Every change carries:

- `id`: stable (derived from what it changes, never from time), used by `depends_on`;
- `fixes`: the findings (instance, feature, reason code) it helps make PRIVATE;
- `depends_on`: ids of changes that must be carried out first;
- `permissions`: the IAM actions the caller needs to carry it out;
- `monthly_cost`: what it adds to the bill per month (USD, hourly charges only).

A value that names a resource another change of the same plan creates is a
reference, written `${change-id}` (see `ref`). `apply` resolves it to the id that
change returned; `export` turns it into a Terraform or CloudFormation reference.

Nothing here deletes or replaces anything: the union has no such member.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "AddNetworkAclEntry",
    "AssociateGatewayRouteTables",
    "AssociateHostedZone",
    "AuthorizeEgress",
    "AuthorizeIngress",
    "Change",
    "CreateGatewayEndpoint",
    "CreateInterfaceEndpoint",
    "CreatePrivateHostedZone",
    "CreateRoute",
    "CreateSecurityGroup",
    "Finding",
    "ModifyEndpointPrivateDns",
    "ModifyEndpointSecurityGroups",
    "SetEndpointPolicy",
    "SetVpcAttribute",
    "is_ref",
    "ref",
    "ref_target",
]


class Finding(msgspec.Struct, frozen=True, order=True):
    """One (instance, feature) result a change helps fix, with the reason code it removes."""

    instance: str
    feature: str
    code: str


def ref(change_id: str) -> str:
    """A reference to the resource that change `change_id` creates."""
    return "${" + change_id + "}"


def is_ipv6_cidr(cidr: str) -> bool:
    """A change's CIDRs are of either family; IPv6 ones go to the IPv6 fields of a rule."""
    return ":" in cidr


def is_ref(value: str) -> bool:
    return value.startswith("${") and value.endswith("}")


def ref_target(value: str) -> str:
    """The change id a reference names (`${sg-1}` -> `sg-1`)."""
    if not is_ref(value):
        raise ValueError(f"not a reference: {value!r}")
    return value[2:-1]


class _Change(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag=True):
    id: str
    account: str
    region: str
    vpc_id: str | None = None
    summary: str = ""
    fixes: tuple[Finding, ...] = ()
    depends_on: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()
    monthly_cost: float = 0.0

    def references(self) -> tuple[str, ...]:
        """The change ids this change's fields refer to (`${...}` values)."""
        found: list[str] = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            values = value if isinstance(value, tuple) else (value,)
            for item in values:
                if isinstance(item, str) and is_ref(item):
                    found.append(ref_target(item))
        return tuple(dict.fromkeys(found))


class SetVpcAttribute(_Change, frozen=True, kw_only=True):
    """`ModifyVpcAttribute`: turn on enableDnsSupport or enableDnsHostnames."""

    attribute: Literal["enableDnsSupport", "enableDnsHostnames"]
    value: bool = True
    permissions: tuple[str, ...] = ("ec2:ModifyVpcAttribute",)


class CreateSecurityGroup(_Change, frozen=True, kw_only=True):
    """`CreateSecurityGroup` (tagged); its rules are separate `AuthorizeIngress` changes."""

    group_name: str
    description: str
    permissions: tuple[str, ...] = ("ec2:CreateSecurityGroup", "ec2:CreateTags")


class AuthorizeIngress(_Change, frozen=True, kw_only=True):
    """`AuthorizeSecurityGroupIngress`: TCP `port` from CIDRs (and/or groups)."""

    group_id: str
    port: int = 443
    cidrs: tuple[str, ...] = ()
    source_group_ids: tuple[str, ...] = ()
    description: str = "ssmreach: HTTPS from managed instances"
    permissions: tuple[str, ...] = ("ec2:AuthorizeSecurityGroupIngress",)


class AuthorizeEgress(_Change, frozen=True, kw_only=True):
    """`AuthorizeSecurityGroupEgress`: TCP `port` to CIDRs, prefix lists or groups."""

    group_id: str
    port: int = 443
    cidrs: tuple[str, ...] = ()
    prefix_list_ids: tuple[str, ...] = ()
    destination_group_ids: tuple[str, ...] = ()
    description: str = "ssmreach: HTTPS to Systems Manager endpoints"
    permissions: tuple[str, ...] = ("ec2:AuthorizeSecurityGroupEgress",)


class CreateInterfaceEndpoint(_Change, frozen=True, kw_only=True):
    """`CreateVpcEndpoint` (Interface) in one subnet per Availability Zone."""

    service: str
    service_name: str
    subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    private_dns: bool = True
    policy: str | None = None
    # dualstack or ipv6 (with DNS record IP type dualstack or ipv6) for instances in
    # IPv6-only subnets; None: AWS's default, ipv4
    ip_address_type: str | None = None
    dns_record_ip_type: str | None = None
    permissions: tuple[str, ...] = (
        "ec2:CreateVpcEndpoint",
        "ec2:CreateTags",
        "ec2:DescribeVpcEndpoints",
        "route53:AssociateVPCWithHostedZone",
    )


class ModifyEndpointPrivateDns(_Change, frozen=True, kw_only=True):
    """`ModifyVpcEndpoint --private-dns-enabled` on an existing interface endpoint."""

    endpoint_id: str
    service: str
    enabled: bool = True
    permissions: tuple[str, ...] = (
        "ec2:ModifyVpcEndpoint",
        "route53:AssociateVPCWithHostedZone",
    )


class ModifyEndpointSecurityGroups(_Change, frozen=True, kw_only=True):
    """`ModifyVpcEndpoint --add-security-group-ids`: nothing is removed."""

    endpoint_id: str
    service: str
    add_group_ids: tuple[str, ...]
    permissions: tuple[str, ...] = ("ec2:ModifyVpcEndpoint",)


class CreateGatewayEndpoint(_Change, frozen=True, kw_only=True):
    """`CreateVpcEndpoint` (Gateway, S3) on the instances' route tables."""

    service: str = "s3"
    service_name: str
    route_table_ids: tuple[str, ...]
    policy: str | None = None
    permissions: tuple[str, ...] = (
        "ec2:CreateVpcEndpoint",
        "ec2:CreateTags",
        "ec2:DescribeVpcEndpoints",
    )


class AssociateGatewayRouteTables(_Change, frozen=True, kw_only=True):
    """`ModifyVpcEndpoint --add-route-table-ids` on an existing gateway endpoint."""

    endpoint_id: str
    route_table_ids: tuple[str, ...]
    permissions: tuple[str, ...] = ("ec2:ModifyVpcEndpoint",)


class SetEndpointPolicy(_Change, frozen=True, kw_only=True):
    """`ModifyVpcEndpoint --policy-document`: the existing statements plus one allow statement."""

    endpoint_id: str
    service: str
    policy: str
    previous_policy: str | None = None
    permissions: tuple[str, ...] = ("ec2:ModifyVpcEndpoint",)


class CreatePrivateHostedZone(_Change, frozen=True, kw_only=True):
    """Hub and spoke: a private hosted zone for one service name, with an alias record
    (the zone apex) to the hub endpoint's regional DNS name, associated with the spoke VPCs."""

    zone_name: str
    service: str
    endpoint_id: str
    vpc_ids: tuple[str, ...]
    permissions: tuple[str, ...] = (
        "route53:CreateHostedZone",
        "route53:AssociateVPCWithHostedZone",
        "route53:ChangeResourceRecordSets",
        "route53:GetChange",
        "route53:ChangeTagsForResource",
        "ec2:DescribeVpcs",
        "ec2:DescribeVpcEndpoints",
    )


class AssociateHostedZone(_Change, frozen=True, kw_only=True):
    """`AssociateVPCWithHostedZone`: an existing zone for a service name, one more VPC."""

    zone_id: str
    zone_name: str
    permissions: tuple[str, ...] = ("route53:AssociateVPCWithHostedZone", "ec2:DescribeVpcs")


class CreateRoute(_Change, frozen=True, kw_only=True):
    """`CreateRoute`: a destination CIDR through a peering connection or transit gateway."""

    route_table_id: str
    destination_cidr: str
    target: str
    permissions: tuple[str, ...] = ("ec2:CreateRoute",)


class AddNetworkAclEntry(_Change, frozen=True, kw_only=True):
    """`CreateNetworkAclEntry`: one allow entry (TCP `from_port`-`to_port` to or from `cidr`)
    in an existing network ACL, numbered before the rule that denies the traffic.

    `cidr` is a subnet CIDR (never a single address) between an instance subnet and an
    endpoint subnet; for traffic to S3 through a gateway endpoint it is 0.0.0.0/0, because
    the S3 address ranges are many and change (the AWS-documented practice for network
    ACL return traffic). The rule number is one no entry of that direction uses, so
    nothing is replaced.
    """

    network_acl_id: str
    rule_number: int
    egress: bool
    cidr: str
    from_port: int
    to_port: int
    protocol: str = "6"
    permissions: tuple[str, ...] = ("ec2:CreateNetworkAclEntry",)


Change = (
    SetVpcAttribute
    | CreateSecurityGroup
    | AuthorizeIngress
    | AuthorizeEgress
    | CreateInterfaceEndpoint
    | ModifyEndpointPrivateDns
    | ModifyEndpointSecurityGroups
    | CreateGatewayEndpoint
    | AssociateGatewayRouteTables
    | SetEndpointPolicy
    | CreatePrivateHostedZone
    | AssociateHostedZone
    | CreateRoute
    | AddNetworkAclEntry
)
"""Every kind of change a plan holds (a closed union: the JSON `type` field names the kind)."""

CHANGE_TYPES: tuple[type[_Change], ...] = (
    SetVpcAttribute,
    CreateSecurityGroup,
    AuthorizeIngress,
    AuthorizeEgress,
    CreateInterfaceEndpoint,
    ModifyEndpointPrivateDns,
    ModifyEndpointSecurityGroups,
    CreateGatewayEndpoint,
    AssociateGatewayRouteTables,
    SetEndpointPolicy,
    CreatePrivateHostedZone,
    AssociateHostedZone,
    CreateRoute,
    AddNetworkAclEntry,
)

CREATES: frozenset[type[_Change]] = frozenset(
    {CreateSecurityGroup, CreateInterfaceEndpoint, CreateGatewayEndpoint, CreatePrivateHostedZone}
)
"""The kinds that create a new resource (the others modify or add to an existing one)."""
