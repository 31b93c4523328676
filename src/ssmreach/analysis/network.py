"""The network leg of a path: route, security groups and network ACLs, as hops.

Each function returns a `Leg`: the hops in path order, the reasons for any hop
that did not pass, and the outcome. Order follows requirements.md §3 steps 2-4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ssmreach.analysis import nacl, security_groups
from ssmreach.analysis.addresses import Match, Place, network, relation
from ssmreach.analysis.dns import gap_reason
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.routing import RouteChoice, route_table_for, select_route
from ssmreach.analysis.verdict import Hop, Outcome, Reason, Severity
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, Gap, RegionData

HTTPS = (443, 443)
EPHEMERAL_NAT = (1024, 65535)  # a NAT gateway uses the whole range for its own ports


@dataclass(frozen=True, slots=True)
class Node:
    """The instance as the source of a flow."""

    instance: aws.Instance
    region: RegionData
    vpc: aws.Vpc
    subnet: aws.Subnet
    ip: str
    groups: tuple[aws.SecurityGroup, ...]
    ephemeral: tuple[int, int]

    @property
    def place(self) -> Place:
        return Place(
            net=network(self.ip),
            groups=frozenset(g.group_id for g in self.groups),
            label="the instance",
        )

    @property
    def az(self) -> str | None:
        if self.instance.placement and self.instance.placement.availability_zone:
            return self.instance.placement.availability_zone
        return self.subnet.availability_zone


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


def _gap_hop(leg: Leg, step: str, gap: Gap, resource: str | None) -> None:
    leg.add(Hop(step, resource, Outcome.UNKNOWN, gap.describe()), gap_reason(gap, resource))


def _missing(region: RegionData, operation: str, request: str) -> Gap:
    return region.gap(operation) or Gap(
        region.account, region.region, "ec2", operation, "missing", request=request
    )


def _uncertain_route(leg: Leg, table: aws.RouteTable, detail: str) -> None:
    """Only a route whose addresses the snapshot lacks may match: the step is UNKNOWN."""
    leg.add(
        Hop("route", table.route_table_id, Outcome.UNKNOWN, detail),
        reason("DATA_MISSING", Severity.WARNING, table.route_table_id, detail),
    )


def _route_table(region: RegionData, subnet_id: str, vpc_id: str) -> aws.RouteTable | Gap:
    rtb_id = route_table_for(region, subnet_id, vpc_id)
    table = region.route_tables.get(rtb_id) if rtb_id else None
    if table is None:
        return _missing(region, "DescribeRouteTables", f"route table of {subnet_id}")
    return table


def _acl(region: RegionData, subnet_id: str) -> aws.NetworkAcl | Gap:
    acl_id = region.subnet_network_acl.get(subnet_id)
    acl = region.network_acls.get(acl_id) if acl_id else None
    if acl is None:
        return _missing(region, "DescribeNetworkAcls", f"network ACL of {subnet_id}")
    return acl


def check_nacl(
    leg: Leg,
    region: RegionData,
    subnet_id: str,
    *,
    egress: bool,
    peer: Place,
    ports: tuple[int, int],
    what: str,
) -> None:
    """One NACL crossing, as a hop."""
    step = "nacl-outbound" if egress else "nacl-inbound"
    acl = _acl(region, subnet_id)
    if isinstance(acl, Gap):
        _gap_hop(leg, step, acl, subnet_id)
        return
    decision = nacl.evaluate(acl, egress=egress, peer=peer, ports=ports)
    detail = f"{what}: {decision.detail}"
    if decision.outcome is Outcome.PASS:
        leg.add(Hop(step, acl.network_acl_id, Outcome.PASS, detail))
        return
    if decision.outcome is Outcome.UNKNOWN:
        leg.add(
            Hop(step, acl.network_acl_id, Outcome.UNKNOWN, detail),
            reason("DATA_MISSING", Severity.WARNING, acl.network_acl_id, detail),
        )
        return
    code = "NACL_OUTBOUND_DENIED" if egress else "NACL_INBOUND_DENIED"
    lo, hi = ports
    span = f"TCP {lo}" if lo == hi else f"TCP {lo}-{hi}"
    fix = (
        f"Add an {'outbound' if egress else 'inbound'} allow rule to {acl.network_acl_id} for {span} "
        f"{'to' if egress else 'from'} {peer.describe()}"
        + (f", numbered below {decision.rule}" if decision.rule and decision.rule < 32767 else "")
        + "."
    )
    leg.add(
        Hop(step, acl.network_acl_id, Outcome.FAIL, detail),
        reason(code, Severity.ERROR, acl.network_acl_id, detail, fix),
    )


@dataclass(frozen=True, slots=True)
class Crossing:
    """One time a flow crosses a subnet boundary, in one direction."""

    region: RegionData
    subnet_id: str
    egress: bool
    peer: Place
    ports: tuple[int, int]
    what: str


def check_crossings(leg: Leg, crossings: Sequence[Crossing]) -> None:
    """The NACL crossings of a path. When all pass they read as one hop (which ACL and
    rule let each through); otherwise each crossing is its own hop, failures explained."""
    trial = Leg()
    for c in crossings:
        check_nacl(
            trial, c.region, c.subnet_id, egress=c.egress, peer=c.peer, ports=c.ports, what=c.what
        )
    if trial.outcome is not Outcome.PASS:
        leg.hops.extend(trial.hops)
        leg.reasons.extend(trial.reasons)
        leg.outcome = trial.outcome if leg.outcome is Outcome.PASS else leg.outcome
        if trial.outcome is Outcome.FAIL:
            leg.outcome = Outcome.FAIL
        return
    acls = list(dict.fromkeys(h.resource for h in trial.hops if h.resource))
    parts = []
    for c, hop in zip(crossings, trial.hops, strict=True):
        lo, hi = c.ports
        span = f"{lo}" if lo == hi else f"{lo}-{hi}"
        rule = hop.detail.split(" rule ", 1)[1].split(" ", 1)[0] if " rule " in hop.detail else "?"
        parts.append(f"{c.what} (TCP {span}, {hop.resource} rule {rule})")
    leg.add(Hop("nacl", ",".join(acls), Outcome.PASS, "allowed: " + "; ".join(parts)))


def _groups(region: RegionData, ids: Sequence[str]) -> tuple[aws.SecurityGroup, ...] | Gap:
    found: list[aws.SecurityGroup] = []
    for gid in ids:
        group = region.security_groups.get(gid)
        if group is None:
            return _missing(region, "DescribeSecurityGroups", gid)
        found.append(group)
    return tuple(found)


def endpoint_groups(
    region: RegionData, endpoint: aws.VpcEndpoint
) -> tuple[aws.SecurityGroup, ...] | Gap:
    """The endpoint's security groups; an endpoint created without any has the VPC default group."""
    ids = [g.group_id for g in endpoint.groups]
    if not ids:
        default = region.default_security_group.get(endpoint.vpc_id)
        if default is None:
            return _missing(region, "DescribeSecurityGroups", f"default group of {endpoint.vpc_id}")
        ids = [default]
    return _groups(region, ids)


