"""The endpoint leg between VPCs: through a VPC peering connection or a transit gateway,
and the route back from the endpoint's subnet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ssmreach.analysis.addresses import Match, Place, network, relation
from ssmreach.analysis.dns import gap_reason
from ssmreach.analysis.legs import Leg, Node, Target, gap_hop, missing, route_table
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.routing import select_route
from ssmreach.analysis.verdict import Hop, Outcome, Severity
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, Gap, RegionData


def check_peering(leg: Leg, estate: Estate, node: Node, target: Target, pcx_id: str) -> None:
    """Through a VPC peering connection: active, between these two VPCs, and the route back."""
    pcx = node.region.peerings.get(pcx_id) or target.region.peerings.get(pcx_id)
    if pcx is None:
        gap = missing(node.region, "DescribeVpcPeeringConnections", pcx_id)
        gap_hop(leg, "peering", gap, pcx_id)
        return
    status = pcx.status.code if pcx.status else "unknown"
    sides = {
        pcx.requester_vpc_info.vpc_id if pcx.requester_vpc_info else None,
        pcx.accepter_vpc_info.vpc_id if pcx.accepter_vpc_info else None,
    }
    if status != "active":
        msg = f"{pcx_id} is {status}, not active"
        leg.finding(
            "peering",
            pcx_id,
            Outcome.FAIL,
            "PEERING_NOT_ACTIVE",
            msg,
            f"Accept {pcx_id} (or recreate it) so that it is active.",
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
        return region.gap("SearchTransitGatewayRoutes") or missing(
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


@dataclass(frozen=True, slots=True)
class _TgwCrossing:
    """One direction through a transit gateway: from one VPC's attachment to the other VPC."""

    step: str
    from_vpc: str
    to_vpc: str
    place: Place
    code: str  # the reason when this direction has no route


def check_transit_gateway(leg: Leg, node: Node, target: Target, tgw_id: str) -> None:
    """Through a transit gateway: each side's attachment, its route table there, and back."""
    regions = list({id(r): r for r in (node.region, target.region)}.values())
    crossings = (
        _TgwCrossing("transit-gateway", node.vpc.vpc_id, target.vpc_id, target.place, "NO_ROUTE"),
        _TgwCrossing("tgw-return", target.vpc_id, node.vpc.vpc_id, node.place, "NO_RETURN_ROUTE"),
    )
    for c in crossings:
        found = _tgw_route_table(leg, regions, tgw_id, c)
        if found is None:
            return
        region, table_id = found
        if not _tgw_route_hop(leg, region, table_id, tgw_id, c):
            return
    check_return_route(leg, node, target, tgw_id)


def _tgw_route_table(
    leg: Leg, regions: Sequence[RegionData], tgw_id: str, c: _TgwCrossing
) -> tuple[RegionData, str] | None:
    """The route table of the attachment of `c.from_vpc` (and its region), or None after a
    hop that says why there is none."""
    found = _tgw_attachment(regions, tgw_id, c.from_vpc)
    if isinstance(found, Gap):
        leg.add(Hop(c.step, tgw_id, Outcome.UNKNOWN, found.describe()), gap_reason(found, tgw_id))
        return None
    if found is None:
        msg = f"{tgw_id} has no available attachment for {c.from_vpc}"
        leg.add(
            Hop(c.step, tgw_id, Outcome.FAIL, msg),
            reason(c.code, Severity.ERROR, tgw_id, msg, f"Attach {c.from_vpc} to {tgw_id}."),
        )
        return None
    att, region = found
    table_id = att.association.transit_gateway_route_table_id if att.association else None
    if not table_id:
        att_id = att.transit_gateway_attachment_id
        msg = f"attachment {att_id} of {c.from_vpc} is associated with no route table of {tgw_id}"
        leg.add(
            Hop(c.step, att_id, Outcome.FAIL, msg),
            reason(
                c.code,
                Severity.ERROR,
                att_id,
                msg,
                f"Associate {att_id} with a route table of {tgw_id}.",
            ),
        )
        return None
    return region, table_id


def _tgw_route_hop(
    leg: Leg, region: RegionData, table_id: str, tgw_id: str, c: _TgwCrossing
) -> bool:
    """The route of `table_id` towards `c.to_vpc`, as a hop: True when the flow goes on."""
    looked = _tgw_route(region, table_id, c.place)
    if isinstance(looked, Gap):
        leg.add(
            Hop(c.step, table_id, Outcome.UNKNOWN, looked.describe()),
            gap_reason(looked, table_id),
        )
        return False
    route, uncertain = looked
    if route is None:
        if uncertain:
            msg = f"{table_id}: a prefix-list route may cover {c.place.describe()}"
            leg.add(
                Hop(c.step, table_id, Outcome.UNKNOWN, msg),
                reason("DATA_MISSING", Severity.WARNING, table_id, msg),
            )
            return False
        msg = f"transit gateway route table {table_id} has no route to {c.place.describe()} in {c.to_vpc}"
        leg.add(
            Hop(c.step, table_id, Outcome.FAIL, msg),
            reason(
                c.code,
                Severity.ERROR,
                table_id,
                msg,
                f"Propagate the attachment of {c.to_vpc} into {table_id}, or add a static route.",
            ),
        )
        return False
    if route.state.lower() == "blackhole":
        msg = (
            f"transit gateway route table {table_id}: {route.destination_cidr_block} is a blackhole"
        )
        leg.add(
            Hop(c.step, table_id, Outcome.FAIL, msg),
            reason(
                "ROUTE_BLACKHOLE",
                Severity.ERROR,
                table_id,
                msg,
                f"Replace the blackhole route {route.destination_cidr_block} in {table_id}.",
            ),
        )
        return False
    owners = {a.resource_id for a in route.transit_gateway_attachments}
    if c.to_vpc not in owners:
        where = ", ".join(sorted(o for o in owners if o)) or "an attachment not in the snapshot"
        msg = (
            f"{table_id} sends {route.destination_cidr_block} to {where}, not to {c.to_vpc}; "
            "the onward path is not in the snapshot"
        )
        leg.add(
            Hop(c.step, table_id, Outcome.UNKNOWN, msg),
            reason(
                "EGRESS_UNMODELED",
                Severity.WARNING,
                tgw_id,
                msg,
                "Confirm the path with `ssmreach probe`.",
            ),
        )
        return False
    leg.add(
        Hop(
            c.step,
            table_id,
            Outcome.UNKNOWN if uncertain else Outcome.PASS,
            f"{tgw_id} route table {table_id}: {route.destination_cidr_block} -> {c.to_vpc}",
        )
    )
    return True


def check_return_route(leg: Leg, node: Node, target: Target, via: str) -> None:
    """The endpoint subnet's route table must send the reply back through `via`."""
    back = route_table(target.region, target.subnet_id, target.vpc_id)
    if isinstance(back, Gap):
        gap_hop(leg, "return-route", back, target.subnet_id)
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
