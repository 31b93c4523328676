"""What a route sends traffic to: every route target parsed once, here, into a type.

`DescribeRouteTables` names a route's target by id in one of several fields; the
`GatewayId` field alone carries `local`, internet gateways, virtual private gateways
and every kind of VPC endpoint. Which one it is decides the verdict: a `vpce-…` can be
an S3 gateway endpoint (private), a Gateway Load Balancer endpoint or an AWS Network
Firewall endpoint (an inspection appliance: the onward path is not the endpoint's).
The reader classifies each target once, with the Region's endpoints, NAT gateways,
interfaces and instances at hand; analysis dispatches on the type and never looks at
an id prefix.

Sources: EC2 API reference, `Route` (the target fields); VPC user guide, "Route table
concepts" and "Example routing options" (gateway endpoints route a prefix list;
middlebox routing sends `0.0.0.0/0` or a subnet's CIDR to a Gateway Load Balancer
endpoint, a firewall endpoint or an appliance's network interface); Network Firewall
developer guide, "Firewall endpoints" (a firewall endpoint is a `vpce-…` that the
service owns, so it is not listed by `DescribeVpcEndpoints` of the account).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ssmreach.model import aws

if TYPE_CHECKING:
    from ssmreach.model.estate import Gap


@dataclass(frozen=True, slots=True)
class Local:
    """The VPC's own CIDRs."""

    id: str = "local"
    label: str = "the VPC (local)"


@dataclass(frozen=True, slots=True)
class InternetGateway:
    id: str
    label: str = "internet gateway"


@dataclass(frozen=True, slots=True)
class EgressOnlyInternetGateway:
    """IPv6 only; it never carries IPv4 traffic."""

    id: str
    label: str = "egress-only internet gateway"


@dataclass(frozen=True, slots=True)
class NatGateway:
    id: str
    connectivity: Literal["public", "private"] | None  # None: the gateway is not in the snapshot
    label: str = "NAT gateway"


@dataclass(frozen=True, slots=True)
class Peering:
    id: str
    label: str = "peering connection"


@dataclass(frozen=True, slots=True)
class TransitGateway:
    id: str
    label: str = "transit gateway"


@dataclass(frozen=True, slots=True)
class GatewayEndpoint:
    """A `Gateway` VPC endpoint (S3, DynamoDB): carries only its service's prefix list."""

    id: str
    endpoint: aws.VpcEndpoint
    label: str = "gateway endpoint"

    @property
    def service_name(self) -> str:
        return self.endpoint.service_name


@dataclass(frozen=True, slots=True)
class Appliance:
    """Something that inspects traffic and sends it on: a Gateway Load Balancer endpoint,
    an AWS Network Firewall endpoint, or a network interface / instance (a middlebox).

    `subnet_id` is where the traffic comes back out (the endpoint's or the interface's
    subnet), when the snapshot shows it; its route table carries the traffic onward."""

    id: str
    kind: Literal["gwlb-endpoint", "firewall-endpoint", "network-interface", "instance"]
    subnet_id: str | None
    label: str

    @property
    def onward_known(self) -> bool:
        return self.subnet_id is not None


@dataclass(frozen=True, slots=True)
class VirtualPrivateGateway:
    id: str
    label: str = "virtual private gateway"


@dataclass(frozen=True, slots=True)
class OtherGateway:
    """Targets whose onward path ssmreach does not model: local gateways (Outposts),
    carrier gateways (Wavelength), Cloud WAN core networks, ODB networks."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Blackhole:
    """The route's state is `blackhole`: its target is gone."""

    id: str
    label: str = "blackhole"


@dataclass(frozen=True, slots=True)
class UnknownTarget:
    """A target the snapshot cannot classify; `gap` names the read that would settle it."""

    id: str
    gap: Gap | None = None
    label: str = "unknown target"


RouteTarget = (
    Local
    | InternetGateway
    | EgressOnlyInternetGateway
    | NatGateway
    | Peering
    | TransitGateway
    | GatewayEndpoint
    | Appliance
    | VirtualPrivateGateway
    | OtherGateway
    | Blackhole
    | UnknownTarget
)

_ENDPOINT_ID = re.compile(r"\bvpce-[0-9a-zA-Z]+")

# Text fields of an appliance's kind, for hops and findings.
APPLIANCE_LABELS = {
    "gwlb-endpoint": "Gateway Load Balancer endpoint",
    "firewall-endpoint": "firewall endpoint",
    "network-interface": "network interface (appliance)",
    "instance": "instance (appliance)",
}


