"""Unit tests of `analysis.legs`: how a leg's outcome follows its hops, the gap, uncertain
and unmodeled hops, the route table of a subnet, and inspection appliances."""

from __future__ import annotations

from ssmreach.analysis.addresses import public_service
from ssmreach.analysis.legs import (
    Leg,
    Node,
    gap_hop,
    missing,
    route_table,
    through_appliance,
    unmodeled,
)
from ssmreach.analysis.routing import select_route
from ssmreach.analysis.verdict import Hop, Outcome, Severity
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Gap, RegionData

ACCOUNT = "111122223333"
SSM = public_service("com.amazonaws.us-east-1.ssm")
VPC = aws.Vpc(vpc_id="vpc-1", cidr_block="10.0.0.0/16")
APP = aws.Subnet(
    subnet_id="subnet-app", vpc_id="vpc-1", cidr_block="10.0.1.0/24", availability_zone="us-east-1b"
)
FW = aws.Subnet(subnet_id="subnet-fw", vpc_id="vpc-1", cidr_block="10.0.9.0/24")


def table(rtb: str, *routes: aws.Route) -> aws.RouteTable:
    local = aws.Route(destination_cidr_block="10.0.0.0/16", gateway_id="local", state="active")
    return aws.RouteTable(
        route_table_id=rtb, vpc_id="vpc-1", associations=(), routes=(local, *routes)
    )


def default_to(**target: str) -> aws.Route:
    return aws.Route(destination_cidr_block="0.0.0.0/0", state="active", **target)


def region(
    tables: tuple[aws.RouteTable, ...] = (),
    *,
    subnet_route_table: dict[str, str] | None = None,
    main_route_table: dict[str, str] | None = None,
    route_targets: dict[str, rt.RouteTarget] | None = None,
    gaps: dict[str, Gap] | None = None,
) -> RegionData:
    return RegionData(
        account=ACCOUNT,
        region="us-east-1",
        route_tables={t.route_table_id: t for t in tables},
        subnets={"subnet-app": APP, "subnet-fw": FW},
        subnet_route_table=subnet_route_table or {},
        main_route_table=main_route_table or {},
        route_targets=route_targets or {},
        gaps=gaps or {},
    )


def node(data: RegionData, placement: str | None = None) -> Node:
    instance = aws.Instance(
        instance_id="i-1",
        subnet_id="subnet-app",
        vpc_id="vpc-1",
        private_ip_address="10.0.1.10",
        placement=aws.Placement(availability_zone=placement) if placement else None,
    )
    group = aws.SecurityGroup(group_id="sg-app", ip_permissions=(), ip_permissions_egress=())
    return Node(instance, data, VPC, APP, "10.0.1.10", (group,), (1024, 65535))


def hop(result: Outcome) -> Hop:
    return Hop("step", "res", result, "detail")


# -- Leg ----------------------------------------------------------------------------------


def outcomes_after(*results: Outcome) -> list[Outcome]:
    """The leg's outcome after each hop is added."""
    leg = Leg()
    seen = []
    for result in results:
        leg.add(hop(result))
        seen.append(leg.outcome)
    return seen


def test_a_leg_is_as_bad_as_its_worst_hop() -> None:
    P, U, F = Outcome.PASS, Outcome.UNKNOWN, Outcome.FAIL
    assert outcomes_after(P, U, F, U, P) == [P, U, F, F, F]
    assert outcomes_after(F, P) == [F, F]
    assert outcomes_after(P, P) == [P, P]


def test_a_finding_is_an_error_when_it_fails_and_a_warning_when_undecided() -> None:
    leg = Leg()
    leg.finding("route", "rtb-1", Outcome.FAIL, "NO_ROUTE", "no route", "add one")
    leg.finding("route", "rtb-1", Outcome.UNKNOWN, "EGRESS_UNMODELED", "unseen", blame="vgw-1")
    failed, unsure = leg.reasons
    assert (failed.code, failed.severity, failed.resource) == ("NO_ROUTE", Severity.ERROR, "rtb-1")
    assert failed.fix == "add one"
    assert (unsure.severity, unsure.resource) == (Severity.WARNING, "vgw-1")
    assert unsure.fix  # the catalogue's generic fix
    assert [h.result for h in leg.hops] == [Outcome.FAIL, Outcome.UNKNOWN]
    assert leg.outcome is Outcome.FAIL


# -- gaps ---------------------------------------------------------------------------------


def test_a_gap_leaves_the_step_unknown_and_names_the_read() -> None:
    leg = Leg()
    denied = Gap(ACCOUNT, "us-east-1", "ec2", "DescribeNetworkAcls", "denied", "AccessDenied")
    gap_hop(leg, "nacl-inbound", denied, "subnet-app")
    assert leg.outcome is Outcome.UNKNOWN
    assert leg.hops[0].detail == (
        "ec2:DescribeNetworkAcls was denied in 111122223333/us-east-1: AccessDenied"
    )
    assert leg.reasons[0].code == "READ_DENIED"
    assert leg.reasons[0].resource == "subnet-app"


