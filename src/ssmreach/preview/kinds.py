"""The Terraform resource types ssmreach lays over a snapshot: one `Kind` each.

`order` is the order AWS needs: containers before what goes in them (VPCs, then
subnets, groups and tables, then rules, routes and associations, then endpoints, zones
and instances). `computed` lists the ids AWS creates alongside a resource, which other
resources may reference before apply (`aws_vpc.main.default_security_group_id`).
Types not listed here are named in a warning when a plan changes them (`RELEVANT`).
"""

from __future__ import annotations

from ssmreach.preview import compute, endpoints, routing, vpcs
from ssmreach.preview.context import Kind

KINDS: dict[str, Kind] = {
    "aws_vpc": Kind(
        "vpc",
        0,
        vpcs.vpc,
        vpcs.remove_vpc,
        computed=("default_security_group_id", "main_route_table_id", "default_network_acl_id"),
    ),
    "aws_subnet": Kind("subnet", 1, vpcs.subnet, vpcs.remove_subnet),
    "aws_security_group": Kind("sg", 1, vpcs.security_group, vpcs.remove_group),
    "aws_default_security_group": Kind(
        "sg", 2, vpcs.default_security_group, lambda ctx, change: None
    ),
    "aws_route_table": Kind("rtb", 1, routing.route_table, routing.remove_route_table),
    "aws_network_acl": Kind("acl", 2, routing.network_acl, routing.remove_network_acl),
    "aws_default_network_acl": Kind(
        "acl", 2, routing.default_network_acl, lambda ctx, change: None
    ),
    "aws_internet_gateway": Kind(
        "igw", 1, compute.internet_gateway, compute.remove_internet_gateway
    ),
    "aws_internet_gateway_attachment": Kind(
        "igw-attach", 2, compute.igw_attachment, compute.remove_igw_attachment
    ),
    "aws_nat_gateway": Kind("nat", 2, compute.nat_gateway, compute.remove_nat_gateway),
    "aws_security_group_rule": Kind("sgr", 3, vpcs.sg_rule, vpcs.remove_sg_rule),
    "aws_vpc_security_group_ingress_rule": Kind("sgr", 3, vpcs.sg_rule, vpcs.remove_sg_rule),
    "aws_vpc_security_group_egress_rule": Kind("sgr", 3, vpcs.sg_rule, vpcs.remove_sg_rule),
    "aws_route": Kind("r", 3, routing.route, routing.remove_route),
    "aws_route_table_association": Kind(
        "rtbassoc", 3, routing.table_association, routing.remove_table_association
    ),
    "aws_main_route_table_association": Kind(
        "rtbassoc", 3, routing.main_association, routing.remove_main_association
    ),
    "aws_network_acl_rule": Kind("aclr", 3, routing.acl_rule, routing.remove_acl_rule),
    "aws_network_acl_association": Kind(
        "aclassoc", 3, routing.acl_association, routing.remove_acl_association
    ),
    "aws_vpc_endpoint": Kind("vpce", 4, endpoints.vpc_endpoint, endpoints.remove_vpc_endpoint),
    "aws_vpc_endpoint_subnet_association": Kind(
        "a", 5, endpoints.endpoint_subnet, endpoints.remove_endpoint_subnet
    ),
    "aws_vpc_endpoint_route_table_association": Kind(
        "a", 5, endpoints.endpoint_table, endpoints.remove_endpoint_table
    ),
    "aws_vpc_endpoint_security_group_association": Kind(
        "a", 5, endpoints.endpoint_group, endpoints.remove_endpoint_group
    ),
    "aws_vpc_endpoint_policy": Kind(
        "a", 5, endpoints.endpoint_policy, endpoints.remove_endpoint_policy
    ),
    "aws_route53_zone": Kind("Z", 4, endpoints.hosted_zone, endpoints.remove_hosted_zone),
    "aws_route53_record": Kind("r", 5, endpoints.record, endpoints.remove_record),
    "aws_route53_zone_association": Kind(
        "a", 5, endpoints.zone_association, endpoints.remove_zone_association
    ),
    "aws_instance": Kind("i", 6, compute.instance, compute.remove_instance),
}

RELEVANT_PREFIXES = (
    "aws_vpc",
    "aws_subnet",
    "aws_route",
    "aws_network_acl",
    "aws_security_group",
    "aws_default_",
    "aws_ec2_transit_gateway",
    "aws_networkfirewall",
    "aws_nat_gateway",
    "aws_internet_gateway",
    "aws_egress_only_internet_gateway",
    "aws_iam_",
    "aws_ssm_",
    "aws_kms_",
    "aws_instance",
    "aws_launch_template",
    "aws_autoscaling_group",
    "aws_network_interface",
    "aws_dx_",
    "aws_vpn_",
    "aws_customer_gateway",
    "aws_s3_bucket",
)
"""Resource types that can change what `check` decides; a planned change to one that is not
in `KINDS` is named in a warning (the verdicts do not include it)."""


def is_relevant(resource_type: str) -> bool:
    return resource_type.startswith(RELEVANT_PREFIXES)