@dataclass(frozen=True, slots=True)
class TargetFacts:
    """What classifying a target needs of its Region."""

    endpoints: Mapping[str, aws.VpcEndpoint]
    endpoints_gap: Gap | None
    nat_gateways: Mapping[str, aws.NatGateway]
    network_interfaces: Mapping[str, aws.NetworkInterface]
    instance_subnets: Mapping[str, str]
    # Endpoint id -> the subnet of the interface whose description names it (built once:
    # a firewall endpoint is found by its interface, and a Region may hold many of both).
    endpoint_subnets: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for eni in self.network_interfaces.values():
            if eni.subnet_id and eni.description:
                for endpoint_id in _ENDPOINT_ID.findall(eni.description):
                    index.setdefault(endpoint_id, eni.subnet_id)
        object.__setattr__(self, "endpoint_subnets", index)


def _endpoint_target(endpoint_id: str, facts: TargetFacts) -> RouteTarget:
    endpoint = facts.endpoints.get(endpoint_id)
    if endpoint is not None:
        kind = endpoint.vpc_endpoint_type.lower()
        if kind == "gateway":
            return GatewayEndpoint(endpoint_id, endpoint)
        if kind == "gatewayloadbalancer":
            subnet = endpoint.subnet_ids[0] if endpoint.subnet_ids else None
            return Appliance(
                endpoint_id, "gwlb-endpoint", subnet, APPLIANCE_LABELS["gwlb-endpoint"]
            )
        # An interface endpoint is never a route target in AWS; say what it is, decide nothing.
        return UnknownTarget(endpoint_id, label=f"{endpoint.vpc_endpoint_type} endpoint")
    if facts.endpoints_gap is not None:
        return UnknownTarget(endpoint_id, facts.endpoints_gap, label="VPC endpoint")
    # Listed endpoints do not include it: a firewall endpoint owned by Network Firewall.
    # Its network interface (type gateway_load_balancer_endpoint) names it in its
    # description, which shows the subnet it returns traffic from.
    subnet = facts.endpoint_subnets.get(endpoint_id)
    return Appliance(
        endpoint_id, "firewall-endpoint", subnet, APPLIANCE_LABELS["firewall-endpoint"]
    )


def _gateway_target(gateway_id: str, facts: TargetFacts) -> RouteTarget:
    if gateway_id == "local":
        return Local()
    if gateway_id.startswith("igw-"):
        return InternetGateway(gateway_id)
    if gateway_id.startswith("vgw-"):
        return VirtualPrivateGateway(gateway_id)
    if gateway_id.startswith("vpce-"):
        return _endpoint_target(gateway_id, facts)
    return UnknownTarget(gateway_id)


def _nat_target(nat_id: str, facts: TargetFacts) -> RouteTarget:
    nat = facts.nat_gateways.get(nat_id)
    if nat is None:
        return NatGateway(nat_id, None)
    return NatGateway(nat_id, "private" if nat.connectivity_type.lower() == "private" else "public")


def parse_route_target(route: aws.Route, facts: TargetFacts) -> RouteTarget:
    """The typed target of one route (its state aside: see `RegionData.target_of`)."""
    if route.gateway_id:
        return _gateway_target(route.gateway_id, facts)
    if route.nat_gateway_id:
        return _nat_target(route.nat_gateway_id, facts)
    if route.transit_gateway_id:
        return TransitGateway(route.transit_gateway_id)
    if route.vpc_peering_connection_id:
        return Peering(route.vpc_peering_connection_id)
    if route.network_interface_id:
        eni = facts.network_interfaces.get(route.network_interface_id)
        return Appliance(
            route.network_interface_id,
            "network-interface",
            eni.subnet_id if eni else None,
            APPLIANCE_LABELS["network-interface"],
        )
    if route.instance_id:
        return Appliance(
            route.instance_id,
            "instance",
            facts.instance_subnets.get(route.instance_id),
            APPLIANCE_LABELS["instance"],
        )
    if route.egress_only_internet_gateway_id:
        return EgressOnlyInternetGateway(route.egress_only_internet_gateway_id)
    if route.local_gateway_id:
        return OtherGateway(route.local_gateway_id, "local gateway (Outposts)")
    if route.carrier_gateway_id:
        return OtherGateway(route.carrier_gateway_id, "carrier gateway (Wavelength)")
    if route.core_network_arn:
        return OtherGateway(route.core_network_arn, "Cloud WAN core network")
    return UnknownTarget(route.target)


def parse_route_targets(
    tables: Mapping[str, aws.RouteTable], facts: TargetFacts
) -> dict[str, RouteTarget]:
    """Every target of every route of the Region, by target id."""
    targets: dict[str, RouteTarget] = {}
    for table in tables.values():
        for route in table.routes:
            key = route.target
            if key not in targets:
                targets[key] = parse_route_target(route, facts)
    return targets


ConnectionKind = Literal["peering", "transit-gateway"]


def connection_kind(connection_id: str) -> ConnectionKind:
    """Whether a VPC-to-VPC connection id (the target a plan routes to) is a peering
    connection or a transit gateway: the one place that reads it off the id."""
    return "peering" if connection_id.startswith("pcx-") else "transit-gateway"
