"""The internet leg: from the instance to a public AWS address, through a gateway endpoint,
an internet gateway, a NAT gateway or an inspection appliance (requirements.md §3 steps
2-4), dispatching on the typed route targets of `ssmreach.model.route_targets`.
"""

from __future__ import annotations

from ssmreach.analysis.addresses import Place
from ssmreach.analysis.filters import Crossing, check_crossings, check_sg_egress
from ssmreach.analysis.legs import (
    EPHEMERAL_NAT,
    HTTPS,
    Leg,
    Node,
    gap_hop,
    missing,
    route_table,
    through_appliance,
    uncertain_route,
    unmodeled,
)
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.routing import RouteChoice, select_route
from ssmreach.analysis.verdict import Hop, Outcome, Severity
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, Gap, RegionData


def _igw_attached(region: RegionData, igw_id: str, vpc_id: str) -> bool | Gap:
    igw = region.internet_gateways.get(igw_id)
    if igw is None:
        return missing(region, "DescribeInternetGateways", igw_id)
    return any(
        a.vpc_id == vpc_id and a.state.lower() in ("available", "attached") for a in igw.attachments
    )


def internet_leg(estate: Estate, node: Node, place: Place, onward: Place | None = None) -> Leg:
    """Steps 2-4 from the instance to a public AWS address (or a gateway endpoint's prefix list).

    `onward`: where a NAT gateway sends the traffic when that is not `place` (NAT64: the
    instance sends to 64:ff9b::/96, the NAT gateway on to the service's IPv4 addresses)."""
    leg = Leg()
    region = node.region
    table = route_table(region, node.subnet.subnet_id, node.vpc.vpc_id)
    if isinstance(table, Gap):
        gap_hop(leg, "route", table, node.subnet.subnet_id)
        return leg
    choice = select_route(region, table, place)
    route = choice.route
    if route is None:
        if choice.uncertain:
            uncertain_route(leg, table, choice.detail)
        else:
            msg = f"{table.route_table_id} has no route to the internet (no 0.0.0.0/0 route) and no endpoint answers"
            leg.finding(
                "route",
                table.route_table_id,
                Outcome.FAIL,
                "NO_ROUTE",
                msg,
                f"Create the VPC endpoint in {node.vpc.vpc_id} (recommended), or route 0.0.0.0/0 in {table.route_table_id} to a NAT gateway.",
            )
        return leg
    if isinstance(region.target_of(route), rt.Blackhole):
        msg = f"{choice.detail} is a blackhole"
        leg.finding(
            "route",
            table.route_table_id,
            Outcome.FAIL,
            "ROUTE_BLACKHOLE",
            msg,
            f"Replace the blackhole route {route.destination} in {table.route_table_id}, or create the VPC endpoint.",
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
        case rt.EgressOnlyInternetGateway() if place.version == 6:
            _eigw_leg(leg, node, table, choice, kind, place, hop_result)
        case rt.NatGateway():
            leg.add(Hop("route", table.route_table_id, hop_result, choice.detail))
            _nat_leg(leg, estate, node, place, kind.id, onward)
        case rt.Peering() | rt.Local() | rt.EgressOnlyInternetGateway():
            msg = f"{choice.detail}: {kind.id} ({kind.label}) does not carry IPv4 traffic to the internet"
            leg.finding(
                "route",
                table.route_table_id,
                Outcome.FAIL,
                "NO_ROUTE",
                msg,
                f"Create the VPC endpoint in {node.vpc.vpc_id}, or route 0.0.0.0/0 in {table.route_table_id} to a NAT gateway.",
            )
        case rt.Appliance():
            through_appliance(leg, node, table, choice, kind, place)
        case rt.UnknownTarget(gap=Gap() as gap):
            gap_hop(leg, "route", gap, kind.id)
        case _:
            unmodeled(leg, node, table, choice, kind)
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
        gap_hop(leg, "route", attached, target_id)
        return
    if not attached:
        msg = f"{choice.detail}, but {target_id} is not attached to {node.vpc.vpc_id} (a blackhole)"
        leg.add(
            Hop("route", table.route_table_id, Outcome.FAIL, msg),
            reason("ROUTE_BLACKHOLE", Severity.ERROR, table.route_table_id, msg),
        )
        return
    leg.add(Hop("route", table.route_table_id, hop_result, choice.detail))
    if place.version == 6:
        # IPv6 addresses are global: an internet gateway carries them without a public IPv4
        # address (VPC user guide, "IPv6 addressing").
        leg.add(Hop("igw", target_id, Outcome.PASS, "IPv6 traffic needs no public IPv4 address"))
        leg.via = target_id
        check_own_subnet(leg, node, place, "to the internet")
        return
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


def _eigw_leg(
    leg: Leg,
    node: Node,
    table: aws.RouteTable,
    choice: RouteChoice,
    eigw: rt.EgressOnlyInternetGateway,
    place: Place,
    hop_result: Outcome,
) -> None:
    """IPv6 to the internet through an egress-only internet gateway attached to the VPC."""
    gateway = node.region.egress_only_gateways.get(eigw.id)
    if gateway is None:
        gap = missing(node.region, "DescribeEgressOnlyInternetGateways", eigw.id)
        gap_hop(leg, "route", gap, eigw.id)
        return
    if not any(
        a.vpc_id == node.vpc.vpc_id and a.state.lower() in ("available", "attached")
        for a in gateway.attachments
    ):
        msg = f"{choice.detail}, but {eigw.id} is not attached to {node.vpc.vpc_id} (a blackhole)"
        leg.add(
            Hop("route", table.route_table_id, Outcome.FAIL, msg),
            reason("ROUTE_BLACKHOLE", Severity.ERROR, table.route_table_id, msg),
        )
        return
    leg.add(Hop("route", table.route_table_id, hop_result, choice.detail))
    leg.via = eigw.id
    check_own_subnet(leg, node, place, "to the internet")


def _nat_leg(
    leg: Leg, estate: Estate, node: Node, place: Place, nat_id: str, onward: Place | None = None
) -> None:
    region = node.region
    nat = region.nat_gateways.get(nat_id)
    if nat is None:
        gap_hop(leg, "nat", missing(region, "DescribeNatGateways", nat_id), nat_id)
        return
    if not _nat_usable(leg, node, nat, nat_id):
        return
    nat_subnet = nat.subnet_id or ""
    table = route_table(region, nat_subnet, nat.vpc_id or node.vpc.vpc_id)
    if isinstance(table, Gap):
        gap_hop(leg, "nat", table, nat_id)
        return
    beyond = onward or place
    onward_choice = select_route(region, table, beyond)
    route = onward_choice.route
    attached: bool | Gap = False
    onward_kind = region.target_of(route) if route is not None else None
    if onward is not None and isinstance(onward_kind, rt.GatewayEndpoint):
        msg = f"{nat_id} translates the request to IPv4 and its subnet {nat_subnet} routes it to the gateway endpoint {onward_kind.id}; that path is not followed"
        leg.finding(
            "nat",
            nat_id,
            Outcome.UNKNOWN,
            "EGRESS_UNMODELED",
            msg,
            f"Confirm the path with `ssmreach probe`, or create a dual-stack endpoint in {node.vpc.vpc_id}.",
        )
        return
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
        gap_hop(leg, "nat", attached, nat_id)
        return
    if not attached:
        msg = f"{nat_id} is in {nat_subnet}, whose route table {table.route_table_id} has no working route to an internet gateway"
        leg.finding(
            "nat",
            nat_id,
            Outcome.FAIL,
            "NAT_NO_INTERNET",
            msg,
            f"Route 0.0.0.0/0 in {table.route_table_id} to an attached internet gateway, or create the VPC endpoints in {node.vpc.vpc_id}.",
        )
        return
    assert route is not None
    leg.add(
        Hop(
            "nat",
            nat_id,
            Outcome.PASS,
            f"{nat_id} is an available public NAT gateway; {onward_choice.detail}",
        )
    )
    leg.via = nat_id
    check_own_subnet(leg, node, place, "to the internet", nat_subnet=nat_subnet, onward=onward)


def _nat_usable(leg: Leg, node: Node, nat: aws.NatGateway, nat_id: str) -> bool:
    """An available public NAT gateway; otherwise False after a hop that says why not."""
    fix = f"Use an available public NAT gateway whose subnet routes 0.0.0.0/0 to an internet gateway, or create the VPC endpoints in {node.vpc.vpc_id}."
    if nat.state.lower() != "available":
        msg = f"{nat_id} is {nat.state}, not available"
        leg.add(
            Hop("nat", nat_id, Outcome.FAIL, msg),
            reason("NAT_NO_INTERNET", Severity.ERROR, nat_id, msg, fix),
        )
        return False
    if nat.connectivity_type.lower() != "public":
        msg = f"{nat_id} is a private NAT gateway: it does not reach the internet"
        leg.add(
            Hop("nat", nat_id, Outcome.FAIL, msg),
            reason("NAT_NO_INTERNET", Severity.ERROR, nat_id, msg, fix),
        )
        return False
    return True


def check_own_subnet(
    leg: Leg,
    node: Node,
    place: Place,
    what: str,
    *,
    nat_subnet: str | None = None,
    onward: Place | None = None,
) -> None:
    """Traffic leaving the instance for `place`: its security groups, its subnet's NACL both
    ways, and (through a NAT gateway in another subnet) the NAT subnet's NACL both ways,
    towards `onward` on the NAT gateway's far side when that is not `place` (NAT64)."""
    own = node.subnet.subnet_id
    beyond = onward or place
    check_sg_egress(leg, node, place, what)
    crossings = [Crossing(node.region, own, True, place, HTTPS, f"request leaving {own}")]
    if nat_subnet and nat_subnet != own:
        crossings += [
            Crossing(
                node.region,
                nat_subnet,
                False,
                node.flow_place,
                HTTPS,
                f"request entering the NAT subnet {nat_subnet}",
            ),
            Crossing(
                node.region,
                nat_subnet,
                True,
                beyond,
                HTTPS,
                f"request leaving the NAT subnet {nat_subnet}",
            ),
            Crossing(
                node.region,
                nat_subnet,
                False,
                beyond,
                EPHEMERAL_NAT,
                f"reply entering the NAT subnet {nat_subnet}",
            ),
            Crossing(
                node.region,
                nat_subnet,
                True,
                node.flow_place,
                node.ephemeral,
                f"reply leaving the NAT subnet {nat_subnet}",
            ),
        ]
    crossings.append(
        Crossing(node.region, own, False, place, node.ephemeral, f"reply entering {own}")
    )
    check_crossings(leg, crossings)
