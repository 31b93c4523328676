"""Unit tests of `analysis.routing`: which route table applies to a subnet and which of its
routes carries traffic to a place (longest prefix, prefix-list routes, uncertain routes)."""

from __future__ import annotations

from ssmreach.analysis.addresses import Place, address, network, public_service
from ssmreach.analysis.routing import route_table_for, select_route
from ssmreach.model import aws
from ssmreach.model.estate import PrefixListInfo, RegionData

S3 = "com.amazonaws.us-east-1.s3"
SSM = "com.amazonaws.us-east-1.ssm"
S3_PL = "pl-63a5400a"


def route(destination: str, **target: str) -> aws.Route:
    if destination.startswith("pl-"):
        return aws.Route(destination_prefix_list_id=destination, state="active", **target)
    return aws.Route(destination_cidr_block=destination, state="active", **target)


def table(*routes: aws.Route, rtb: str = "rtb-app") -> aws.RouteTable:
    return aws.RouteTable(route_table_id=rtb, vpc_id="vpc-1", associations=(), routes=routes)


def region(
    prefix_lists: dict[str, PrefixListInfo] | None = None,
    endpoints: dict[str, aws.VpcEndpoint] | None = None,
) -> RegionData:
    return RegionData(
        account="111122223333",
        region="us-east-1",
        prefix_lists=prefix_lists or {},
        endpoints=endpoints or {},
        subnet_route_table={"subnet-app": "rtb-app"},
        main_route_table={"vpc-1": "rtb-main"},
    )


LOCAL = route("10.0.0.0/16", gateway_id="local")
DEFAULT_NAT = route("0.0.0.0/0", nat_gateway_id="nat-1")


# -- which table -------------------------------------------------------------------------


def test_a_subnet_uses_its_associated_table_else_the_main_table() -> None:
    """VPC user guide, "Route tables": a subnet not explicitly associated with a route
    table is implicitly associated with the main route table."""
    data = region()
    assert route_table_for(data, "subnet-app", "vpc-1") == "rtb-app"
    assert route_table_for(data, "subnet-other", "vpc-1") == "rtb-main"
    assert route_table_for(data, "subnet-other", "vpc-2") is None


# -- longest prefix ------------------------------------------------------------------------


def test_longest_prefix_wins_over_the_default_route() -> None:
    """VPC user guide, "Route priority": the most specific route that matches is used."""
    rtb = table(DEFAULT_NAT, LOCAL, route("10.0.5.0/24", vpc_peering_connection_id="pcx-1"))
    assert select_route(region(), rtb, address("10.0.1.9")).route is LOCAL
    choice = select_route(region(), rtb, address("10.0.5.9"))
    assert choice.route is not None and choice.route.target == "pcx-1"
    assert select_route(region(), rtb, address("8.8.8.8")).route is DEFAULT_NAT


def test_no_matching_route_is_certain_and_named() -> None:
    choice = select_route(region(), table(LOCAL), address("10.9.0.1"))
    assert choice.route is None and not choice.uncertain
    assert choice.detail == "rtb-app has no route to 10.9.0.1"


def test_a_public_aws_address_matches_only_the_default_route_for_certain() -> None:
    rtb = table(LOCAL, route("52.0.0.0/8", gateway_id="igw-1"))
    choice = select_route(region(), rtb, public_service(SSM))
    assert choice.route is None and choice.uncertain
    assert "may cover" in choice.detail


def test_a_default_route_with_a_narrower_maybe_route_is_uncertain() -> None:
    rtb = table(LOCAL, DEFAULT_NAT, route("52.0.0.0/8", gateway_id="igw-1"))
    choice = select_route(region(), rtb, public_service(SSM))
    assert choice.route is DEFAULT_NAT and choice.uncertain
    assert "unless the narrower 52.0.0.0/8 -> igw-1" in choice.detail


def test_a_subnet_known_only_by_cidr_is_uncertain_against_a_narrower_route() -> None:
    """An ENI whose address is not in the snapshot: a /32 route inside its subnet may be it."""
    rtb = table(LOCAL, route("10.0.1.5/32", network_interface_id="eni-fw"))
    place = Place(net=network("10.0.1.0/24"))
    choice = select_route(region(), rtb, place)
    assert choice.route is LOCAL and choice.uncertain


# -- prefix-list routes --------------------------------------------------------------------


def _s3_gateway() -> aws.VpcEndpoint:
    return aws.VpcEndpoint(
        vpc_endpoint_id="vpce-s3",
        vpc_endpoint_type="Gateway",
        vpc_id="vpc-1",
        service_name=S3,
        state="available",
    )


def test_the_s3_gateway_endpoint_route_beats_the_default_route_for_s3_only() -> None:
    """PrivateLink guide, "Gateway endpoints": the endpoint adds a route whose destination
    is the service's prefix list; being narrower than 0.0.0.0/0 it wins for S3 traffic."""
    pl_route = route(S3_PL, gateway_id="vpce-s3")
    rtb = table(LOCAL, DEFAULT_NAT, pl_route)
    data = region(
        prefix_lists={S3_PL: PrefixListInfo(S3_PL, S3, None)},
        endpoints={"vpce-s3": _s3_gateway()},
    )
    s3 = select_route(data, rtb, public_service(S3))
    assert s3.route is pl_route and not s3.uncertain
    ssm = select_route(data, rtb, public_service(SSM))
    assert ssm.route is DEFAULT_NAT and not ssm.uncertain


def test_a_prefix_list_route_is_named_by_its_gateway_endpoint_when_the_list_is_unread() -> None:
    pl_route = route(S3_PL, gateway_id="vpce-s3")
    rtb = table(LOCAL, DEFAULT_NAT, pl_route)
    data = region(endpoints={"vpce-s3": _s3_gateway()})
    assert select_route(data, rtb, public_service(S3)).route is pl_route
    assert select_route(data, rtb, public_service(SSM)).route is DEFAULT_NAT


def test_an_unknown_prefix_list_route_makes_the_default_route_uncertain() -> None:
    rtb = table(LOCAL, DEFAULT_NAT, route("pl-corp", transit_gateway_id="tgw-1"))
    choice = select_route(region(), rtb, public_service(SSM))
    assert choice.route is DEFAULT_NAT and choice.uncertain


def test_a_customer_prefix_list_with_known_cidrs_is_matched_by_address() -> None:
    pl_route = route("pl-corp", transit_gateway_id="tgw-1")
    rtb = table(LOCAL, DEFAULT_NAT, pl_route)
    data = region(prefix_lists={"pl-corp": PrefixListInfo("pl-corp", "corp", ("172.16.0.0/12",))})
    assert select_route(data, rtb, address("172.16.4.4")).route is pl_route
    assert select_route(data, rtb, address("8.8.8.8")).route is DEFAULT_NAT


def test_equal_route_table_ids_in_two_estates_never_share_a_cached_answer() -> None:
    """Answers are cached by the table object, not by its id."""
    data = region()
    with_nat = table(LOCAL, DEFAULT_NAT)
    without = table(LOCAL)
    assert select_route(data, with_nat, address("8.8.8.8")).route is DEFAULT_NAT
    assert select_route(data, without, address("8.8.8.8")).route is None
