"""Unit tests of `analysis.transit`: an endpoint in another VPC, reached through a VPC
peering connection or a transit gateway, and the route back from the endpoint's subnet."""

from __future__ import annotations

from dataclasses import dataclass, field

from ssmreach.analysis.addresses import address
from ssmreach.analysis.legs import Leg, Node, Target
from ssmreach.analysis.transit import check_peering, check_return_route, check_transit_gateway
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, Gap, RegionData

ACCOUNT = "111122223333"
APP_VPC = aws.Vpc(vpc_id="vpc-app", cidr_block="10.0.0.0/16")
APP = aws.Subnet(subnet_id="subnet-app", vpc_id="vpc-app", cidr_block="10.0.1.0/24")
TGW_RTB = "tgw-rtb-1"


def cidr_route(cidr: str, state: str = "active", **target: str) -> aws.Route:
    return aws.Route(destination_cidr_block=cidr, state=state, **target)


def peering(status: str = "active", accepter: str = "vpc-hub") -> aws.VpcPeeringConnection:
    return aws.VpcPeeringConnection(
        vpc_peering_connection_id="pcx-1",
        requester_vpc_info=aws.PeeringVpcInfo(vpc_id="vpc-app"),
        accepter_vpc_info=aws.PeeringVpcInfo(vpc_id=accepter),
        status=aws.PeeringStatus(code=status),
    )


def attachment(att_id: str, vpc: str, table: str | None = TGW_RTB) -> aws.TransitGatewayAttachment:
    return aws.TransitGatewayAttachment(
        transit_gateway_attachment_id=att_id,
        transit_gateway_id="tgw-1",
        resource_type="vpc",
        resource_id=vpc,
        association=aws.TgwAttachmentAssociation(transit_gateway_route_table_id=table)
        if table
        else None,
    )


def tgw_route(cidr: str, vpc: str, state: str = "active") -> aws.TgwRoute:
    return aws.TgwRoute(
        destination_cidr_block=cidr,
        state=state,
        transit_gateway_attachments=(aws.TgwRouteAttachment(resource_id=vpc),),
    )


@dataclass
class Hub:
    """The endpoint VPC `vpc-hub` (10.1.0.0/16); its endpoint subnet's table routes back."""

    back: tuple[aws.Route, ...] = (cidr_route("10.0.0.0/16", vpc_peering_connection_id="pcx-1"),)
    peerings: tuple[aws.VpcPeeringConnection, ...] = (peering(),)
    attachments: tuple[aws.TransitGatewayAttachment, ...] = (
        attachment("tgw-attach-app", "vpc-app"),
        attachment("tgw-attach-hub", "vpc-hub"),
    )
    tgw_routes: tuple[aws.TgwRoute, ...] | Gap | None = (
        tgw_route("10.0.0.0/16", "vpc-app"),
        tgw_route("10.1.0.0/16", "vpc-hub"),
    )
    gaps: dict[str, Gap] = field(default_factory=dict)

    def region(self) -> RegionData:
        local = cidr_route("10.1.0.0/16", gateway_id="local")
        table = aws.RouteTable(
            route_table_id="rtb-hub", vpc_id="vpc-hub", associations=(), routes=(local, *self.back)
        )
        return RegionData(
            account=ACCOUNT,
            region="us-east-1",
            route_tables={"rtb-hub": table},
            subnet_route_table={"subnet-hub-ep": "rtb-hub"},
            route_targets={"pcx-1": rt.Peering("pcx-1"), "tgw-1": rt.TransitGateway("tgw-1")},
            peerings={p.vpc_peering_connection_id: p for p in self.peerings},
            tgw_attachments={a.transit_gateway_attachment_id: a for a in self.attachments},
            tgw_routes={} if self.tgw_routes is None else {TGW_RTB: self.tgw_routes},
            gaps=self.gaps,
        )


