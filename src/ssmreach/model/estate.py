"""The whole estate of a snapshot, indexed for analysis: immutable once built.

`Estate` holds one `RegionData` per (account, Region) and one `AccountData` per
account, plus indexes across them (a peered VPC or a hosted zone may live in
another account or Region). What could not be read is kept as a `Gap`, so that
analysis can answer UNKNOWN and name the operation instead of guessing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ssmreach.model import aws
from ssmreach.model.route_targets import Blackhole, RouteTarget, UnknownTarget

if TYPE_CHECKING:
    from ssmreach.model.hybrid import DirectConnectGatewayInfo, HybridData

GapKind = Literal["missing", "denied", "failed"]

_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "Forbidden",
        "OptInRequired",
    }
)


def gap_kind_for(code: str) -> GapKind:
    return "denied" if code in _DENIED_CODES or "AccessDenied" in code else "failed"


@dataclass(frozen=True, slots=True)
class BucketGone:
    """`GetBucketLocation` answered `NoSuchBucket`: the bucket does not exist (a deleted
    output or log bucket is a common cause of missing output)."""

    bucket: str


@dataclass(frozen=True, slots=True)
class Gap:
    """Data an answer needs but the snapshot lacks: not collected, denied, or failed."""

    account: str
    region: str
    service: str
    operation: str
    kind: GapKind
    detail: str = ""
    request: str | None = None

    @property
    def code(self) -> str:
        """The reason code this gap gives: `READ_DENIED` or `DATA_MISSING`."""
        return "READ_DENIED" if self.kind == "denied" else "DATA_MISSING"

    @property
    def api(self) -> str:
        return f"{self.service}:{self.operation}"

    def describe(self) -> str:
        what = self.api + (f" ({self.request})" if self.request else "")
        where = f"{self.account}/{self.region}"
        if self.kind == "missing":
            return f"{what} is not in the snapshot for {where}" + (
                f" ({self.detail})" if self.detail else ""
            )
        if self.kind == "denied":
            return f"{what} was denied in {where}" + (f": {self.detail}" if self.detail else "")
        return f"{what} failed in {where}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class KmsKey:
    """A KMS key as `DescribeKey`, `GetKeyPolicy` and `ListGrants` read it."""

    metadata: aws.KeyMetadata
    policy: str | Gap  # the key policy document
    grants: tuple[aws.Grant, ...] | Gap

    @property
    def arn(self) -> str:
        return self.metadata.arn


@dataclass(frozen=True, slots=True)
class PrefixListInfo:
    prefix_list_id: str
    name: str | None
    cidrs: tuple[str, ...] | None  # None: the snapshot does not say which CIDRs


@dataclass(frozen=True, slots=True)
class PrivateZone:
    """A Route 53 private hosted zone, its VPC associations and records."""

    account: str
    zone: aws.HostedZone
    vpcs: tuple[aws.ZoneVpc, ...] | Gap
    records: tuple[aws.ResourceRecordSet, ...] | Gap

    @property
    def domain(self) -> str:
        return normalize_name(self.zone.name)


def normalize_name(name: str) -> str:
    """DNS names compare lower-case without the trailing dot; `\\052` is a literal `*`."""
    return name.replace("\\052", "*").rstrip(".").lower()


TargetKind = Literal["instances", "all", "tag", "tag-key", "other"]


@dataclass(frozen=True, slots=True)
class NodeTarget:
    """One target of a command or an association, typed: the instance ids it names
    (`instances`), every managed node (`all`: `InstanceIds` or `AWS::EC2::Instance` with
    `*`), nodes with a tag `key` of one of `values` (`tag`), nodes with one of the tag keys
    `values` (`tag-key`), or a kind the snapshot cannot resolve (`other`: resource groups,
    parameter values ...)."""

    kind: TargetKind
    key: str = ""
    values: frozenset[str] = frozenset()

    def matches(self, instance_id: str, tags: Mapping[str, str]) -> bool | None:
        """Whether the target takes in the instance; None: the snapshot cannot tell."""
        if self.kind == "all":
            return True
        if self.kind == "instances":
            return instance_id in self.values
        if self.kind == "tag":
            return tags.get(self.key) in self.values
        if self.kind == "tag-key":
            return any(key in tags for key in self.values)
        return None

    def anchors(self) -> tuple[tuple[str, ...], ...]:
        """The index keys under which an instance this target may take in is found."""
        if self.kind == "instances":
            return tuple(("instance", v) for v in sorted(self.values))
        if self.kind == "tag":
            return tuple(("tag", self.key, v) for v in sorted(self.values))
        if self.kind == "tag-key":
            return tuple(("tag-key", v) for v in sorted(self.values))
        return ((self.kind,),)


def node_target(key: str, values: tuple[str, ...]) -> NodeTarget:
    """The typed form of a `Targets` entry (Systems Manager API reference, `Target`)."""
    wanted = frozenset(values)
    if key.lower() in ("instanceids", "aws::ec2::instance"):
        if "*" in wanted:
            return NodeTarget("all")
        return NodeTarget("instances" if key.lower() == "instanceids" else "other", key, wanted)
    if key.startswith("tag:") and len(key) > 4:
        return NodeTarget("tag", key[4:], wanted)
    if key == "tag-key":
        return NodeTarget("tag-key", key, wanted)
    return NodeTarget("other", key, wanted)


@dataclass(frozen=True, slots=True)
class OutputSource:
    """A Run Command command or a State Manager association that writes its output to an
    S3 bucket, with the nodes it targets. `bucket` is None only with `gap`: the
    association's description (its output location) was not read."""

    kind: Literal["command", "association"]
    source_id: str
    document: str | None
    targets: tuple[NodeTarget, ...]
    bucket: str | None = None
    key_prefix: str | None = None
    declared_region: str | None = None  # an association's OutputS3Region, when it names one
    gap: Gap | None = None

    @property
    def label(self) -> str:
        what = "command" if self.kind == "command" else "association"
        return f"{what} {self.source_id}" + (f" ({self.document})" if self.document else "")


