"""Hybrid and multicloud managed nodes, and the ways on-premises networks enter AWS.

The AWS shapes of the reads that serve hybrid nodes (`docs/hybrid.md`): Systems Manager
activations, Site-to-Site VPN connections and virtual private gateways, Route 53 Resolver
endpoints and their addresses, and Direct Connect gateways with their associations. Field
names follow the AWS API as in `aws.py`; Direct Connect writes its fields in camelCase.

A hybrid-activated node is parsed once, here, into a `HybridNode` from its
`DescribeInstanceInformation` record: its kind comes from `ResourceType`
(`ManagedInstance`), so no code elsewhere tells a node's kind from its id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from ssmreach.model import aws
from ssmreach.model.estate import Gap

ACTIVATION_TIER_SETTING = "/ssm/managed-instance/activation-tier"
"""The service setting that holds an account's instance tier in a Region: `standard` or
`advanced` (Systems Manager API reference, `UpdateServiceSetting`). Session Manager on
hybrid-activated nodes needs `advanced` (user guide, "Configuring instance tiers")."""

_MANAGED_INSTANCE_ID = re.compile(r"^mi-[0-9a-f]{17}$")
"""The id pattern of a hybrid-activated node (API reference, `UpdateManagedInstanceRole`);
used only when a record has no `ResourceType`."""


class _Aws(msgspec.Struct, frozen=True, rename="pascal", kw_only=True, gc=False):
    """PascalCase AWS shapes (EC2, Systems Manager, Route 53 Resolver). As in `aws.py`, the
    list of a response is required: `{}` is not "none" (docs/snapshot-validation.md)."""


class _Camel(msgspec.Struct, frozen=True, rename="camel", kw_only=True, gc=False):
    """camelCase AWS shapes (Direct Connect)."""


# --- Systems Manager: activations ----------------------------------------------------------


class Activation(_Aws, frozen=True, kw_only=True):
    activation_id: str
    iam_role: str | None = None  # the role name the registered nodes get
    registration_limit: int | None = None
    registrations_count: int | None = None
    expiration_date: str | None = None
    expired: bool = False
    default_instance_name: str | None = None


class DescribeActivations(_Aws, frozen=True, kw_only=True):
    activation_list: tuple[Activation, ...]


# --- EC2: Site-to-Site VPN and virtual private gateways ---------------------------------


class VpnStaticRoute(_Aws, frozen=True, kw_only=True):
    destination_cidr_block: str | None = None
    source: str | None = None
    state: str | None = None


class VgwTelemetry(_Aws, frozen=True, kw_only=True):
    outside_ip_address: str | None = None
    status: str | None = None  # UP | DOWN
    accepted_route_count: int | None = None


class VpnConnectionOptions(_Aws, frozen=True, kw_only=True):
    static_routes_only: bool | None = None
    local_ipv4_network_cidr: str | None = None
    remote_ipv4_network_cidr: str | None = None


class VpnConnection(_Aws, frozen=True, kw_only=True):
    """A Site-to-Site VPN connection, ending on a virtual private gateway or a transit
    gateway. The collector drops `CustomerGatewayConfiguration` and the tunnels' pre-shared
    keys before writing the snapshot (`collect.calls.without_vpn_secrets`)."""

    vpn_connection_id: str
    state: str = "available"
    vpn_gateway_id: str | None = None
    transit_gateway_id: str | None = None
    customer_gateway_id: str | None = None
    options: VpnConnectionOptions | None = None
    routes: tuple[VpnStaticRoute, ...] = ()
    vgw_telemetry: tuple[VgwTelemetry, ...] = ()
    tags: tuple[aws.Tag, ...] = ()

    @property
    def static_cidrs(self) -> tuple[str, ...]:
        """The static routes to the customer network that are not being deleted."""
        return tuple(
            r.destination_cidr_block
            for r in self.routes
            if r.destination_cidr_block and (r.state or "available") in ("available", "pending")
        )

    @property
    def tunnels_down(self) -> bool:
        """Every tunnel reported DOWN at snapshot time (no telemetry: not known)."""
        return bool(self.vgw_telemetry) and all(
            (t.status or "").upper() == "DOWN" for t in self.vgw_telemetry
        )


class DescribeVpnConnections(_Aws, frozen=True, kw_only=True):
    vpn_connections: tuple[VpnConnection, ...]


class VgwAttachment(_Aws, frozen=True, kw_only=True):
    vpc_id: str
    state: str | None = None  # attaching | attached | detaching | detached


class VpnGateway(_Aws, frozen=True, kw_only=True):
    vpn_gateway_id: str
    state: str = "available"
    vpc_attachments: tuple[VgwAttachment, ...] = ()
    amazon_side_asn: int | None = None
    tags: tuple[aws.Tag, ...] = ()

    @property
    def attached_vpcs(self) -> tuple[str, ...]:
        return tuple(a.vpc_id for a in self.vpc_attachments if a.state == "attached")


class DescribeVpnGateways(_Aws, frozen=True, kw_only=True):
    vpn_gateways: tuple[VpnGateway, ...]


# --- Route 53 Resolver: endpoints ---------------------------------------------------------


class ResolverEndpoint(_Aws, frozen=True, kw_only=True):
    id: str
    direction: str  # INBOUND | OUTBOUND | INBOUND_DELEGATION
    host_vpc_id: str | None = msgspec.field(default=None, name="HostVPCId")
    security_group_ids: tuple[str, ...] = ()
    status: str | None = None
    name: str | None = None
    protocols: tuple[str, ...] = ()  # Do53 | DoH | DoH-FIPS; none listed: Do53

    @property
    def inbound(self) -> bool:
        return self.direction in ("INBOUND", "INBOUND_DELEGATION")


class ListResolverEndpoints(_Aws, frozen=True, kw_only=True):
    resolver_endpoints: tuple[ResolverEndpoint, ...]


class ResolverEndpointIp(_Aws, frozen=True, kw_only=True):
    ip: str | None = None
    ipv6: str | None = None
    subnet_id: str | None = None
    status: str | None = None


class EndpointIpsRequest(_Aws, frozen=True, kw_only=True):
    resolver_endpoint_id: str


class EndpointIpsResponse(_Aws, frozen=True, kw_only=True):
    ip_addresses: tuple[ResolverEndpointIp, ...]


class EndpointIpsCall(_Aws, frozen=True, kw_only=True):
    request: EndpointIpsRequest
    response: EndpointIpsResponse | None = None
    error: aws.ApiError | None = None


# --- Direct Connect: gateways and their associations (global) ------------------------------


class DirectConnectGateway(_Camel, frozen=True, kw_only=True):
    direct_connect_gateway_id: str
    direct_connect_gateway_name: str | None = None
    direct_connect_gateway_state: str | None = None
    owner_account: str | None = None
    amazon_side_asn: int | None = None


class DescribeDirectConnectGateways(_Camel, frozen=True, kw_only=True):
    direct_connect_gateways: tuple[DirectConnectGateway, ...]


class AssociatedGateway(_Camel, frozen=True, kw_only=True):
    id: str | None = None
    type: str | None = None  # virtualPrivateGateway | transitGateway
    owner_account: str | None = None
    region: str | None = None


class RouteFilterPrefix(_Camel, frozen=True, kw_only=True):
    cidr: str | None = None


class DirectConnectGatewayAssociation(_Camel, frozen=True, kw_only=True):
    direct_connect_gateway_id: str | None = None
    association_id: str | None = None
    association_state: str | None = None
    associated_gateway: AssociatedGateway | None = None
    allowed_prefixes_to_direct_connect_gateway: tuple[RouteFilterPrefix, ...] = ()


class DxAssociationsRequest(_Camel, frozen=True, kw_only=True):
    direct_connect_gateway_id: str


class DxAssociationsResponse(_Camel, frozen=True, kw_only=True):
    direct_connect_gateway_associations: tuple[DirectConnectGatewayAssociation, ...]


class DxAssociationsCall(_Aws, frozen=True, kw_only=True):
    request: DxAssociationsRequest
    response: DxAssociationsResponse | None = None
    error: aws.ApiError | None = None


# --- the typed model ------------------------------------------------------------------------

NodeKind = Literal["ec2", "hybrid"]


def node_kind(info: aws.InstanceInformation) -> NodeKind:
    """What kind of managed node a `DescribeInstanceInformation` record describes: its
    `ResourceType`, or, for a record without one, the hybrid id pattern."""
    if info.resource_type == "ManagedInstance":
        return "hybrid"
    if info.resource_type == "EC2Instance":
        return "ec2"
    return "hybrid" if _MANAGED_INSTANCE_ID.match(info.instance_id) else "ec2"


@dataclass(frozen=True, slots=True)
class HybridNode:
    """A hybrid-activated managed node (an on-premises server or VM, or a VM in another
    cloud), as Systems Manager describes it."""

    node_id: str
    address: str | None  # the `IPAddress` the agent reports
    activation_id: str | None
    iam_role: str | None  # the service role name (DescribeInstanceInformation's IamRole)
    ping_status: str | None
    agent_version: str | None
    platform_type: str | None  # Linux | Windows | MacOS
    platform_name: str | None
    source_type: str | None  # AWS::SSM::ManagedInstance, Microsoft.Compute/virtualMachines ...
    name: str | None

    @staticmethod
    def of(info: aws.InstanceInformation) -> HybridNode:
        return HybridNode(
            node_id=info.instance_id,
            address=info.ip_address,
            activation_id=info.activation_id,
            iam_role=info.iam_role,
            ping_status=info.ping_status,
            agent_version=info.agent_version,
            platform_type=info.platform_type,
            platform_name=info.platform_name,
            source_type=info.source_type,
            name=info.name or info.computer_name,
        )


def hybrid_nodes(records: Mapping[str, aws.InstanceInformation]) -> dict[str, HybridNode]:
    """The hybrid-activated nodes among a Region's managed-node records, by node id."""
    return {
        node_id: HybridNode.of(info)
        for node_id, info in records.items()
        if node_kind(info) == "hybrid"
    }