def sides(hub: Hub) -> tuple[Estate, Node, Target]:
    data = hub.region()
    estate = Estate("test", None, "aws", {(ACCOUNT, "us-east-1"): data}, {})
    instance = aws.Instance(instance_id="i-1", subnet_id="subnet-app", vpc_id="vpc-app")
    node = Node(instance, data, APP_VPC, APP, "10.0.1.10", (), (1024, 65535))
    target = Target(data, "vpc-hub", "subnet-hub-ep", None, address("10.1.11.5"), (), "eni-hub")
    return estate, node, target


def through_peering(hub: Hub) -> Leg:
    estate, node, target = sides(hub)
    leg = Leg()
    check_peering(leg, estate, node, target, "pcx-1")
    return leg


def through_tgw(hub: Hub) -> Leg:
    _, node, target = sides(hub)
    leg = Leg()
    check_transit_gateway(leg, node, target, "tgw-1")
    return leg


def codes(leg: Leg) -> list[str]:
    return [r.code for r in leg.reasons]


# -- peering ------------------------------------------------------------------------------


def test_an_active_peering_with_a_route_back_passes() -> None:
    leg = through_peering(Hub())
    assert leg.outcome is Outcome.PASS
    assert [h.step for h in leg.hops] == ["peering", "return-route"]
    assert leg.hops[0].detail == "pcx-1 is active between vpc-app and vpc-hub"


def test_a_peering_not_yet_accepted_carries_nothing() -> None:
    """VPC peering guide, "VPC peering connection lifecycle": only an `active` connection
    carries traffic; `pending-acceptance` must be accepted first."""
    leg = through_peering(Hub(peerings=(peering("pending-acceptance"),)))
    assert leg.failed and codes(leg) == ["PEERING_NOT_ACTIVE"]
    assert leg.hops[0].detail == "pcx-1 is pending-acceptance, not active"


def test_a_peering_between_other_vpcs_does_not_reach_the_endpoint() -> None:
    leg = through_peering(Hub(peerings=(peering(accepter="vpc-other"),)))
    assert leg.failed and codes(leg) == ["NO_ROUTE"]
    assert "connects vpc-app and vpc-other, not vpc-app and vpc-hub" in leg.hops[0].detail


def test_a_peering_missing_from_the_snapshot_is_unknown() -> None:
    leg = through_peering(Hub(peerings=()))
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["DATA_MISSING"]
    assert "ec2:DescribeVpcPeeringConnections (pcx-1)" in leg.hops[0].detail


def test_peering_is_not_transitive_the_reply_needs_a_route_back_through_it() -> None:
    """Routes are per VPC: the endpoint subnet must route the instance's CIDR back through
    the same connection (VPC peering guide, "Update your route tables")."""
    other_way = (cidr_route("10.0.0.0/16", transit_gateway_id="tgw-1"),)
    leg = through_peering(Hub(back=other_way))
    assert leg.failed and codes(leg) == ["NO_RETURN_ROUTE"]
    assert leg.hops[-1].detail.endswith("through pcx-1; it sends it to tgw-1")
    assert leg.reasons[0].fix == "Add a route to 10.0.1.0/24 via pcx-1 in rtb-hub."


def test_no_route_back_at_all_is_no_return_route() -> None:
    leg = through_peering(Hub(back=()))
    assert leg.failed and codes(leg) == ["NO_RETURN_ROUTE"]


def test_a_blackholed_route_back_is_no_return_route() -> None:
    gone = (cidr_route("10.0.0.0/16", "blackhole", vpc_peering_connection_id="pcx-1"),)
    _, node, target = sides(Hub(back=gone))
    leg = Leg()
    check_return_route(leg, node, target, "pcx-1")
    assert leg.failed and codes(leg) == ["NO_RETURN_ROUTE"]


# -- transit gateway -----------------------------------------------------------------------


def test_a_transit_gateway_with_routes_both_ways_passes() -> None:
    hub = Hub(back=(cidr_route("10.0.0.0/16", transit_gateway_id="tgw-1"),))
    leg = through_tgw(hub)
    assert leg.outcome is Outcome.PASS
    assert [h.step for h in leg.hops] == ["transit-gateway", "tgw-return", "return-route"]
    assert leg.hops[0].detail == "tgw-1 route table tgw-rtb-1: 10.1.0.0/16 -> vpc-hub"


