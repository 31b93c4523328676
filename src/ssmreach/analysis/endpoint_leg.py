"""The endpoint leg: from the instance to an interface endpoint's network interface in its
own or a peered VPC (requirements.md §3 steps 2-4): the route there, the security groups
both sides, and the four network ACL crossings.
"""

from __future__ import annotations

from ssmreach.analysis.filters import Crossing, check_crossings, check_sg_egress, check_sg_ingress
from ssmreach.analysis.legs import (
    HTTPS,
    Leg,
    Node,
    Target,
    gap_hop,
    route_table,
    through_appliance,
    uncertain_route,
    unmodeled,
)
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.routing import RouteChoice, select_route
from ssmreach.analysis.transit import check_peering, check_transit_gateway
from ssmreach.analysis.verdict import Hop, Outcome, Severity
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, Gap


def check_route_to_target(leg: Leg, estate: Estate, node: Node, target: Target) -> None:
    """Route from the instance to an address in its own or a peered VPC (and back)."""
    table = route_table(node.region, node.subnet.subnet_id, node.vpc.vpc_id)
    if isinstance(table, Gap):
        gap_hop(leg, "route", table, node.subnet.subnet_id)
        return
    choice = select_route(node.region, table, target.place)
    if choice.route is None:
        if choice.uncertain:
            uncertain_route(leg, table, choice.detail)
            return
        msg = f"{choice.detail}, where {target.label} lives"
        leg.finding(
            "route",
            table.route_table_id,
            Outcome.FAIL,
            "NO_ROUTE",
            msg,
            f"Add a route to {target.place.describe()} in {table.route_table_id} (via the peering connection or transit gateway to {target.vpc_id}).",
        )
        return
    route = choice.route
    if isinstance(node.region.target_of(route), rt.Blackhole):
        msg = f"{choice.detail} is a blackhole"
        leg.finding(
            "route",
            table.route_table_id,
            Outcome.FAIL,
            "ROUTE_BLACKHOLE",
            msg,
            f"Replace the blackhole route {route.destination} in {table.route_table_id} with one whose target exists.",
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
    _follow_route(leg, estate, node, target, table, choice, kind, hop_result)


def _follow_route(
    leg: Leg,
    estate: Estate,
    node: Node,
    target: Target,
    table: aws.RouteTable,
    choice: RouteChoice,
    kind: rt.RouteTarget,
    hop_result: Outcome,
) -> None:
    """The route's target, by type: inside the VPC, on through a peering connection or a
    transit gateway, through an appliance, or somewhere the snapshot does not follow."""
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
            check_peering(leg, estate, node, target, kind.id)
        case rt.TransitGateway():
            leg.add(Hop("route", table.route_table_id, hop_result, choice.detail))
            check_transit_gateway(leg, node, target, kind.id)
        case rt.Appliance():
            through_appliance(leg, node, table, choice, kind, target.place)
        case rt.UnknownTarget(gap=Gap() as gap):
            gap_hop(leg, "route", gap, kind.id)
        case (
            rt.VirtualPrivateGateway()
            | rt.OtherGateway()
            | rt.UnknownTarget()
            | rt.NatGateway(connectivity="private" | None)
        ):
            unmodeled(leg, node, table, choice, kind)
        case _:
            msg = f"{choice.detail}: {target.label} is a private address that {kind.id} ({kind.label}) does not reach"
            leg.add(
                Hop("route", table.route_table_id, Outcome.FAIL, msg),
                reason("NO_ROUTE", Severity.ERROR, table.route_table_id, msg),
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
                node.flow_place,
                HTTPS,
                f"request entering {target.subnet_id}",
            ),
            Crossing(
                target.region,
                target.subnet_id,
                True,
                node.flow_place,
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