def check_sg_egress(leg: Leg, node: Node, peer: Place, what: str) -> None:
    decision = security_groups.evaluate(
        node.groups, egress=True, peer=peer, prefix_lists=node.region.prefix_lists
    )
    resource = decision.group
    if decision.outcome is Outcome.PASS:
        leg.add(Hop("sg-egress", resource, Outcome.PASS, decision.detail))
    elif decision.outcome is Outcome.UNKNOWN:
        leg.add(
            Hop("sg-egress", resource, Outcome.UNKNOWN, decision.detail),
            reason("DATA_MISSING", Severity.WARNING, resource, decision.detail),
        )
    else:
        first = node.groups[0].group_id if node.groups else node.subnet.subnet_id
        leg.add(
            Hop("sg-egress", first, Outcome.FAIL, decision.detail),
            reason(
                "SG_EGRESS_DENIED",
                Severity.ERROR,
                first,
                f"{decision.detail} ({what})",
                f"Add an outbound rule to {first} allowing TCP 443 to {peer.describe()}.",
            ),
        )


def check_sg_ingress(leg: Leg, target: Target, source: Place, node: Node) -> None:
    decision = security_groups.evaluate(
        target.groups, egress=False, peer=source, prefix_lists=target.region.prefix_lists
    )
    resource = decision.group
    if decision.outcome is Outcome.PASS:
        leg.add(Hop("sg-ingress", resource, Outcome.PASS, decision.detail))
        return
    if decision.outcome is Outcome.UNKNOWN:
        leg.add(
            Hop("sg-ingress", resource, Outcome.UNKNOWN, decision.detail),
            reason("DATA_MISSING", Severity.WARNING, resource, decision.detail),
        )
        return
    group = target.groups[0] if target.groups else None
    gid = group.group_id if group else target.label
    is_default = group is not None and group.group_name == "default"
    detail = decision.detail + (
        f" ({gid} is the VPC default group, which admits only its own members)"
        if is_default
        else ""
    )
    subnet = node.subnet.cidr_block or node.subnet.subnet_id
    fix = (
        f"Give {target.owner or target.label} a dedicated security group allowing inbound TCP 443 from {subnet} (the instance subnet)"
        if is_default
        else f"Add an inbound rule to {gid} allowing TCP 443 from {subnet} (the instance subnet)"
    ) + "."
    leg.add(
        Hop("sg-ingress", gid, Outcome.FAIL, detail),
        reason("SG_INGRESS_DENIED", Severity.ERROR, gid, detail, fix),
    )


