"""Unit tests of `analysis.endpoint_leg`: from the instance to an interface endpoint's
network interface: the route, both sides' security groups, and the four NACL crossings."""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.acl_models import CLOSED, OPEN, acl, entry
from ssmreach.analysis.addresses import address
from ssmreach.analysis.endpoint_leg import check_nacls_to_target, path_to_target
from ssmreach.analysis.legs import Leg, Node, Target
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, Gap, RegionData

ACCOUNT = "111122223333"
EPHEMERAL = (1024, 65535)
VPC = aws.Vpc(vpc_id="vpc-1", cidr_block="10.0.0.0/16")
APP = aws.Subnet(subnet_id="subnet-app", vpc_id="vpc-1", cidr_block="10.0.1.0/24")
EP = aws.Subnet(subnet_id="subnet-ep", vpc_id="vpc-1", cidr_block="10.0.11.0/24")
LOCAL = aws.Route(destination_cidr_block="10.0.0.0/16", gateway_id="local", state="active")


def tcp443(cidr: str) -> aws.IpPermission:
    return aws.IpPermission(
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        ip_ranges=(aws.IpRange(cidr_ip=cidr),),
        prefix_list_ids=(),
        user_id_group_pairs=(),
    )


# Stateful groups: the instance's has no inbound rule and the endpoint's no outbound rule.
APP_SG = aws.SecurityGroup(
    group_id="sg-app", ip_permissions=(), ip_permissions_egress=(tcp443("0.0.0.0/0"),)
)
EP_SG = aws.SecurityGroup(
    group_id="sg-ep", ip_permissions=(tcp443("10.0.0.0/16"),), ip_permissions_egress=()
)


@dataclass
class Setup:
    routes: tuple[aws.Route, ...] = (LOCAL,)
    targets: dict[str, rt.RouteTarget] = field(default_factory=lambda: {"local": rt.Local()})
    acls: dict[str, aws.NetworkAcl] = field(
        default_factory=lambda: {"subnet-app": OPEN, "subnet-ep": OPEN}
    )
    tables: bool = True

    def region(self) -> RegionData:
        table = aws.RouteTable(
            route_table_id="rtb-app", vpc_id="vpc-1", associations=(), routes=self.routes
        )
        return RegionData(
            account=ACCOUNT,
            region="us-east-1",
            route_tables={"rtb-app": table} if self.tables else {},
            main_route_table={"vpc-1": "rtb-app"},
            route_targets=self.targets,
            network_acls={a.network_acl_id: a for a in self.acls.values()},
            subnet_network_acl={s: a.network_acl_id for s, a in self.acls.items()},
        )


def run(
    setup: Setup, *, ip: str = "10.0.11.5", subnet: str = "subnet-ep", vpc: str = "vpc-1"
) -> Leg:
    data = setup.region()
    estate = Estate("test", None, "aws", {(ACCOUNT, "us-east-1"): data}, {})
    instance = aws.Instance(instance_id="i-1", subnet_id="subnet-app", vpc_id="vpc-1")
    node = Node(instance, data, VPC, APP, "10.0.1.10", (APP_SG,), EPHEMERAL)
    target = Target(data, vpc, subnet, None, address(ip), (EP_SG,), "eni-ep", "vpce-ssm")
    return path_to_target(estate, node, target)


def steps(leg: Leg) -> list[tuple[str, Outcome]]:
    return [(h.step, h.result) for h in leg.hops]


def test_inside_the_vpc_with_stateful_groups_the_path_passes() -> None:
    """Security groups are stateful (VPC user guide, "Security group rules"): the reply
    needs no inbound rule on the instance's group and no outbound rule on the endpoint's."""
    leg = run(Setup())
    assert leg.outcome is Outcome.PASS
    assert steps(leg) == [
        ("route", Outcome.PASS),
        ("sg-egress", Outcome.PASS),
        ("sg-ingress", Outcome.PASS),
        ("nacl", Outcome.PASS),
    ]
    assert leg.hops[0].detail == "rtb-app: 10.0.0.0/16 -> local (inside the VPC)"


def test_within_one_subnet_network_acls_do_not_filter() -> None:
    """VPC user guide, "Network ACLs": an ACL controls traffic entering and leaving a
    subnet, so traffic between two interfaces of one subnet is not filtered by it."""
    leg = run(Setup(acls={"subnet-app": CLOSED}), ip="10.0.1.50", subnet="subnet-app")
    assert leg.outcome is Outcome.PASS
    assert leg.hops[-1].detail == "same subnet: network ACLs do not filter it"


def test_between_subnets_a_closed_acl_blocks_the_request() -> None:
    leg = run(Setup(acls={"subnet-app": OPEN, "subnet-ep": CLOSED}))
    assert leg.failed
    assert [r.code for r in leg.reasons] == ["NACL_INBOUND_DENIED", "NACL_OUTBOUND_DENIED"]
    failing = [h.detail.split(":", 1)[0] for h in leg.hops if h.result is Outcome.FAIL]
    assert failing == ["request entering subnet-ep", "reply leaving subnet-ep"]


