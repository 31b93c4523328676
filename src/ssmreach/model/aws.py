"""Typed, immutable shapes of the AWS API responses that ssmreach reads.

Field names follow the AWS API (PascalCase on the wire, snake_case here). Only the
fields the analysis uses are declared; unknown keys are ignored, as the snapshot
spec asks. Defaults are the ones AWS applies when a field is absent (for example
an interface endpoint without `PrivateDnsEnabled` is `False`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import field


class _Aws(msgspec.Struct, frozen=True, rename="pascal", kw_only=True, gc=False):
    """Base of every AWS shape: PascalCase keys, immutable, unknown keys ignored.

    `gc=False`: decoded from JSON, these are trees that never form reference cycles, so
    the cycle collector need not track them; a large estate then costs it nothing.
    """


class Tag(_Aws, frozen=True, kw_only=True):
    key: str
    value: str = ""


def tag_name(tags: tuple[Tag, ...]) -> str | None:
    for tag in tags:
        if tag.key == "Name":
            return tag.value
    return None


class ApiError(_Aws, frozen=True, kw_only=True):
    code: str = "Unknown"
    message: str = ""


# --- EC2: VPCs, subnets, DHCP --------------------------------------------------------


class CidrBlockAssociation(_Aws, frozen=True, kw_only=True):
    cidr_block: str
    cidr_block_state: dict[str, Any] | None = None


class Ipv6CidrBlockAssociation(_Aws, frozen=True, kw_only=True):
    """An IPv6 CIDR of a VPC or a subnet (`Ipv6CidrBlockAssociationSet`)."""

    ipv6_cidr_block: str | None = None
    ipv6_cidr_block_state: dict[str, Any] | None = None


def _associated_ipv6(associations: tuple[Ipv6CidrBlockAssociation, ...]) -> tuple[str, ...]:
    return tuple(
        a.ipv6_cidr_block
        for a in associations
        if a.ipv6_cidr_block
        and (a.ipv6_cidr_block_state or {}).get("State", "associated") == "associated"
    )


class Vpc(_Aws, frozen=True, kw_only=True):
    vpc_id: str
    cidr_block: str | None = None
    cidr_block_association_set: tuple[CidrBlockAssociation, ...] = ()
    ipv6_cidr_block_association_set: tuple[Ipv6CidrBlockAssociation, ...] = ()
    dhcp_options_id: str | None = None
    owner_id: str | None = None
    is_default: bool = False
    tags: tuple[Tag, ...] = ()

    @property
    def cidrs(self) -> tuple[str, ...]:
        found = [
            a.cidr_block
            for a in self.cidr_block_association_set
            if (a.cidr_block_state or {}).get("State", "associated") == "associated"
        ]
        if self.cidr_block and self.cidr_block not in found:
            found.insert(0, self.cidr_block)
        return tuple(found)

    @property
    def ipv6_cidrs(self) -> tuple[str, ...]:
        return _associated_ipv6(self.ipv6_cidr_block_association_set)


class DescribeVpcs(_Aws, frozen=True, kw_only=True):
    vpcs: tuple[Vpc, ...]


class AttributeBooleanValue(_Aws, frozen=True, kw_only=True):
    value: bool | None = None


class VpcAttributeRequest(_Aws, frozen=True, kw_only=True):
    vpc_id: str
    attribute: str


class VpcAttributeResponse(_Aws, frozen=True, kw_only=True):
    vpc_id: str | None = None
    enable_dns_support: AttributeBooleanValue | None = None
    enable_dns_hostnames: AttributeBooleanValue | None = None


class VpcAttributeCall(_Aws, frozen=True, kw_only=True):
    request: VpcAttributeRequest
    response: VpcAttributeResponse | None = None
    error: ApiError | None = None


class Subnet(_Aws, frozen=True, kw_only=True):
    subnet_id: str
    vpc_id: str
    cidr_block: str | None = None
    availability_zone: str | None = None
    availability_zone_id: str | None = None
    map_public_ip_on_launch: bool = False
    owner_id: str | None = None
    tags: tuple[Tag, ...] = ()
    ipv6_cidr_block_association_set: tuple[Ipv6CidrBlockAssociation, ...] = ()
    ipv6_native: bool = False
    enable_dns64: bool = False

    @property
    def ipv6_cidrs(self) -> tuple[str, ...]:
        return _associated_ipv6(self.ipv6_cidr_block_association_set)

    @property
    def ipv6_only(self) -> bool:
        """An IPv6-only subnet (`Ipv6Native`): its instances have no IPv4 address (VPC user
        guide, "IPv6-only subnets"). A subnet listed with IPv6 CIDRs and no IPv4 one is too."""
        return self.ipv6_native or (self.cidr_block is None and bool(self.ipv6_cidrs))

    @property
    def source_cidr(self) -> str | None:
        """The range its instances' flows leave from: its IPv6 CIDR when it is IPv6-only,
        else its IPv4 CIDR (see `flow_address`)."""
        if self.ipv6_only:
            return self.ipv6_cidrs[0] if self.ipv6_cidrs else None
        return self.cidr_block


class DescribeSubnets(_Aws, frozen=True, kw_only=True):
    subnets: tuple[Subnet, ...]


class DhcpValue(_Aws, frozen=True, kw_only=True):
    value: str


class DhcpConfiguration(_Aws, frozen=True, kw_only=True):
    key: str
    values: tuple[DhcpValue, ...] = ()


class DhcpOptions(_Aws, frozen=True, kw_only=True):
    dhcp_options_id: str
    dhcp_configurations: tuple[DhcpConfiguration, ...] = ()

    def values_of(self, key: str) -> tuple[str, ...]:
        for conf in self.dhcp_configurations:
            if conf.key == key:
                return tuple(v.value for v in conf.values)
        return ()


class DescribeDhcpOptions(_Aws, frozen=True, kw_only=True):
    dhcp_options: tuple[DhcpOptions, ...]


# --- EC2: routing ---------------------------------------------------------------------


class Route(_Aws, frozen=True, kw_only=True):
    destination_cidr_block: str | None = None
    destination_ipv6_cidr_block: str | None = None
    destination_prefix_list_id: str | None = None
    gateway_id: str | None = None
    nat_gateway_id: str | None = None
    transit_gateway_id: str | None = None
    vpc_peering_connection_id: str | None = None
    network_interface_id: str | None = None
    instance_id: str | None = None
    local_gateway_id: str | None = None
    carrier_gateway_id: str | None = None
    egress_only_internet_gateway_id: str | None = None
    core_network_arn: str | None = None
    state: str
    origin: str | None = None

    @property
    def target(self) -> str:
        """The id the route sends traffic to (`local`, `igw-…`, `nat-…`, `pcx-…`, ...)."""
        for value in (
            self.gateway_id,
            self.nat_gateway_id,
            self.transit_gateway_id,
            self.vpc_peering_connection_id,
            self.network_interface_id,
            self.instance_id,
            self.local_gateway_id,
            self.carrier_gateway_id,
            self.egress_only_internet_gateway_id,
            self.core_network_arn,
        ):
            if value:
                return value
        return "unknown"

    @property
    def destination(self) -> str:
        return (
            self.destination_cidr_block
            or self.destination_prefix_list_id
            or self.destination_ipv6_cidr_block
            or "?"
        )


class RouteTableAssociation(_Aws, frozen=True, kw_only=True):
    main: bool = False
    subnet_id: str | None = None
    gateway_id: str | None = None
    route_table_id: str | None = None
    association_state: dict[str, Any] | None = None

    @property
    def active(self) -> bool:
        state = (self.association_state or {}).get("State", "associated")
        return state in ("associated", "associating")


class RouteTable(_Aws, frozen=True, kw_only=True):
    route_table_id: str
    vpc_id: str
    associations: tuple[RouteTableAssociation, ...]
    routes: tuple[Route, ...]
    owner_id: str | None = None
    tags: tuple[Tag, ...] = ()


class DescribeRouteTables(_Aws, frozen=True, kw_only=True):
    route_tables: tuple[RouteTable, ...]


class NatGatewayAddress(_Aws, frozen=True, kw_only=True):
    public_ip: str | None = None
    private_ip: str | None = None


class NatGateway(_Aws, frozen=True, kw_only=True):
    nat_gateway_id: str
    subnet_id: str
    vpc_id: str | None = None
    state: str = "available"
    connectivity_type: str = "public"
    nat_gateway_addresses: tuple[NatGatewayAddress, ...] = ()


class DescribeNatGateways(_Aws, frozen=True, kw_only=True):
    nat_gateways: tuple[NatGateway, ...]


class InternetGatewayAttachment(_Aws, frozen=True, kw_only=True):
    vpc_id: str
    state: str = "available"


class InternetGateway(_Aws, frozen=True, kw_only=True):
    internet_gateway_id: str
    attachments: tuple[InternetGatewayAttachment, ...]


class DescribeInternetGateways(_Aws, frozen=True, kw_only=True):
    internet_gateways: tuple[InternetGateway, ...]


class EgressOnlyInternetGateway(_Aws, frozen=True, kw_only=True):
    """An egress-only internet gateway: outbound IPv6 only (VPC user guide, "Enable
    outbound IPv6 traffic using an egress-only internet gateway")."""

    egress_only_internet_gateway_id: str
    attachments: tuple[InternetGatewayAttachment, ...] = ()


class DescribeEgressOnlyInternetGateways(_Aws, frozen=True, kw_only=True):
    egress_only_internet_gateways: tuple[EgressOnlyInternetGateway, ...]


class PeeringVpcInfo(_Aws, frozen=True, kw_only=True):
    vpc_id: str | None = None
    owner_id: str | None = None
    region: str | None = None
    cidr_block: str | None = None


class PeeringStatus(_Aws, frozen=True, kw_only=True):
    code: str = "unknown"
    message: str | None = None


class VpcPeeringConnection(_Aws, frozen=True, kw_only=True):
    vpc_peering_connection_id: str
    requester_vpc_info: PeeringVpcInfo | None = None
    accepter_vpc_info: PeeringVpcInfo | None = None
    status: PeeringStatus | None = None


class DescribeVpcPeeringConnections(_Aws, frozen=True, kw_only=True):
    vpc_peering_connections: tuple[VpcPeeringConnection, ...]


class PrefixList(_Aws, frozen=True, kw_only=True):
    prefix_list_id: str
    prefix_list_name: str | None = None
    cidrs: tuple[str, ...] | None = None  # None: not listed (moto omits it)


class DescribePrefixLists(_Aws, frozen=True, kw_only=True):
    prefix_lists: tuple[PrefixList, ...] = ()


class ManagedPrefixList(_Aws, frozen=True, kw_only=True):
    prefix_list_id: str
    prefix_list_name: str | None = None
    address_family: str | None = None
    owner_id: str | None = None


class DescribeManagedPrefixLists(_Aws, frozen=True, kw_only=True):
    prefix_lists: tuple[ManagedPrefixList, ...] = ()


class PrefixListEntry(_Aws, frozen=True, kw_only=True):
    cidr: str


class PrefixListEntriesRequest(_Aws, frozen=True, kw_only=True):
    prefix_list_id: str


class PrefixListEntriesResponse(_Aws, frozen=True, kw_only=True):
    entries: tuple[PrefixListEntry, ...] = ()


class PrefixListEntriesCall(_Aws, frozen=True, kw_only=True):
    request: PrefixListEntriesRequest
    response: PrefixListEntriesResponse | None = None
    error: ApiError | None = None


class TgwAttachmentAssociation(_Aws, frozen=True, kw_only=True):
    transit_gateway_route_table_id: str | None = None
    state: str | None = None


class TransitGatewayAttachment(_Aws, frozen=True, kw_only=True):
    transit_gateway_attachment_id: str
    transit_gateway_id: str
    resource_type: str | None = None
    resource_id: str | None = None
    state: str = "available"
    association: TgwAttachmentAssociation | None = None


class DescribeTransitGatewayAttachments(_Aws, frozen=True, kw_only=True):
    transit_gateway_attachments: tuple[TransitGatewayAttachment, ...]


class TgwRouteAttachment(_Aws, frozen=True, kw_only=True):
    resource_id: str | None = None
    transit_gateway_attachment_id: str | None = None
    resource_type: str | None = None


class TgwRoute(_Aws, frozen=True, kw_only=True):
    destination_cidr_block: str | None = None
    prefix_list_id: str | None = None
    transit_gateway_attachments: tuple[TgwRouteAttachment, ...] = ()
    type: str | None = None
    state: str = "active"


class TgwRoutesRequest(_Aws, frozen=True, kw_only=True):
    transit_gateway_route_table_id: str


class TgwRoutesResponse(_Aws, frozen=True, kw_only=True):
    routes: tuple[TgwRoute, ...] = ()


class TgwRoutesCall(_Aws, frozen=True, kw_only=True):
    request: TgwRoutesRequest
    response: TgwRoutesResponse | None = None
    error: ApiError | None = None


# --- EC2: filtering -------------------------------------------------------------------


class IpRange(_Aws, frozen=True, kw_only=True):
    cidr_ip: str


class Ipv6Range(_Aws, frozen=True, kw_only=True):
    cidr_ipv6: str


class PrefixListId(_Aws, frozen=True, kw_only=True):
    prefix_list_id: str


class UserIdGroupPair(_Aws, frozen=True, kw_only=True):
    group_id: str | None = None
    user_id: str | None = None
    vpc_id: str | None = None
    vpc_peering_connection_id: str | None = None


class IpPermission(_Aws, frozen=True, kw_only=True):
    ip_protocol: str
    from_port: int | None = None
    to_port: int | None = None
    ip_ranges: tuple[IpRange, ...]
    ipv6_ranges: tuple[Ipv6Range, ...] = ()
    prefix_list_ids: tuple[PrefixListId, ...]
    user_id_group_pairs: tuple[UserIdGroupPair, ...]


class SecurityGroup(_Aws, frozen=True, kw_only=True):
    group_id: str
    group_name: str | None = None
    vpc_id: str | None = None
    owner_id: str | None = None
    ip_permissions: tuple[IpPermission, ...]
    ip_permissions_egress: tuple[IpPermission, ...]


class DescribeSecurityGroups(_Aws, frozen=True, kw_only=True):
    security_groups: tuple[SecurityGroup, ...]


class PortRange(_Aws, frozen=True, kw_only=True):
    from_: int | None = field(default=None, name="From")
    to: int | None = None


class NetworkAclEntry(_Aws, frozen=True, kw_only=True):
    rule_number: int
    protocol: str
    rule_action: str
    egress: bool
    cidr_block: str | None = None
    ipv6_cidr_block: str | None = None
    port_range: PortRange | None = None


class NetworkAclAssociation(_Aws, frozen=True, kw_only=True):
    network_acl_id: str | None = None
    subnet_id: str | None = None


class NetworkAcl(_Aws, frozen=True, kw_only=True):
    network_acl_id: str
    vpc_id: str
    is_default: bool = False
    associations: tuple[NetworkAclAssociation, ...] = ()
    entries: tuple[NetworkAclEntry, ...]


class DescribeNetworkAcls(_Aws, frozen=True, kw_only=True):
    network_acls: tuple[NetworkAcl, ...]


# --- EC2: interfaces and endpoints -------------------------------------------------------


class GroupIdentifier(_Aws, frozen=True, kw_only=True):
    group_id: str
    group_name: str | None = None


class PrivateIpAddress(_Aws, frozen=True, kw_only=True):
    private_ip_address: str
    primary: bool = False


class NetworkInterfaceAssociation(_Aws, frozen=True, kw_only=True):
    public_ip: str | None = None


class Ipv6Address(_Aws, frozen=True, kw_only=True):
    """One IPv6 address of a network interface (`Ipv6Addresses[]`)."""

    ipv6_address: str


class NetworkInterface(_Aws, frozen=True, kw_only=True):
    network_interface_id: str
    subnet_id: str | None = None
    vpc_id: str | None = None
    availability_zone: str | None = None
    private_ip_address: str | None = None
    private_ip_addresses: tuple[PrivateIpAddress, ...] = ()
    groups: tuple[GroupIdentifier, ...] = ()
    interface_type: str | None = None
    association: NetworkInterfaceAssociation | None = None
    description: str | None = None
    ipv6_addresses: tuple[Ipv6Address, ...] = ()


class DescribeNetworkInterfaces(_Aws, frozen=True, kw_only=True):
    network_interfaces: tuple[NetworkInterface, ...]


class DnsEntry(_Aws, frozen=True, kw_only=True):
    dns_name: str | None = None
    hosted_zone_id: str | None = None


class EndpointDnsOptions(_Aws, frozen=True, kw_only=True):
    """`DnsOptions` of an interface endpoint: which records its DNS names get."""

    dns_record_ip_type: str | None = None  # ipv4 | dualstack | ipv6 | service-defined


class VpcEndpoint(_Aws, frozen=True, kw_only=True):
    vpc_endpoint_id: str
    vpc_endpoint_type: str
    vpc_id: str
    service_name: str
    state: str
    policy_document: str | None = None
    route_table_ids: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    listed_groups: tuple[GroupIdentifier, ...] | None = field(default=None, name="Groups")
    private_dns_enabled: bool = False
    network_interface_ids: tuple[str, ...] = ()
    dns_entries: tuple[DnsEntry, ...] = ()
    owner_id: str | None = None
    tags: tuple[Tag, ...] = ()
    ip_address_type: str | None = None  # ipv4 | dualstack | ipv6; None: not in the snapshot
    dns_options: EndpointDnsOptions | None = None

    @property
    def groups(self) -> tuple[GroupIdentifier, ...]:
        """The endpoint's security groups (`Groups`; absent reads as none, and validate.py
        refuses an interface endpoint without it)."""
        return self.listed_groups or ()

    @property
    def is_interface(self) -> bool:
        return self.vpc_endpoint_type.lower() == "interface"

    @property
    def is_gateway(self) -> bool:
        return self.vpc_endpoint_type.lower() == "gateway"


class DescribeVpcEndpoints(_Aws, frozen=True, kw_only=True):
    vpc_endpoints: tuple[VpcEndpoint, ...]


class ServiceTypeDetail(_Aws, frozen=True, kw_only=True):
    service_type: str


class ServiceDetail(_Aws, frozen=True, kw_only=True):
    service_name: str
    service_type: tuple[ServiceTypeDetail, ...] = ()
    availability_zones: tuple[str, ...] = ()
    private_dns_name: str | None = None
    base_endpoint_dns_names: tuple[str, ...] = ()
    vpc_endpoint_policy_supported: bool = True
    # ipv4 / ipv6; None: not in the snapshot (never assumed, capabilities.md §7)
    supported_ip_address_types: tuple[str, ...] | None = None


class DescribeVpcEndpointServices(_Aws, frozen=True, kw_only=True):
    service_names: tuple[str, ...] = ()
    service_details: tuple[ServiceDetail, ...] = ()


# --- EC2: instances -----------------------------------------------------------------------


class InstanceState(_Aws, frozen=True, kw_only=True):
    name: str = "running"


class Placement(_Aws, frozen=True, kw_only=True):
    availability_zone: str | None = None


class InstanceNetworkInterface(_Aws, frozen=True, kw_only=True):
    network_interface_id: str | None = None
    subnet_id: str | None = None
    private_ip_address: str | None = None
    groups: tuple[GroupIdentifier, ...] = ()
    association: NetworkInterfaceAssociation | None = None
    ipv6_addresses: tuple[Ipv6Address, ...] = ()


class MetadataOptions(_Aws, frozen=True, kw_only=True):
    http_endpoint: str = "enabled"
    http_tokens: str = "optional"
    http_put_response_hop_limit: int | None = None
    http_protocol_ipv6: str | None = None  # enabled | disabled; None: not in the snapshot


class IamInstanceProfileRef(_Aws, frozen=True, kw_only=True):
    arn: str
    id: str | None = None


class Instance(_Aws, frozen=True, kw_only=True):
    instance_id: str
    state: InstanceState | None = None
    subnet_id: str | None = None
    vpc_id: str | None = None
    private_ip_address: str | None = None
    public_ip_address: str | None = None
    placement: Placement | None = None
    security_groups: tuple[GroupIdentifier, ...] = ()
    network_interfaces: tuple[InstanceNetworkInterface, ...] = ()
    metadata_options: MetadataOptions | None = None
    iam_instance_profile: IamInstanceProfileRef | None = None
    platform: str | None = None
    platform_details: str | None = None
    tags: tuple[Tag, ...] = ()
    ipv6_address: str | None = None  # the primary IPv6 address (`Ipv6Address`)

    @property
    def name(self) -> str | None:
        return tag_name(self.tags)

    @property
    def ipv6(self) -> str | None:
        """The instance's primary IPv6 address: `Ipv6Address`, else its first interface's."""
        if self.ipv6_address:
            return self.ipv6_address
        for eni in self.network_interfaces:
            if eni.ipv6_addresses:
                return eni.ipv6_addresses[0].ipv6_address
        return None

    @property
    def state_name(self) -> str:
        return self.state.name if self.state else "running"

    @property
    def group_ids(self) -> tuple[str, ...]:
        ids = [g.group_id for g in self.security_groups]
        for eni in self.network_interfaces:
            ids.extend(g.group_id for g in eni.groups if g.group_id not in ids)
        return tuple(dict.fromkeys(ids))

    @property
    def public_ip(self) -> str | None:
        if self.public_ip_address:
            return self.public_ip_address
        for eni in self.network_interfaces:
            if eni.association and eni.association.public_ip:
                return eni.association.public_ip
        return None


def flow_address(instance: Instance, subnet: Subnet | None) -> str | None:
    """The address an instance's flows leave from: its IPv6 address in an IPv6-only subnet
    (it has no IPv4 one), else its private IPv4 address. Dual-stack instances use IPv4: the
    agent asks the IPv4 service names unless configured otherwise."""
    if subnet is not None and subnet.ipv6_only:
        return instance.ipv6
    return instance.private_ip_address


class Reservation(_Aws, frozen=True, kw_only=True):
    owner_id: str | None = None
    instances: tuple[Instance, ...]


class DescribeInstances(_Aws, frozen=True, kw_only=True):
    reservations: tuple[Reservation, ...]


# --- SSM --------------------------------------------------------------------------------------


class InstanceInformation(_Aws, frozen=True, kw_only=True):
    instance_id: str
    ping_status: str | None = None
    agent_version: str | None = None
    platform_type: str | None = None
    platform_name: str | None = None
    platform_version: str | None = None
    resource_type: str | None = None
    ip_address: str | None = field(default=None, name="IPAddress")
    # Hybrid-activated nodes only: the activation, the service role, when it registered
    # and where it runs (`SourceType`: AWS::SSM::ManagedInstance, an Azure or GCP VM ...)
    activation_id: str | None = None
    iam_role: str | None = None
    registration_date: str | None = None
    name: str | None = None
    computer_name: str | None = None
    source_id: str | None = None
    source_type: str | None = None


class DescribeInstanceInformation(_Aws, frozen=True, kw_only=True):
    instance_information_list: tuple[InstanceInformation, ...]


class ServiceSetting(_Aws, frozen=True, kw_only=True):
    setting_id: str
    setting_value: str | None = None
    status: str | None = None


class ServiceSettingRequest(_Aws, frozen=True, kw_only=True):
    setting_id: str


class ServiceSettingResponse(_Aws, frozen=True, kw_only=True):
    service_setting: ServiceSetting


class ServiceSettingCall(_Aws, frozen=True, kw_only=True):
    request: ServiceSettingRequest
    response: ServiceSettingResponse | None = None
    error: ApiError | None = None


class GetDocumentRequest(_Aws, frozen=True, kw_only=True):
    name: str


class GetDocumentResponse(_Aws, frozen=True, kw_only=True):
    name: str | None = None
    content: str | None = None
    document_type: str | None = None


class GetDocumentCall(_Aws, frozen=True, kw_only=True):
    request: GetDocumentRequest
    response: GetDocumentResponse | None = None
    error: ApiError | None = None


# --- SSM: where Run Command and State Manager write their output ------------------------


class Target(_Aws, frozen=True, kw_only=True):
    """One `Targets` entry of a command or an association: `InstanceIds`, `tag:<Key>`,
    `tag-key`, `resource-groups:Name`, ... with its values."""

    key: str
    values: tuple[str, ...] = ()


class Command(_Aws, frozen=True, kw_only=True):
    """A command of `ListCommands`; the S3 fields are empty strings when it writes no
    output to S3. `OutputS3Region` is ignored by Systems Manager for commands (SendCommand
    reference: "Deprecated ... the system ignores it")."""

    command_id: str
    document_name: str | None = None
    instance_ids: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    output_s3_region: str | None = field(default=None, name="OutputS3Region")
    output_s3_bucket_name: str | None = field(default=None, name="OutputS3BucketName")
    output_s3_key_prefix: str | None = field(default=None, name="OutputS3KeyPrefix")


class ListCommands(_Aws, frozen=True, kw_only=True):
    commands: tuple[Command, ...] = ()


class Association(_Aws, frozen=True, kw_only=True):
    """An association of `ListAssociations` (its output location is not listed)."""

    association_id: str
    name: str | None = None
    instance_id: str | None = None  # an association of one instance (the older form)
    targets: tuple[Target, ...] = ()


class ListAssociations(_Aws, frozen=True, kw_only=True):
    associations: tuple[Association, ...] = ()


class S3OutputLocation(_Aws, frozen=True, kw_only=True):
    output_s3_region: str | None = field(default=None, name="OutputS3Region")
    output_s3_bucket_name: str | None = field(default=None, name="OutputS3BucketName")
    output_s3_key_prefix: str | None = field(default=None, name="OutputS3KeyPrefix")


class AssociationOutputLocation(_Aws, frozen=True, kw_only=True):
    s3_location: S3OutputLocation | None = field(default=None, name="S3Location")


class AssociationDescription(_Aws, frozen=True, kw_only=True):
    association_id: str | None = None
    name: str | None = None
    instance_id: str | None = None
    targets: tuple[Target, ...] = ()
    output_location: AssociationOutputLocation | None = None


class DescribeAssociationResponse(_Aws, frozen=True, kw_only=True):
    association_description: AssociationDescription


class AssociationRequest(_Aws, frozen=True, kw_only=True):
    association_id: str


class DescribeAssociationCall(_Aws, frozen=True, kw_only=True):
    request: AssociationRequest
    response: DescribeAssociationResponse | None = None
    error: ApiError | None = None


# --- KMS: the key of Session Manager encryption ---------------------------------------------


class KeyRequest(_Aws, frozen=True, kw_only=True):
    key_id: str


class KeyMetadata(_Aws, frozen=True, kw_only=True):
    """`DescribeKey`'s `KeyMetadata`: absent fields take the values AWS gives a default key."""

    arn: str
    key_id: str | None = None
    key_state: str | None = None
    enabled: bool | None = None
    key_manager: str | None = None
    key_usage: str | None = None
    key_spec: str | None = None
    customer_master_key_spec: str | None = None


class DescribeKeyResponse(_Aws, frozen=True, kw_only=True):
    key_metadata: KeyMetadata


class DescribeKeyCall(_Aws, frozen=True, kw_only=True):
    request: KeyRequest
    response: DescribeKeyResponse | None = None
    error: ApiError | None = None


class KeyPolicyResponse(_Aws, frozen=True, kw_only=True):
    policy: str | None = None


class KeyPolicyCall(_Aws, frozen=True, kw_only=True):
    request: KeyRequest
    response: KeyPolicyResponse | None = None
    error: ApiError | None = None


class GrantConstraints(_Aws, frozen=True, kw_only=True):
    encryption_context_subset: dict[str, str] | None = None
    encryption_context_equals: dict[str, str] | None = None


class Grant(_Aws, frozen=True, kw_only=True):
    grant_id: str | None = None
    grantee_principal: str | None = None
    operations: tuple[str, ...] = ()
    constraints: GrantConstraints | None = None


class ListGrantsResponse(_Aws, frozen=True, kw_only=True):
    grants: tuple[Grant, ...] = ()


class ListGrantsCall(_Aws, frozen=True, kw_only=True):
    request: KeyRequest
    response: ListGrantsResponse | None = None
    error: ApiError | None = None


# --- S3: the Region of a bucket --------------------------------------------------------------


class BucketRequest(_Aws, frozen=True, kw_only=True):
    bucket: str


class BucketLocation(_Aws, frozen=True, kw_only=True):
    location_constraint: str | None = None  # None or "": us-east-1; "EU": eu-west-1

    @property
    def region(self) -> str:
        value = self.location_constraint or "us-east-1"
        return "eu-west-1" if value == "EU" else value


class BucketLocationCall(_Aws, frozen=True, kw_only=True):
    request: BucketRequest
    response: BucketLocation | None = None
    error: ApiError | None = None


# --- Route 53 and Resolver -------------------------------------------------------------------


class HostedZoneConfig(_Aws, frozen=True, kw_only=True):
    private_zone: bool = False


class HostedZone(_Aws, frozen=True, kw_only=True):
    id: str
    name: str
    config: HostedZoneConfig | None = None

    @property
    def is_private(self) -> bool:
        return bool(self.config and self.config.private_zone)

    @property
    def zone_id(self) -> str:
        return self.id.rsplit("/", 1)[-1]


class ListHostedZones(_Aws, frozen=True, kw_only=True):
    hosted_zones: tuple[HostedZone, ...]


class Organization(_Aws, frozen=True, kw_only=True):
    id: str
    master_account_id: str | None = None


class DescribeOrganization(_Aws, frozen=True, kw_only=True):
    organization: Organization


NOT_IN_ORGANIZATION = "AWSOrganizationsNotInUseException"
"""DescribeOrganization's error for an account in no organization: an answer, not a gap."""


class ZoneVpc(_Aws, frozen=True, kw_only=True):
    vpc_region: str | None = field(default=None, name="VPCRegion")
    vpc_id: str = field(name="VPCId")


class HostedZoneRequest(_Aws, frozen=True, kw_only=True):
    id: str


class GetHostedZoneResponse(_Aws, frozen=True, kw_only=True):
    hosted_zone: HostedZone
    vpcs: tuple[ZoneVpc, ...] = field(default=(), name="VPCs")


class GetHostedZoneCall(_Aws, frozen=True, kw_only=True):
    request: HostedZoneRequest
    response: GetHostedZoneResponse | None = None
    error: ApiError | None = None


class ResourceRecord(_Aws, frozen=True, kw_only=True):
    value: str


class AliasTarget(_Aws, frozen=True, kw_only=True):
    hosted_zone_id: str | None = None
    dns_name: str = field(name="DNSName")


class ResourceRecordSet(_Aws, frozen=True, kw_only=True):
    name: str
    type: str
    resource_records: tuple[ResourceRecord, ...] = ()
    alias_target: AliasTarget | None = None


class RecordSetsRequest(_Aws, frozen=True, kw_only=True):
    hosted_zone_id: str


class RecordSetsResponse(_Aws, frozen=True, kw_only=True):
    resource_record_sets: tuple[ResourceRecordSet, ...] = ()


class RecordSetsCall(_Aws, frozen=True, kw_only=True):
    request: RecordSetsRequest
    response: RecordSetsResponse | None = None
    error: ApiError | None = None


class ResolverRule(_Aws, frozen=True, kw_only=True):
    id: str
    domain_name: str | None = None
    rule_type: str = "SYSTEM"
    status: str | None = None
    name: str | None = None
    owner_id: str | None = None


class ListResolverRules(_Aws, frozen=True, kw_only=True):
    resolver_rules: tuple[ResolverRule, ...]


class ResolverRuleAssociation(_Aws, frozen=True, kw_only=True):
    resolver_rule_id: str
    vpc_id: str = field(name="VPCId")
    status: str | None = None
    id: str | None = None


class ListResolverRuleAssociations(_Aws, frozen=True, kw_only=True):
    resolver_rule_associations: tuple[ResolverRuleAssociation, ...]


# --- IAM ---------------------------------------------------------------------------------------


class InstanceProfileDetail(_Aws, frozen=True, kw_only=True):
    instance_profile_name: str
    arn: str


class InlinePolicy(_Aws, frozen=True, kw_only=True):
    policy_name: str
    policy_document: Any = None


class AttachedPolicy(_Aws, frozen=True, kw_only=True):
    policy_name: str | None = None
    policy_arn: str


class PermissionsBoundary(_Aws, frozen=True, kw_only=True):
    permissions_boundary_arn: str
    permissions_boundary_type: str | None = None


class RoleDetail(_Aws, frozen=True, kw_only=True):
    role_name: str
    arn: str
    path: str = "/"
    instance_profile_list: tuple[InstanceProfileDetail, ...]
    role_policy_list: tuple[InlinePolicy, ...]
    attached_managed_policies: tuple[AttachedPolicy, ...]
    permissions_boundary: PermissionsBoundary | None = None


class PolicyVersion(_Aws, frozen=True, kw_only=True):
    document: Any = None
    version_id: str | None = None
    is_default_version: bool = False


class ManagedPolicyDetail(_Aws, frozen=True, kw_only=True):
    policy_name: str | None = None
    arn: str
    default_version_id: str | None = None
    policy_version_list: tuple[PolicyVersion, ...] = ()

    @property
    def default_document(self) -> Any:
        for version in self.policy_version_list:
            if version.is_default_version or version.version_id == self.default_version_id:
                return version.document
        return None


class GetAccountAuthorizationDetails(_Aws, frozen=True, kw_only=True):
    role_detail_list: tuple[RoleDetail, ...]
    policies: tuple[ManagedPolicyDetail, ...] = ()