@dataclass(frozen=True, slots=True)
class ResolverEndpointInfo:
    """A Resolver endpoint with its addresses (`ListResolverEndpointIpAddresses`), or why
    they were not read."""

    endpoint: ResolverEndpoint
    addresses: tuple[ResolverEndpointIp, ...] | Gap

    @property
    def ips(self) -> tuple[str, ...]:
        if isinstance(self.addresses, Gap):
            return ()
        return tuple(a.ip for a in self.addresses if a.ip) + tuple(
            a.ipv6 for a in self.addresses if a.ipv6
        )


@dataclass(frozen=True, slots=True)
class DirectConnectGatewayInfo:
    """A Direct Connect gateway with its associations to virtual private and transit
    gateways (in any Region), or why they were not read."""

    gateway: DirectConnectGateway
    associations: tuple[DirectConnectGatewayAssociation, ...] | Gap


@dataclass(frozen=True, slots=True)
class HybridData:
    """What one Region's snapshot holds for hybrid nodes. A read that is absent or denied
    is a `Gap` in the Region's `gaps` under its operation, as for every other read."""

    nodes: Mapping[str, HybridNode] = field(default_factory=dict)
    activations: Mapping[str, Activation] = field(default_factory=dict)
    activation_tier: str | Gap | None = None  # None: GetServiceSetting did not ask for it
    vpn_connections: Mapping[str, VpnConnection] = field(default_factory=dict)
    vpn_gateways: Mapping[str, VpnGateway] = field(default_factory=dict)
    resolver_endpoints: Mapping[str, ResolverEndpointInfo] = field(default_factory=dict)

    def inbound_resolvers(self, vpc_id: str | None = None) -> tuple[ResolverEndpointInfo, ...]:
        """The inbound (and delegation) endpoints, of one VPC when `vpc_id` is given."""
        return tuple(
            e
            for e in self.resolver_endpoints.values()
            if e.endpoint.inbound and (vpc_id is None or e.endpoint.host_vpc_id == vpc_id)
        )