def check_route_to_target(leg: Leg, estate: Estate, node: Node, target: Target) -> None:
    """Route from the instance to an address in its own or a peered VPC (and back)."""
    table = _route_table(node.region, node.subnet.subnet_id, node.vpc.vpc_id)
    if isinstance(table, Gap):
        _gap_hop(leg, "route", table, node.subnet.subnet_id)
        return
    choice = select_route(node.region, table, target.place)
    if choice.route is None:
        if choice.uncertain:
            _uncertain_route(leg, table, choice.detail)
            return
        msg = f"{choice.detail}, where {target.label} lives"
        leg.add(
            Hop("route", table.route_table_id, Outcome.FAIL, msg),
            reason(
                "NO_ROUTE",
                Severity.ERROR,
                table.route_table_id,
                msg,
                f"Add a route to {target.place.describe()} in {table.route_table_id} (via the peering connection or transit gateway to {target.vpc_id}).",
            ),
        )
        return
    route = choice.route
    if isinstance(node.region.target_of(route), rt.Blackhole):
        msg = f"{choice.detail} is a blackhole"
        leg.add(
            Hop("route", table.route_table_id, Outcome.FAIL, msg),
            reason(
                "ROUTE_BLACKHOLE",
                Severity.ERROR,
                table.route_table_id,
                msg,
                f"Replace the blackhole route {route.destination} in {table.route_table_id} with one whose target exists.",
            ),
        )
        return
    hop_result = Outcome.UNKNOWN if choice.uncertain else Outcome.PASS
    if choice.uncertain:
        # The hop below says which route it took; the reason says why that is not certain.
        leg.reasons.append(
            reason(
                "DATA_MISSING",
                Severity.WARNING,
                table.route_table_id,
                f"which route of {table.route_table_id} applies cannot be decided from the snapshot: {choice.detail}",
            )
        )
    kind = node.region.target_of(route)
    match kind:
        case rt.Local():
            if target.vpc_id != node.vpc.vpc_id:
                msg = f"{choice.detail}: {target.label} is in {target.vpc_id}, not in {node.vpc.vpc_id}"
                leg.add(
                    Hop("route", table.route_table_id, Outcome.FAIL, msg),
                    reason("NO_ROUTE", Severity.ERROR, table.route_table_id, msg),
                )
                return
            leg.add(
                Hop("route", table.route_table_id, hop_result, choice.detail + " (inside the VPC)")
            )
        case rt.Peering():
            leg.add(Hop("route", table.route_table_id, hop_result, choice.detail))
            _check_peering(leg, estate, node, target, kind.id)
        case rt.TransitGateway():
            leg.add(Hop("route", table.route_table_id, hop_result, choice.detail))
            _check_transit_gateway(leg, node, target, kind.id)
        case rt.Appliance():
            through_appliance(leg, node, table, choice, kind, target.place)
        case rt.UnknownTarget(gap=Gap() as gap):
            _gap_hop(leg, "route", gap, kind.id)
        case (
            rt.VirtualPrivateGateway()
            | rt.OtherGateway()
            | rt.UnknownTarget()
            | rt.NatGateway(connectivity="private" | None)
        ):
            _unmodeled(leg, node, table, choice, kind)
        case _:
            msg = f"{choice.detail}: {target.label} is a private address that {kind.id} ({kind.label}) does not reach"
            leg.add(
                Hop("route", table.route_table_id, Outcome.FAIL, msg),
                reason("NO_ROUTE", Severity.ERROR, table.route_table_id, msg),
            )