@dataclass(frozen=True, slots=True)
class OutputSources:
    """The output sources of one Region, indexed by the target anchors (`NodeTarget.anchors`)
    that could take an instance in."""

    sources: tuple[OutputSource, ...] = ()
    by_anchor: Mapping[tuple[str, ...], tuple[int, ...]] = field(default_factory=dict)

    @staticmethod
    def index(sources: tuple[OutputSource, ...]) -> OutputSources:
        by_anchor: dict[tuple[str, ...], list[int]] = {}
        for n, source in enumerate(sources):
            for anchor in dict.fromkeys(a for t in source.targets for a in t.anchors()):
                by_anchor.setdefault(anchor, []).append(n)
        return OutputSources(sources, {k: tuple(v) for k, v in by_anchor.items()})

    def candidates(self, instance: aws.Instance) -> tuple[OutputSource, ...]:
        """The sources one of whose targets may take in the instance, in their order."""
        if not self.sources:
            return ()
        anchors: list[tuple[str, ...]] = [("instance", instance.instance_id), ("all",), ("other",)]
        for tag in instance.tags:
            anchors += [("tag", tag.key, tag.value), ("tag-key", tag.key)]
        found = sorted({n for a in anchors for n in self.by_anchor.get(a, ())})
        return tuple(self.sources[n] for n in found)


def _no_hybrid_data() -> HybridData:
    from ssmreach.model.hybrid import HybridData  # hybrid.py imports Gap from here

    return HybridData()