def test_a_vpc_not_attached_to_the_transit_gateway_has_no_route() -> None:
    leg = through_tgw(Hub(attachments=(attachment("tgw-attach-hub", "vpc-hub"),)))
    assert leg.failed and codes(leg) == ["NO_ROUTE"]
    assert leg.reasons[0].fix == "Attach vpc-app to tgw-1."


def test_the_endpoint_vpc_not_attached_is_no_return_route() -> None:
    leg = through_tgw(Hub(attachments=(attachment("tgw-attach-app", "vpc-app"),)))
    assert leg.failed and codes(leg) == ["NO_RETURN_ROUTE"]


def test_an_attachment_associated_with_no_route_table_routes_nothing() -> None:
    unassociated = (
        attachment("tgw-attach-app", "vpc-app", table=None),
        attachment("tgw-attach-hub", "vpc-hub"),
    )
    leg = through_tgw(Hub(attachments=unassociated))
    assert leg.failed and codes(leg) == ["NO_ROUTE"]
    assert leg.hops[0].resource == "tgw-attach-app"


def test_the_transit_gateway_route_table_uses_the_longest_prefix() -> None:
    """Transit Gateways guide, "Route evaluation order": the most specific route wins."""
    routes = (
        tgw_route("0.0.0.0/0", "vpc-inspection"),
        tgw_route("10.1.0.0/16", "vpc-hub"),
        tgw_route("10.0.0.0/16", "vpc-app"),
    )
    hub = Hub(back=(cidr_route("10.0.0.0/16", transit_gateway_id="tgw-1"),), tgw_routes=routes)
    assert through_tgw(hub).outcome is Outcome.PASS


def test_a_transit_gateway_route_elsewhere_is_an_onward_path_not_in_the_snapshot() -> None:
    routes = (tgw_route("0.0.0.0/0", "vpc-inspection"), tgw_route("10.0.0.0/16", "vpc-app"))
    leg = through_tgw(Hub(tgw_routes=routes))
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["EGRESS_UNMODELED"]
    assert "sends 0.0.0.0/0 to vpc-inspection, not to vpc-hub" in leg.hops[0].detail


def test_a_blackhole_transit_gateway_route_blocks() -> None:
    routes = (tgw_route("10.1.0.0/16", "vpc-hub", "blackhole"), tgw_route("10.0.0.0/16", "vpc-app"))
    leg = through_tgw(Hub(tgw_routes=routes))
    assert leg.failed and codes(leg) == ["ROUTE_BLACKHOLE"]


def test_no_transit_gateway_route_back_is_no_return_route() -> None:
    leg = through_tgw(Hub(tgw_routes=(tgw_route("10.1.0.0/16", "vpc-hub"),)))
    assert leg.failed and codes(leg) == ["NO_RETURN_ROUTE"]
    assert leg.hops[-1].step == "tgw-return"


def test_transit_gateway_routes_not_read_are_unknown() -> None:
    leg = through_tgw(Hub(tgw_routes=None))
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["DATA_MISSING"]
    assert "ec2:SearchTransitGatewayRoutes (tgw-rtb-1)" in leg.hops[0].detail


def test_attachments_not_read_are_unknown() -> None:
    denied = Gap(ACCOUNT, "us-east-1", "ec2", "DescribeTransitGatewayAttachments", "denied")
    leg = through_tgw(Hub(attachments=(), gaps={"DescribeTransitGatewayAttachments": denied}))
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["READ_DENIED"]


def test_a_prefix_list_route_may_cover_the_endpoint() -> None:
    routes = (aws.TgwRoute(prefix_list_id="pl-corp"), tgw_route("10.0.0.0/16", "vpc-app"))
    leg = through_tgw(Hub(tgw_routes=routes))
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["DATA_MISSING"]
    assert "a prefix-list route may cover" in leg.hops[0].detail