def _unmodeled(
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
    table = _route_table(region, appliance.subnet_id, subnet.vpc_id if subnet else "")
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


def _check_peering(leg: Leg, estate: Estate, node: Node, target: Target, pcx_id: str) -> None:
    pcx = node.region.peerings.get(pcx_id) or target.region.peerings.get(pcx_id)
    if pcx is None:
        gap = _missing(node.region, "DescribeVpcPeeringConnections", pcx_id)
        _gap_hop(leg, "peering", gap, pcx_id)
        return
    status = pcx.status.code if pcx.status else "unknown"
    sides = {
        pcx.requester_vpc_info.vpc_id if pcx.requester_vpc_info else None,
        pcx.accepter_vpc_info.vpc_id if pcx.accepter_vpc_info else None,
    }
    if status != "active":
        msg = f"{pcx_id} is {status}, not active"
        leg.add(
            Hop("peering", pcx_id, Outcome.FAIL, msg),
            reason(
                "PEERING_NOT_ACTIVE",
                Severity.ERROR,
                pcx_id,
                msg,
                f"Accept {pcx_id} (or recreate it) so that it is active.",
            ),
        )
        return
    if target.vpc_id not in sides or node.vpc.vpc_id not in sides:
        msg = f"{pcx_id} connects {' and '.join(sorted(s for s in sides if s))}, not {node.vpc.vpc_id} and {target.vpc_id}"
        leg.add(
            Hop("peering", pcx_id, Outcome.FAIL, msg),
            reason("NO_ROUTE", Severity.ERROR, pcx_id, msg),
        )
        return
    leg.add(
        Hop(
            "peering",
            pcx_id,
            Outcome.PASS,
            f"{pcx_id} is active between {node.vpc.vpc_id} and {target.vpc_id}",
        )
    )
    check_return_route(leg, node, target, pcx_id)


def _tgw_attachment(
    regions: Sequence[RegionData], tgw_id: str, vpc_id: str
) -> tuple[aws.TransitGatewayAttachment, RegionData] | Gap | None:
    for region in regions:
        for att in region.tgw_attachments.values():
            if (
                att.transit_gateway_id == tgw_id
                and att.resource_id == vpc_id
                and (att.resource_type or "vpc") == "vpc"
                and att.state.lower() in ("available", "modifying")
            ):
                return att, region
    for region in regions:
        gap = region.gap("DescribeTransitGatewayAttachments")
        if gap is not None:
            return gap
    return None


def _tgw_route(
    region: RegionData, table_id: str, place: Place
) -> tuple[aws.TgwRoute | None, bool] | Gap:
    """Longest-prefix match in a transit gateway route table: (route, uncertain)."""
    routes = region.tgw_routes.get(table_id)
    if routes is None:
        return region.gap("SearchTransitGatewayRoutes") or _missing(
            region, "SearchTransitGatewayRoutes", table_id
        )
    if isinstance(routes, Gap):
        return routes
    best: tuple[int, aws.TgwRoute] | None = None
    uncertain = False
    for route in routes:
        if not route.destination_cidr_block:
            uncertain = uncertain or route.prefix_list_id is not None
            continue
        net = network(route.destination_cidr_block)
        match = relation(route.destination_cidr_block, place)
        if match is Match.YES and net is not None and (best is None or net.prefixlen > best[0]):
            best = (net.prefixlen, route)
        elif match is Match.MAYBE:
            uncertain = True
    return (best[1] if best else None), uncertain


def _check_transit_gateway(leg: Leg, node: Node, target: Target, tgw_id: str) -> None:
    """Through a transit gateway: each side's attachment, its route table there, and back."""
    regions = list({id(r): r for r in (node.region, target.region)}.values())
    crossings = (
        ("transit-gateway", node.vpc.vpc_id, target.vpc_id, target.place, "NO_ROUTE"),
        ("tgw-return", target.vpc_id, node.vpc.vpc_id, node.place, "NO_RETURN_ROUTE"),
    )
    for step, from_vpc, to_vpc, place, code in crossings:
        found = _tgw_attachment(regions, tgw_id, from_vpc)
        if isinstance(found, Gap):
            leg.add(Hop(step, tgw_id, Outcome.UNKNOWN, found.describe()), gap_reason(found, tgw_id))
            return
        if found is None:
            msg = f"{tgw_id} has no available attachment for {from_vpc}"
            leg.add(
                Hop(step, tgw_id, Outcome.FAIL, msg),
                reason(code, Severity.ERROR, tgw_id, msg, f"Attach {from_vpc} to {tgw_id}."),
            )
            return
        att, region = found
        table_id = att.association.transit_gateway_route_table_id if att.association else None
        if not table_id:
            att_id = att.transit_gateway_attachment_id
            msg = f"attachment {att_id} of {from_vpc} is associated with no route table of {tgw_id}"
            leg.add(
                Hop(step, att_id, Outcome.FAIL, msg),
                reason(
                    code,
                    Severity.ERROR,
                    att_id,
                    msg,
                    f"Associate {att_id} with a route table of {tgw_id}.",
                ),
            )
            return
        looked = _tgw_route(region, table_id, place)
        if isinstance(looked, Gap):
            leg.add(
                Hop(step, table_id, Outcome.UNKNOWN, looked.describe()),
                gap_reason(looked, table_id),
            )
            return
        route, uncertain = looked
        if route is None:
            if uncertain:
                msg = f"{table_id}: a prefix-list route may cover {place.describe()}"
                leg.add(
                    Hop(step, table_id, Outcome.UNKNOWN, msg),
                    reason("DATA_MISSING", Severity.WARNING, table_id, msg),
                )
                return
            msg = f"transit gateway route table {table_id} has no route to {place.describe()} in {to_vpc}"
            leg.add(
                Hop(step, table_id, Outcome.FAIL, msg),
                reason(
                    code,
                    Severity.ERROR,
                    table_id,
                    msg,
                    f"Propagate the attachment of {to_vpc} into {table_id}, or add a static route.",
                ),
            )
            return
        if route.state.lower() == "blackhole":
            msg = f"transit gateway route table {table_id}: {route.destination_cidr_block} is a blackhole"
            leg.add(
                Hop(step, table_id, Outcome.FAIL, msg),
                reason(
                    "ROUTE_BLACKHOLE",
                    Severity.ERROR,
                    table_id,
                    msg,
                    f"Replace the blackhole route {route.destination_cidr_block} in {table_id}.",
                ),
            )
            return
        owners = {a.resource_id for a in route.transit_gateway_attachments}
        if to_vpc not in owners:
            where = ", ".join(sorted(o for o in owners if o)) or "an attachment not in the snapshot"
            msg = (
                f"{table_id} sends {route.destination_cidr_block} to {where}, not to {to_vpc}; "
                "the onward path is not in the snapshot"
            )
            leg.add(
                Hop(step, table_id, Outcome.UNKNOWN, msg),
                reason(
                    "EGRESS_UNMODELED",
                    Severity.WARNING,
                    tgw_id,
                    msg,
                    "Confirm the path with `ssmreach probe`.",
                ),
            )
            return
        leg.add(
            Hop(
                step,
                table_id,
                Outcome.UNKNOWN if uncertain else Outcome.PASS,
                f"{tgw_id} route table {table_id}: {route.destination_cidr_block} -> {to_vpc}",
            )
        )
    check_return_route(leg, node, target, tgw_id)


def check_return_route(leg: Leg, node: Node, target: Target, via: str) -> None:
    """The endpoint subnet's route table must send the reply back through `via`."""
    back = _route_table(target.region, target.subnet_id, target.vpc_id)
    if isinstance(back, Gap):
        _gap_hop(leg, "return-route", back, target.subnet_id)
        return
    choice = select_route(target.region, back, node.place)
    route = choice.route
    if (
        route is not None
        and route.target == via
        and not isinstance(target.region.target_of(route), rt.Blackhole)
    ):
        result = Outcome.UNKNOWN if choice.uncertain else Outcome.PASS
        leg.add(Hop("return-route", back.route_table_id, result, choice.detail))
        return
    msg = (
        f"{back.route_table_id} (the route table of {target.subnet_id} in {target.vpc_id}) has no "
        f"route back to the instance through {via}"
        + (f"; it sends it to {route.target}" if route else "")
    )
    fix = f"Add a route to {node.subnet.cidr_block or node.subnet.subnet_id} via {via} in {back.route_table_id}."
    leg.add(
        Hop("return-route", back.route_table_id, Outcome.FAIL, msg),
        reason("NO_RETURN_ROUTE", Severity.ERROR, back.route_table_id, msg, fix),
    )


def check_nacls_to_target(leg: Leg, node: Node, target: Target) -> None:
    """The four NACL crossings between the instance subnet and the target subnet."""
    if target.subnet_id == node.subnet.subnet_id:
        leg.add(
            Hop(
                "nacl", target.subnet_id, Outcome.PASS, "same subnet: network ACLs do not filter it"
            )
        )
        return
    check_crossings(
        leg,
        (
            Crossing(
                node.region,
                node.subnet.subnet_id,
                True,
                target.place,
                HTTPS,
                f"request leaving {node.subnet.subnet_id}",
            ),
            Crossing(
                target.region,
                target.subnet_id,
                False,
                node.place,
                HTTPS,
                f"request entering {target.subnet_id}",
            ),
            Crossing(
                target.region,
                target.subnet_id,
                True,
                node.place,
                node.ephemeral,
                f"reply leaving {target.subnet_id}",
            ),
            Crossing(
                node.region,
                node.subnet.subnet_id,
                False,
                target.place,
                node.ephemeral,
                f"reply entering {node.subnet.subnet_id}",
            ),
        ),
    )


def path_to_target(estate: Estate, node: Node, target: Target) -> Leg:
    """Steps 2-4 from the instance to one endpoint network interface."""
    leg = Leg()
    check_route_to_target(leg, estate, node, target)
    if leg.failed:
        return leg
    check_sg_egress(leg, node, target.place, f"to {target.label}")
    check_sg_ingress(leg, target, node.place, node)
    check_nacls_to_target(leg, node, target)
    return leg


def _igw_attached(region: RegionData, igw_id: str, vpc_id: str) -> bool | Gap:
    igw = region.internet_gateways.get(igw_id)
    if igw is None:
        return _missing(region, "DescribeInternetGateways", igw_id)
    return any(
        a.vpc_id == vpc_id and a.state.lower() in ("available", "attached") for a in igw.attachments
    )


def internet_leg(estate: Estate, node: Node, place: Place) -> Leg:
    """Steps 2-4 from the instance to a public AWS address (or a gateway endpoint's prefix list)."""
    leg = Leg()
    region = node.region
    table = _route_table(region, node.subnet.subnet_id, node.vpc.vpc_id)
    if isinstance(table, Gap):
        _gap_hop(leg, "route", table, node.subnet.subnet_id)
        return leg
    choice = select_route(region, table, place)
    route = choice.route
    if route is None:
        if choice.uncertain:
            _uncertain_route(leg, table, choice.detail)
        else:
            msg = f"{table.route_table_id} has no route to the internet (no 0.0.0.0/0 route) and no endpoint answers"
            leg.add(
                Hop("route", table.route_table_id, Outcome.FAIL, msg),
                reason(
                    "NO_ROUTE",
                    Severity.ERROR,
                    table.route_table_id,
                    msg,
                    f"Create the VPC endpoint in {node.vpc.vpc_id} (recommended), or route 0.0.0.0/0 in {table.route_table_id} to a NAT gateway.",
                ),
            )
        return leg
    if isinstance(region.target_of(route), rt.Blackhole):
        msg = f"{choice.detail} is a blackhole"
        leg.add(
            Hop("route", table.route_table_id, Outcome.FAIL, msg),
            reason(
                "ROUTE_BLACKHOLE",
                Severity.ERROR,
                table.route_table_id,
                msg,
                f"Replace the blackhole route {route.destination} in {table.route_table_id}, or create the VPC endpoint.",
            ),
        )
        return leg
    hop_result = Outcome.UNKNOWN if choice.uncertain else Outcome.PASS
    kind = region.target_of(route)
    match kind:
        case rt.GatewayEndpoint() if _carries_prefix_list(region, route, kind):
            leg.add(
                Hop(
                    "route", table.route_table_id, hop_result, choice.detail + " (gateway endpoint)"
                )
            )
            leg.via = kind.id
            leg.gateway_endpoint = kind.endpoint
        case rt.InternetGateway():
            _igw_leg(leg, node, table, choice, kind, place, hop_result)
        case rt.NatGateway():
            leg.add(Hop("route", table.route_table_id, hop_result, choice.detail))
            _nat_leg(leg, estate, node, place, kind.id)
        case rt.Peering() | rt.Local() | rt.EgressOnlyInternetGateway():
            msg = f"{choice.detail}: {kind.id} ({kind.label}) does not carry IPv4 traffic to the internet"
            leg.add(
                Hop("route", table.route_table_id, Outcome.FAIL, msg),
                reason(
                    "NO_ROUTE",
                    Severity.ERROR,
                    table.route_table_id,
                    msg,
                    f"Create the VPC endpoint in {node.vpc.vpc_id}, or route 0.0.0.0/0 in {table.route_table_id} to a NAT gateway.",
                ),
            )
        case rt.Appliance():
            through_appliance(leg, node, table, choice, kind, place)
        case rt.UnknownTarget(gap=Gap() as gap):
            _gap_hop(leg, "route", gap, kind.id)
        case _:
            _unmodeled(leg, node, table, choice, kind)
    return leg


def _carries_prefix_list(region: RegionData, route: aws.Route, gateway: rt.GatewayEndpoint) -> bool:
    """Only a prefix-list route to a gateway endpoint of that list's service is the gateway
    path (PrivateLink guide, "Gateway endpoints": the endpoint adds a route whose
    destination is the service's prefix list)."""
    pl_id = route.destination_prefix_list_id
    if not pl_id:
        return False
    info = region.prefix_lists.get(pl_id)
    return info is None or info.name is None or info.name == gateway.service_name


def _igw_leg(
    leg: Leg,
    node: Node,
    table: aws.RouteTable,
    choice: RouteChoice,
    igw: rt.InternetGateway,
    place: Place,
    hop_result: Outcome,
) -> None:
    target_id = igw.id
    attached = _igw_attached(node.region, target_id, node.vpc.vpc_id)
    if isinstance(attached, Gap):
        _gap_hop(leg, "route", attached, target_id)
        return
    if not attached:
        msg = f"{choice.detail}, but {target_id} is not attached to {node.vpc.vpc_id} (a blackhole)"
        leg.add(
            Hop("route", table.route_table_id, Outcome.FAIL, msg),
            reason("ROUTE_BLACKHOLE", Severity.ERROR, table.route_table_id, msg),
        )
        return
    leg.add(Hop("route", table.route_table_id, hop_result, choice.detail))
    if not node.instance.public_ip:
        msg = f"the instance has no public IPv4 address, so {target_id} (the route of {table.route_table_id}) cannot carry its traffic"
        leg.add(
            Hop("igw", target_id, Outcome.FAIL, msg),
            reason(
                "NO_PUBLIC_IP",
                Severity.ERROR,
                table.route_table_id,
                msg,
                f"Create the VPC endpoints in {node.vpc.vpc_id} (recommended), or route through a NAT gateway.",
            ),
        )
        return
    leg.add(Hop("igw", target_id, Outcome.PASS, "the instance has a public IPv4 address"))
    leg.via = target_id
    check_own_subnet(leg, node, place, "to the internet")


def _nat_leg(leg: Leg, estate: Estate, node: Node, place: Place, nat_id: str) -> None:
    region = node.region
    nat = region.nat_gateways.get(nat_id)
    if nat is None:
        _gap_hop(leg, "nat", _missing(region, "DescribeNatGateways", nat_id), nat_id)
        return
    fix = f"Use an available public NAT gateway whose subnet routes 0.0.0.0/0 to an internet gateway, or create the VPC endpoints in {node.vpc.vpc_id}."
    if nat.state.lower() != "available":
        msg = f"{nat_id} is {nat.state}, not available"
        leg.add(
            Hop("nat", nat_id, Outcome.FAIL, msg),
            reason("NAT_NO_INTERNET", Severity.ERROR, nat_id, msg, fix),
        )
        return
    if nat.connectivity_type.lower() != "public":
        msg = f"{nat_id} is a private NAT gateway: it does not reach the internet"
        leg.add(
            Hop("nat", nat_id, Outcome.FAIL, msg),
            reason("NAT_NO_INTERNET", Severity.ERROR, nat_id, msg, fix),
        )
        return
    nat_subnet = nat.subnet_id or ""
    table = _route_table(region, nat_subnet, nat.vpc_id or node.vpc.vpc_id)
    if isinstance(table, Gap):
        _gap_hop(leg, "nat", table, nat_id)
        return
    onward = select_route(region, table, place)
    route = onward.route
    attached: bool | Gap = False
    onward_kind = region.target_of(route) if route is not None else None
    if isinstance(
        onward_kind,
        rt.Appliance
        | rt.TransitGateway
        | rt.VirtualPrivateGateway
        | rt.OtherGateway
        | rt.UnknownTarget,
    ):
        # NAT, then an inspection appliance or another network: seen up to there only.
        msg = f"{nat_id} is in {nat_subnet}, whose route table sends the traffic on through {onward_kind.id} ({onward_kind.label}); where it goes from there is not in the snapshot"
        leg.finding(
            "nat",
            nat_id,
            Outcome.UNKNOWN,
            "EGRESS_UNMODELED",
            msg,
            f"Confirm the path with `ssmreach probe`, or create the VPC endpoints in {node.vpc.vpc_id}.",
            blame=onward_kind.id,
        )
        return
    if isinstance(onward_kind, rt.InternetGateway):
        attached = _igw_attached(region, onward_kind.id, nat.vpc_id or node.vpc.vpc_id)
    if isinstance(attached, Gap):
        _gap_hop(leg, "nat", attached, nat_id)
        return
    if not attached:
        msg = f"{nat_id} is in {nat_subnet}, whose route table {table.route_table_id} has no working route to an internet gateway"
        leg.add(
            Hop("nat", nat_id, Outcome.FAIL, msg),
            reason(
                "NAT_NO_INTERNET",
                Severity.ERROR,
                nat_id,
                msg,
                f"Route 0.0.0.0/0 in {table.route_table_id} to an attached internet gateway, or create the VPC endpoints in {node.vpc.vpc_id}.",
            ),
        )
        return
    assert route is not None
    leg.add(
        Hop(
            "nat",
            nat_id,
            Outcome.PASS,
            f"{nat_id} is an available public NAT gateway; {onward.detail}",
        )
    )
    leg.via = nat_id
    check_own_subnet(leg, node, place, "to the internet", nat_subnet=nat_subnet)


def check_own_subnet(
    leg: Leg, node: Node, place: Place, what: str, *, nat_subnet: str | None = None
) -> None:
    """Traffic leaving the instance for `place`: its security groups, its subnet's NACL both
    ways, and (through a NAT gateway in another subnet) the NAT subnet's NACL both ways."""
    own = node.subnet.subnet_id
    check_sg_egress(leg, node, place, what)
    crossings = [Crossing(node.region, own, True, place, HTTPS, f"request leaving {own}")]
    if nat_subnet and nat_subnet != own:
        crossings += [
            Crossing(
                node.region,
                nat_subnet,
                False,
                node.place,
                HTTPS,
                f"request entering the NAT subnet {nat_subnet}",
            ),
            Crossing(
                node.region,
                nat_subnet,
                True,
                place,
                HTTPS,
                f"request leaving the NAT subnet {nat_subnet}",
            ),
            Crossing(
                node.region,
                nat_subnet,
                False,
                place,
                EPHEMERAL_NAT,
                f"reply entering the NAT subnet {nat_subnet}",
            ),
            Crossing(
                node.region,
                nat_subnet,
                True,
                node.place,
                node.ephemeral,
                f"reply leaving the NAT subnet {nat_subnet}",
            ),
        ]
    crossings.append(
        Crossing(node.region, own, False, place, node.ephemeral, f"reply entering {own}")
    )
    check_crossings(leg, crossings)