@dataclass(frozen=True, slots=True)
class RegionData:
    """Everything the snapshot holds for one account in one Region."""

    account: str
    region: str
    gaps: Mapping[str, Gap] = field(default_factory=dict)
    vpcs: Mapping[str, aws.Vpc] = field(default_factory=dict)
    vpc_attributes: Mapping[tuple[str, str], bool | Gap] = field(default_factory=dict)
    subnets: Mapping[str, aws.Subnet] = field(default_factory=dict)
    route_tables: Mapping[str, aws.RouteTable] = field(default_factory=dict)
    subnet_route_table: Mapping[str, str] = field(default_factory=dict)
    main_route_table: Mapping[str, str] = field(default_factory=dict)
    security_groups: Mapping[str, aws.SecurityGroup] = field(default_factory=dict)
    default_security_group: Mapping[str, str] = field(default_factory=dict)
    network_acls: Mapping[str, aws.NetworkAcl] = field(default_factory=dict)
    subnet_network_acl: Mapping[str, str] = field(default_factory=dict)
    network_interfaces: Mapping[str, aws.NetworkInterface] = field(default_factory=dict)
    endpoints: Mapping[str, aws.VpcEndpoint] = field(default_factory=dict)
    endpoints_by_vpc: Mapping[str, tuple[aws.VpcEndpoint, ...]] = field(default_factory=dict)
    endpoint_services: Mapping[str, aws.ServiceDetail] = field(default_factory=dict)
    endpoint_service_names: frozenset[str] = frozenset()
    dhcp_options: Mapping[str, aws.DhcpOptions] = field(default_factory=dict)
    peerings: Mapping[str, aws.VpcPeeringConnection] = field(default_factory=dict)
    nat_gateways: Mapping[str, aws.NatGateway] = field(default_factory=dict)
    internet_gateways: Mapping[str, aws.InternetGateway] = field(default_factory=dict)
    egress_only_gateways: Mapping[str, aws.EgressOnlyInternetGateway] = field(default_factory=dict)
    prefix_lists: Mapping[str, PrefixListInfo] = field(default_factory=dict)
    tgw_attachments: Mapping[str, aws.TransitGatewayAttachment] = field(default_factory=dict)
    tgw_routes: Mapping[str, tuple[aws.TgwRoute, ...] | Gap] = field(default_factory=dict)
    instances: tuple[aws.Instance, ...] = ()
    instance_information: Mapping[str, aws.InstanceInformation] = field(default_factory=dict)
    service_settings: Mapping[str, str | Gap] = field(default_factory=dict)
    session_preferences: str | Gap | None = None
    kms_keys: Mapping[str, KmsKey | Gap] = field(default_factory=dict)  # by the KeyId asked for
    bucket_regions: Mapping[str, str | Gap | BucketGone] = field(default_factory=dict)  # by name
    # Run Command commands and State Manager associations that write output to S3
    output_sources: OutputSources = field(default_factory=OutputSources)
    resolver_rules: Mapping[str, aws.ResolverRule] = field(default_factory=dict)
    resolver_rules_by_vpc: Mapping[str, tuple[aws.ResolverRule, ...]] = field(default_factory=dict)
    route_targets: Mapping[str, RouteTarget] = field(default_factory=dict)
    # hybrid nodes, activations, VPN, Resolver endpoints (`model/hybrid.py`)
    hybrid: HybridData = field(default_factory=_no_hybrid_data)

    def gap(self, operation: str) -> Gap | None:
        """The gap for a whole operation, or None when its answer is in the snapshot."""
        return self.gaps.get(operation)

    def kms_key(self, key_id: str) -> KmsKey | Gap:
        """The key the snapshot read for `key_id` (an id, ARN or alias), or why it has none."""
        known = self.kms_keys.get(key_id)
        if known is not None:
            return known
        gap = self.gap("DescribeKey")
        if gap is not None:
            return dataclasses.replace(gap, request=key_id)
        return Gap(self.account, self.region, "kms", "DescribeKey", "missing", request=key_id)

    def bucket_region(self, bucket: str) -> str | Gap | BucketGone:
        """The Region of a bucket the snapshot read (`GetBucketLocation`), or why not."""
        known = self.bucket_regions.get(bucket)
        if known is not None:
            return known
        gap = self.gap("GetBucketLocation")
        if gap is not None:
            return dataclasses.replace(gap, request=bucket)
        return Gap(self.account, self.region, "s3", "GetBucketLocation", "missing", request=bucket)

    def target_of(self, route: aws.Route) -> RouteTarget:
        """The typed target of a route of this Region (`Blackhole` when its state says so)."""
        if route.state.lower() == "blackhole":
            return Blackhole(route.target)
        return self.route_targets.get(route.target) or UnknownTarget(route.target)