def test_missing_prefers_the_regions_gap_for_the_whole_operation() -> None:
    whole = Gap(ACCOUNT, "us-east-1", "ec2", "DescribeRouteTables", "denied")
    assert missing(region(gaps={"DescribeRouteTables": whole}), "DescribeRouteTables", "x") is whole
    part = missing(region(), "DescribeRouteTables", "route table of subnet-app")
    assert (part.kind, part.request, part.code) == (
        "missing",
        "route table of subnet-app",
        "DATA_MISSING",
    )


def test_route_table_is_the_subnets_then_the_main_one_else_a_gap() -> None:
    own, main = table("rtb-app"), table("rtb-main")
    data = region(
        (own, main),
        subnet_route_table={"subnet-app": "rtb-app"},
        main_route_table={"vpc-1": "rtb-main"},
    )
    assert route_table(data, "subnet-app", "vpc-1") is own
    assert route_table(data, "subnet-fw", "vpc-1") is main
    gone = route_table(region((own,), main_route_table={"vpc-1": "rtb-main"}), "subnet-fw", "vpc-1")
    assert isinstance(gone, Gap) and gone.operation == "DescribeRouteTables"


# -- the node -----------------------------------------------------------------------------


def test_the_node_place_carries_its_groups_and_its_zone_comes_from_placement() -> None:
    n = node(region())
    assert n.place.groups == frozenset({"sg-app"})
    assert n.place.describe() == "the instance"
    assert n.az == "us-east-1b"  # the subnet's zone when the instance has no placement
    assert node(region(), placement="us-east-1c").az == "us-east-1c"


# -- unmodeled and appliance hops ---------------------------------------------------------


def test_a_route_to_an_unmodeled_target_is_unknown_and_blames_the_target() -> None:
    rtb = table("rtb-app", default_to(gateway_id="vgw-1"))
    data = region((rtb,))
    leg = Leg()
    choice = select_route(data, rtb, SSM)
    unmodeled(leg, node(data), rtb, choice, rt.VirtualPrivateGateway("vgw-1"))
    assert leg.outcome is Outcome.UNKNOWN
    assert leg.reasons[0].code == "EGRESS_UNMODELED" and leg.reasons[0].resource == "vgw-1"
    assert "where vgw-1 (virtual private gateway) takes the traffic" in leg.hops[0].detail


def test_an_inspection_appliance_is_never_private_nor_blocked_and_the_onward_path_is_named() -> (
    None
):
    """What a Gateway Load Balancer or firewall endpoint lets through is in no AWS read:
    the leg is UNKNOWN; the hop says where the appliance's subnet sends traffic next."""
    firewall = rt.Appliance("vpce-fw", "firewall-endpoint", "subnet-fw", "firewall endpoint")
    app_rtb = table("rtb-app", default_to(gateway_id="vpce-fw"))
    fw_rtb = table("rtb-fw", default_to(gateway_id="igw-1"))
    data = region(
        (app_rtb, fw_rtb),
        subnet_route_table={"subnet-app": "rtb-app", "subnet-fw": "rtb-fw"},
        route_targets={"vpce-fw": firewall, "igw-1": rt.InternetGateway("igw-1")},
    )
    leg = Leg()
    through_appliance(leg, node(data), app_rtb, select_route(data, app_rtb, SSM), firewall, SSM)
    assert leg.outcome is Outcome.UNKNOWN
    route_hop, appliance_hop = leg.hops
    assert route_hop.result is Outcome.PASS
    assert appliance_hop.resource == "vpce-fw"
    assert "then its subnet subnet-fw routes it on: rtb-fw: 0.0.0.0/0 -> igw-1" in (
        appliance_hop.detail
    )
    assert [r.code for r in leg.reasons] == ["EGRESS_UNMODELED"]


def test_an_appliance_whose_subnet_has_no_onward_route_says_the_traffic_may_stop() -> None:
    firewall = rt.Appliance("eni-fw", "network-interface", "subnet-fw", "network interface")
    app_rtb = table("rtb-app", default_to(network_interface_id="eni-fw"))
    fw_rtb = table("rtb-fw")
    data = region((app_rtb, fw_rtb), subnet_route_table={"subnet-fw": "rtb-fw"})
    leg = Leg()
    through_appliance(leg, node(data), app_rtb, select_route(data, app_rtb, SSM), firewall, SSM)
    assert leg.outcome is Outcome.UNKNOWN
    assert "has no onward route" in leg.hops[1].detail


def test_an_appliance_in_a_subnet_outside_the_snapshot_has_an_unknown_onward_path() -> None:
    firewall = rt.Appliance("i-fw", "instance", None, "instance (appliance)")
    app_rtb = table("rtb-app", default_to(instance_id="i-fw"))
    data = region((app_rtb,))
    leg = Leg()
    through_appliance(leg, node(data), app_rtb, select_route(data, app_rtb, SSM), firewall, SSM)
    assert "its subnet is not in the snapshot" in leg.hops[1].detail
