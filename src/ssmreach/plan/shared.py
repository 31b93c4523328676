"""What every part of the planner shares: its options, the catalogue's code sets, and small
read-only questions about the estate (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ssmreach.analysis import security_groups
from ssmreach.analysis.addresses import Place, network
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.analysis.reasons import CATALOGUE, codes_where
from ssmreach.model import aws
from ssmreach.model.estate import RegionData
from ssmreach.pricing import PriceTable

ENDPOINT_GROUP_NAME = "ssmreach-endpoints"
INTERFACE_ORDER = ("ssm", "ssmmessages", "ec2messages", "ec2", "kms", "logs")
GONE = ("deleted", "deleting", "failed", "rejected", "expired")

MANUAL_CODES: dict[str, str] = {r.code: r.manual for r in CATALOGUE if r.manual}
"""Reason codes a plan never fixes by itself, with why a person is needed (the catalogue)."""

MANUAL_ON_PRIVATE = codes_where("manual_on_private")
"""Manual codes a plan lists even when the result is PRIVATE today."""

NACL_CODES: dict[str, str] = {r.code: r.nacl for r in CATALOGUE if r.nacl}
"""Reason codes the plan fixes with network ACL entries where it knows the path after the
plan (`nacl_rules`); the rest stay manual steps, with why."""


@dataclass(frozen=True, slots=True)
class PlanOptions:
    features: tuple[str, ...] = DEFAULT_FEATURES
    instances: tuple[str, ...] = ()  # empty: every instance of the estate
    hub: str | None = None  # hub-and-spoke: the VPC that holds the interface endpoints
    prices: PriceTable | None = None


def subnet_of(region: RegionData, instance: aws.Instance) -> aws.Subnet | None:
    return region.subnets.get(instance.subnet_id or "")


def first_cidr(vpc: aws.Vpc) -> str | None:
    """The VPC's primary CIDR block (or its first one)."""
    return vpc.cidr_block or (vpc.cidrs[0] if vpc.cidrs else None)


def ipv6_only(region: RegionData, instance: aws.Instance) -> bool:
    """The instance is in an IPv6-only subnet: its flows are IPv6."""
    subnet = subnet_of(region, instance)
    return subnet is not None and subnet.ipv6_only


def admits(region: RegionData, groups: Sequence[aws.SecurityGroup], instance: aws.Instance) -> bool:
    """Whether the groups let the instance in on TCP 443 (from the address its flows leave
    from: IPv6 in an IPv6-only subnet)."""
    source = aws.flow_address(instance, subnet_of(region, instance))
    if not source:
        return False
    place = Place(net=network(source), groups=frozenset(instance.group_ids))
    decision = security_groups.evaluate(
        groups, egress=False, peer=place, prefix_lists=region.prefix_lists
    )
    return decision.outcome.value == "pass"


def existing_interface(
    region: RegionData, vpc_id: str, service_name: str
) -> aws.VpcEndpoint | None:
    """The VPC's interface endpoint for the service (private DNS on first), if any."""
    found = [
        ep
        for ep in region.endpoints_by_vpc.get(vpc_id, ())
        if ep.is_interface and ep.service_name == service_name and ep.state.lower() not in GONE
    ]
    found.sort(key=lambda ep: (not ep.private_dns_enabled, ep.vpc_endpoint_id))
    return found[0] if found else None


def s3_prefix_place(region: RegionData, name: str) -> Place | None:
    """The S3 prefix list of the Region as a destination, None when the snapshot has none."""
    prefix = next((p for p in region.prefix_lists.values() if p.name == name), None)
    if prefix is None:
        return None
    cidrs = (
        tuple(n for n in (network(c) for c in prefix.cidrs or ()) if n) if prefix.cidrs else None
    )
    return Place(
        prefix_list_id=prefix.prefix_list_id,
        prefix_list_cidrs=cidrs,
        aws_service=name,
        label=f"{prefix.prefix_list_id} ({name})",
    )