@dataclass(frozen=True, slots=True)
class AccountData:
    """The account-wide (global) data of one account: IAM and Route 53."""

    account: str
    gaps: Mapping[str, Gap] = field(default_factory=dict)
    roles: Mapping[str, aws.RoleDetail] = field(default_factory=dict)  # by role ARN
    roles_by_name: Mapping[str, aws.RoleDetail] = field(default_factory=dict)
    profile_roles: Mapping[str, aws.RoleDetail] = field(default_factory=dict)  # by profile ARN
    managed_policies: Mapping[str, aws.ManagedPolicyDetail] = field(default_factory=dict)
    private_zones: tuple[PrivateZone, ...] = ()
    # Direct Connect gateways (global) with their associations, by gateway id
    direct_connect_gateways: Mapping[str, DirectConnectGatewayInfo] = field(default_factory=dict)
    # The account's AWS Organizations organization id; None: it is in no organization;
    # a Gap: DescribeOrganization was not read (or denied), so org condition keys are unknown.
    organization: str | Gap | None = field(
        default_factory=lambda: Gap(
            "", "global", "organizations", "DescribeOrganization", "missing"
        )
    )

    def gap(self, operation: str) -> Gap | None:
        return self.gaps.get(operation)


@dataclass(frozen=True, slots=True)
class Estate:
    """A whole snapshot: every account and Region, with indexes across them."""

    source: str
    created: str | None
    partition: str
    regions: Mapping[tuple[str, str], RegionData]
    accounts: Mapping[str, AccountData]
    vpc_home: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # by OwnerId
    subnet_home: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # by OwnerId
    skipped: tuple[str, ...] = ()  # snapshot folders and files not read, and why
    zones_by_vpc: Mapping[str, tuple[PrivateZone, ...]] = field(default_factory=dict)
    # every interface endpoint of the estate by service name, in snapshot order (built here)
    interface_endpoints: Mapping[str, tuple[aws.VpcEndpoint, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_service: dict[str, list[aws.VpcEndpoint]] = {}
        for data in self.regions.values():
            for ep in data.endpoints.values():
                if ep.is_interface:
                    by_service.setdefault(ep.service_name, []).append(ep)
        index = {name: tuple(eps) for name, eps in by_service.items()}
        object.__setattr__(self, "interface_endpoints", index)

    def region_of_vpc(self, vpc_id: str) -> RegionData | None:
        home = self.vpc_home.get(vpc_id)
        return self.regions.get(home) if home else None

    def network_of(self, region: RegionData, subnet_id: str) -> RegionData | None:
        """The data that holds a subnet's network (route tables, ACLs, endpoints): its
        owner's. `region` itself for its own subnets; for a subnet shared with it through
        AWS RAM, the owner account's data, or None when the owner was not collected."""
        subnet = region.subnets.get(subnet_id)
        owner = subnet.owner_id if subnet is not None else None
        if owner is None or owner == region.account:
            return region
        home = self.subnet_home.get(subnet_id)
        return self.regions.get(home) if home is not None and home[0] == owner else None

    def account_data(self, account: str) -> AccountData:
        return self.accounts.get(account) or AccountData(
            account=account,
            gaps={
                op: Gap(account, "global", service, op, "missing")
                for service, op in (
                    ("iam", "GetAccountAuthorizationDetails"),
                    ("route53", "ListHostedZones"),
                )
            },
        )

    @property
    def account_ids(self) -> tuple[str, ...]:
        return tuple(sorted({a for a, _ in self.regions} | set(self.accounts)))

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(sorted({r for _, r in self.regions}))
