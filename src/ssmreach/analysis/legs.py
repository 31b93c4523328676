"""What every network leg of a path shares: the `Leg` type, the instance (`Node`) and the
destination (`Target`) of a flow, and the hops that are no plain pass or fail.

Each leg function returns a `Leg`: the hops in path order, the reasons for any hop that
did not pass, and the outcome. Order follows requirements.md §3 steps 2-4. The helpers
here record a missing read as a gap hop, a route that may or may not match, a route to
something whose onward path the snapshot does not hold, and an inspection appliance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from ssmreach.analysis.addresses import Place, network
from ssmreach.analysis.dns import gap_reason
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.routing import RouteChoice, route_table_for, select_route
from ssmreach.analysis.verdict import Hop, Outcome, Reason, Severity
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Gap, RegionData

HTTPS = (443, 443)
EPHEMERAL_NAT = (1024, 65535)  # a NAT gateway uses the whole range for its own ports


@dataclass(frozen=True, slots=True)
class Node:
    """The instance as the source of a flow."""

    instance: aws.Instance
    region: RegionData
    vpc: aws.Vpc
    subnet: aws.Subnet
    ip: str  # the address its flows leave from (`source_address`); a CIDR when not known yet
    groups: tuple[aws.SecurityGroup, ...]
    ephemeral: tuple[int, int]
    home: RegionData | None = None  # the instance's own account, when another owns its subnet

    @property
    def ipv6_only(self) -> bool:
        """In an IPv6-only subnet: every flow is IPv6 (`ip` is its IPv6 address)."""
        return self.subnet.ipv6_only

    @property
    def own(self) -> RegionData:
        """The instance's own account and Region (its role, its condition keys); `region` is
        the data that holds its network, the subnet owner's for a shared subnet."""
        return self.home or self.region

    @property
    def place(self) -> Place:
        return Place(
            net=network(self.ip),
            groups=frozenset(g.group_id for g in self.groups),
            label="the instance",
        )

    @property
    def flow_place(self) -> Place:
        """The instance as a network ACL sees it: its address only (ACLs read no groups)."""
        return _address_place(self.ip)

    @property
    def az(self) -> str | None:
        if self.instance.placement and self.instance.placement.availability_zone:
            return self.instance.placement.availability_zone
        return self.subnet.availability_zone


@lru_cache(maxsize=65536)
def _address_place(ip: str) -> Place:
    return Place(net=network(ip), label="the instance")


@dataclass(frozen=True, slots=True)
class Target:
    """A destination inside a VPC: an endpoint network interface (or its subnet)."""

    region: RegionData
    vpc_id: str
    subnet_id: str
    az: str | None
    place: Place
    groups: tuple[aws.SecurityGroup, ...]  # the endpoint's groups (for ingress)
    label: str
    owner: str = ""  # the endpoint the interface belongs to


@dataclass(slots=True)
class Leg:
    hops: list[Hop] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    outcome: Outcome = Outcome.PASS
    via: str | None = None  # what carries the traffic out: an endpoint, NAT or internet gateway
    private: bool = False  # through an interface endpoint (set by the endpoint leg)
    gateway_endpoint: aws.VpcEndpoint | None = None  # the gateway endpoint path (S3, DynamoDB)

    def add(self, hop: Hop, *reasons: Reason) -> None:
        self.hops.append(hop)
        self.reasons.extend(reasons)
        if hop.result is Outcome.FAIL:
            self.outcome = Outcome.FAIL
        elif hop.result is Outcome.UNKNOWN and self.outcome is Outcome.PASS:
            self.outcome = Outcome.UNKNOWN

    def join(self, part: Leg) -> None:
        """`part`'s hops and reasons after this leg's, its outcome combined as `add` does."""
        self.hops.extend(part.hops)
        self.reasons.extend(part.reasons)
        if part.outcome is Outcome.FAIL:
            self.outcome = Outcome.FAIL
        elif part.outcome is Outcome.UNKNOWN and self.outcome is Outcome.PASS:
            self.outcome = Outcome.UNKNOWN

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAIL

    def finding(
        self,
        step: str,
        resource: str | None,
        result: Outcome,
        code: str,
        message: str,
        fix: str | None = None,
        *,
        blame: str | None = None,
    ) -> None:
        """A hop that did not pass and its reason, in one: an error when it fails, a
        warning when it cannot be decided; `blame` is the reason's resource (default: the
        hop's)."""
        severity = Severity.ERROR if result is Outcome.FAIL else Severity.WARNING
        self.add(
            Hop(step, resource, result, message),
            reason(code, severity, blame or resource, message, fix),
        )