def test_the_reply_to_the_instance_needs_its_ephemeral_ports_open_inbound() -> None:
    """Stateless ACLs: the reply enters the instance subnet on the instance's ephemeral
    ports, so allowing only TCP 443 inbound there blocks it."""
    app = acl(
        "acl-app",
        entry(100, "allow", egress=False, ports=(443, 443)),
        entry(100, "allow", egress=True),
    )
    leg = run(Setup(acls={"subnet-app": app, "subnet-ep": OPEN}))
    assert leg.failed
    (denied,) = [h for h in leg.hops if h.result is Outcome.FAIL]
    assert denied.detail.startswith("reply entering subnet-app: ")
    assert "TCP 1024-65535" in denied.detail


def test_four_crossings_are_checked_between_two_subnets() -> None:
    data = Setup().region()
    instance = aws.Instance(instance_id="i-1", subnet_id="subnet-app", vpc_id="vpc-1")
    node = Node(instance, data, VPC, APP, "10.0.1.10", (APP_SG,), (32768, 60999))
    target = Target(data, "vpc-1", "subnet-ep", None, address("10.0.11.5"), (EP_SG,), "eni-ep")
    leg = Leg()
    check_nacls_to_target(leg, node, target)
    assert leg.hops[0].detail == (
        "allowed: request leaving subnet-app (TCP 443, acl-open rule 100); "
        "request entering subnet-ep (TCP 443, acl-open rule 100); "
        "reply leaving subnet-ep (TCP 32768-60999, acl-open rule 100); "
        "reply entering subnet-app (TCP 32768-60999, acl-open rule 100)"
    )


def test_an_endpoint_in_another_vpc_without_a_route_is_no_route_and_stops_there() -> None:
    leg = run(Setup(), ip="10.1.11.5", vpc="vpc-hub")
    assert steps(leg) == [("route", Outcome.FAIL)]
    (found,) = leg.reasons
    assert found.code == "NO_ROUTE" and found.resource == "rtb-app"
    assert "via the peering connection or transit gateway to vpc-hub" in (found.fix or "")


def test_a_local_route_to_an_address_of_another_vpc_is_no_route() -> None:
    """Overlapping CIDRs: the local route wins, and the other VPC is not inside this one."""
    leg = run(Setup(), ip="10.0.11.5", vpc="vpc-other")
    assert leg.failed and [r.code for r in leg.reasons] == ["NO_ROUTE"]
    assert "is in vpc-other, not in vpc-1" in leg.hops[0].detail


def test_a_blackhole_route_is_reported_as_such() -> None:
    gone = aws.Route(
        destination_cidr_block="10.1.0.0/16", vpc_peering_connection_id="pcx-1", state="blackhole"
    )
    leg = run(Setup(routes=(LOCAL, gone)), ip="10.1.11.5", vpc="vpc-hub")
    assert leg.failed and [r.code for r in leg.reasons] == ["ROUTE_BLACKHOLE"]


def test_a_route_to_a_virtual_private_gateway_is_not_followed() -> None:
    vgw = aws.Route(destination_cidr_block="10.1.0.0/16", gateway_id="vgw-1", state="active")
    setup = Setup(
        routes=(LOCAL, vgw),
        targets={"local": rt.Local(), "vgw-1": rt.VirtualPrivateGateway("vgw-1")},
    )
    leg = run(setup, ip="10.1.11.5", vpc="vpc-hub")
    assert leg.outcome is Outcome.UNKNOWN
    assert [r.code for r in leg.reasons] == ["EGRESS_UNMODELED"]
    assert leg.reasons[0].resource == "vgw-1"


def test_a_route_to_an_internet_gateway_does_not_reach_a_private_address() -> None:
    igw = aws.Route(destination_cidr_block="10.1.0.0/16", gateway_id="igw-1", state="active")
    setup = Setup(
        routes=(LOCAL, igw), targets={"local": rt.Local(), "igw-1": rt.InternetGateway("igw-1")}
    )
    leg = run(setup, ip="10.1.11.5", vpc="vpc-hub")
    assert leg.failed and [r.code for r in leg.reasons] == ["NO_ROUTE"]
    assert "is a private address that igw-1 (internet gateway) does not reach" in (
        leg.hops[0].detail
    )


def test_a_route_table_missing_from_the_snapshot_leaves_the_route_unknown_and_goes_on() -> None:
    """A gap decides nothing: the other steps are still checked (a definite failure there
    would still block the path)."""
    leg = run(Setup(tables=False))
    assert leg.outcome is Outcome.UNKNOWN
    assert steps(leg)[0] == ("route", Outcome.UNKNOWN)
    assert [s for s, _ in steps(leg)] == ["route", "sg-egress", "sg-ingress", "nacl"]
    assert [r.code for r in leg.reasons] == ["DATA_MISSING"]
    assert "ec2:DescribeRouteTables (route table of subnet-app)" in leg.hops[0].detail


def test_a_more_specific_route_to_a_target_hidden_by_a_denied_read_is_unknown() -> None:
    narrow = aws.Route(destination_cidr_block="10.0.11.0/24", gateway_id="vpce-x", state="active")
    gap = Gap(ACCOUNT, "us-east-1", "ec2", "DescribeVpcEndpoints", "denied")
    setup = Setup(
        routes=(LOCAL, narrow),
        targets={"local": rt.Local(), "vpce-x": rt.UnknownTarget("vpce-x", gap)},
    )
    leg = run(setup)
    assert leg.outcome is Outcome.UNKNOWN
    assert leg.reasons[0].code == "READ_DENIED"