def source_address(instance: aws.Instance, subnet: aws.Subnet | None) -> str | None:
    """`aws.flow_address`; for an instance not launched yet (a planned one), which has no
    address, its subnet's `source_cidr` stands for any address of it."""
    found = aws.flow_address(instance, subnet)
    return found or (subnet.source_cidr if subnet is not None else None)


def gap_hop(leg: Leg, step: str, gap: Gap, resource: str | None) -> None:
    """A step a missing or denied read leaves undecided: UNKNOWN, naming the read."""
    leg.add(Hop(step, resource, Outcome.UNKNOWN, gap.describe()), gap_reason(gap, resource))


def missing(region: RegionData, operation: str, request: str) -> Gap:
    """The region's gap for `operation`, or (the read worked but lacks it) a missing `request`."""
    return region.gap(operation) or Gap(
        region.account, region.region, "ec2", operation, "missing", request=request
    )


def uncertain_route(leg: Leg, table: aws.RouteTable, detail: str) -> None:
    """Only a route whose addresses the snapshot lacks may match: the step is UNKNOWN."""
    leg.add(
        Hop("route", table.route_table_id, Outcome.UNKNOWN, detail),
        reason("DATA_MISSING", Severity.WARNING, table.route_table_id, detail),
    )


def route_table(region: RegionData, subnet_id: str, vpc_id: str) -> aws.RouteTable | Gap:
    """The route table that applies to the subnet, or the gap that hides it."""
    rtb_id = route_table_for(region, subnet_id, vpc_id)
    table = region.route_tables.get(rtb_id) if rtb_id else None
    if table is None:
        return missing(region, "DescribeRouteTables", f"route table of {subnet_id}")
    return table


def unmodeled(
    leg: Leg, node: Node, table: aws.RouteTable, choice: RouteChoice, kind: rt.RouteTarget
) -> None:
    """The route leaves for something whose onward path the snapshot does not hold."""
    msg = (
        f"{choice.detail}: where {kind.id} ({kind.label}) takes the traffic is not in the snapshot"
    )
    leg.finding(
        "route",
        table.route_table_id,
        Outcome.UNKNOWN,
        "EGRESS_UNMODELED",
        msg,
        f"Confirm the path with `ssmreach probe`, or create the VPC endpoints in {node.vpc.vpc_id}.",
        blame=kind.id,
    )


def _onward(region: RegionData, appliance: rt.Appliance, place: Place) -> str:
    """Where the appliance's subnet sends the traffic next, in words (the snapshot's view)."""
    if appliance.subnet_id is None:
        return "its subnet is not in the snapshot, so the onward path is unknown"
    subnet = region.subnets.get(appliance.subnet_id)
    table = route_table(region, appliance.subnet_id, subnet.vpc_id if subnet else "")
    if isinstance(table, Gap):
        return f"the route table of its subnet {appliance.subnet_id} is not in the snapshot"
    choice = select_route(region, table, place)
    if choice.route is None:
        return (
            f"its subnet {appliance.subnet_id} has no onward route ({choice.detail}), "
            "so the traffic may stop there"
        )
    onward = region.target_of(choice.route)
    return f"then its subnet {appliance.subnet_id} routes it on: {choice.detail} ({onward.label})"


def through_appliance(
    leg: Leg,
    node: Node,
    table: aws.RouteTable,
    choice: RouteChoice,
    appliance: rt.Appliance,
    place: Place,
) -> None:
    """A route to an inspection appliance (Gateway Load Balancer or firewall endpoint, a
    middlebox interface): what the appliance lets through is not in any AWS read, so the
    leg is UNKNOWN, never PRIVATE and never BLOCKED; the hop names the onward path."""
    leg.add(
        Hop(
            "route",
            table.route_table_id,
            Outcome.UNKNOWN if choice.uncertain else Outcome.PASS,
            f"{choice.detail} ({appliance.label})",
        )
    )
    msg = (
        f"traffic to {place.describe()} goes through the {appliance.label} {appliance.id}; "
        f"what it lets through is not in the snapshot; {_onward(node.region, appliance, place)}"
    )
    leg.finding(
        "appliance",
        appliance.id,
        Outcome.UNKNOWN,
        "EGRESS_UNMODELED",
        msg,
        f"Confirm with `ssmreach probe` on a node that the {appliance.label} {appliance.id} lets HTTPS to the AWS service names through, or create the VPC endpoints in {node.vpc.vpc_id} so the traffic does not leave the VPC.",
    )
