"""Unit tests of `analysis.internet_leg`: from the instance to a public AWS address through
an internet gateway, a NAT gateway, a gateway endpoint or an appliance."""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.acl_models import OPEN, acl, entry
from ssmreach.analysis.addresses import Place, public_service
from ssmreach.analysis.internet_leg import internet_leg
from ssmreach.analysis.legs import Leg, Node
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, PrefixListInfo, RegionData

ACCOUNT = "111122223333"
S3 = "com.amazonaws.us-east-1.s3"
SSM = public_service("com.amazonaws.us-east-1.ssm")
S3_PL = "pl-63a5400a"
VPC = aws.Vpc(vpc_id="vpc-1", cidr_block="10.0.0.0/16")
APP = aws.Subnet(subnet_id="subnet-app", vpc_id="vpc-1", cidr_block="10.0.1.0/24")
PUBLIC = aws.Subnet(subnet_id="subnet-public", vpc_id="vpc-1", cidr_block="10.0.0.0/24")
LOCAL = aws.Route(destination_cidr_block="10.0.0.0/16", gateway_id="local", state="active")
EPHEMERAL = (1024, 65535)


def default(**target: str) -> aws.Route:
    return aws.Route(destination_cidr_block="0.0.0.0/0", state="active", **target)


ALL_OUT = aws.SecurityGroup(
    group_id="sg-app",
    ip_permissions=(),
    ip_permissions_egress=(
        aws.IpPermission(
            ip_protocol="-1",
            ip_ranges=(aws.IpRange(cidr_ip="0.0.0.0/0"),),
            prefix_list_ids=(),
            user_id_group_pairs=(),
        ),
    ),
)
S3_GATEWAY = aws.VpcEndpoint(
    vpc_endpoint_id="vpce-s3",
    vpc_endpoint_type="Gateway",
    vpc_id="vpc-1",
    service_name=S3,
    state="available",
)


def nat(state: str = "available", connectivity: str = "public") -> aws.NatGateway:
    return aws.NatGateway(
        nat_gateway_id="nat-1",
        subnet_id="subnet-public",
        vpc_id="vpc-1",
        state=state,
        connectivity_type=connectivity,
    )


def igw(attached: bool = True) -> aws.InternetGateway:
    attachments = (aws.InternetGatewayAttachment(vpc_id="vpc-1"),) if attached else ()
    return aws.InternetGateway(internet_gateway_id="igw-1", attachments=attachments)


TARGETS: dict[str, rt.RouteTarget] = {
    "local": rt.Local(),
    "igw-1": rt.InternetGateway("igw-1"),
    "nat-1": rt.NatGateway("nat-1", "public"),
    "pcx-1": rt.Peering("pcx-1"),
    "eigw-1": rt.EgressOnlyInternetGateway("eigw-1"),
    "vpce-s3": rt.GatewayEndpoint("vpce-s3", S3_GATEWAY),
    "vpce-gwlb": rt.Appliance("vpce-gwlb", "gwlb-endpoint", None, "Gateway Load Balancer endpoint"),
    "tgw-1": rt.TransitGateway("tgw-1"),
}


@dataclass
class Vpc1:
    """An app subnet and a public subnet (NAT gateway, default route to the IGW)."""

    app: tuple[aws.Route, ...] = ()
    public: tuple[aws.Route, ...] = (default(gateway_id="igw-1"),)
    nats: tuple[aws.NatGateway, ...] = (nat(),)
    igws: tuple[aws.InternetGateway, ...] = (igw(),)
    acls: dict[str, aws.NetworkAcl] = field(
        default_factory=lambda: {"subnet-app": OPEN, "subnet-public": OPEN}
    )
    public_ip: str | None = None

    def region(self) -> RegionData:
        def table(rtb: str, routes: tuple[aws.Route, ...]) -> aws.RouteTable:
            return aws.RouteTable(
                route_table_id=rtb, vpc_id="vpc-1", associations=(), routes=(LOCAL, *routes)
            )

        tables = (table("rtb-app", self.app), table("rtb-public", self.public))
        return RegionData(
            account=ACCOUNT,
            region="us-east-1",
            subnets={"subnet-app": APP, "subnet-public": PUBLIC},
            route_tables={t.route_table_id: t for t in tables},
            subnet_route_table={"subnet-app": "rtb-app", "subnet-public": "rtb-public"},
            route_targets=TARGETS,
            nat_gateways={n.nat_gateway_id: n for n in self.nats},
            internet_gateways={i.internet_gateway_id: i for i in self.igws},
            network_acls={a.network_acl_id: a for a in self.acls.values()},
            subnet_network_acl={s: a.network_acl_id for s, a in self.acls.items()},
            prefix_lists={S3_PL: PrefixListInfo(S3_PL, S3, None)},
            endpoints={"vpce-s3": S3_GATEWAY},
        )

    def leg(self, place: Place = SSM) -> Leg:
        data = self.region()
        estate = Estate("test", None, "aws", {(ACCOUNT, "us-east-1"): data}, {})
        instance = aws.Instance(
            instance_id="i-1",
            subnet_id="subnet-app",
            vpc_id="vpc-1",
            private_ip_address="10.0.1.10",
            public_ip_address=self.public_ip,
        )
        node = Node(instance, data, VPC, APP, "10.0.1.10", (ALL_OUT,), EPHEMERAL)
        return internet_leg(estate, node, place)


def codes(leg: Leg) -> list[str]:
    return [r.code for r in leg.reasons]


# -- internet gateway ---------------------------------------------------------------------


def test_an_internet_gateway_carries_an_instance_with_a_public_address() -> None:
    leg = Vpc1(app=(default(gateway_id="igw-1"),), public_ip="198.51.100.7").leg()
    assert leg.outcome is Outcome.PASS and leg.via == "igw-1"
    assert [h.step for h in leg.hops] == ["route", "igw", "sg-egress", "nacl"]


def test_an_internet_gateway_does_not_carry_an_instance_without_a_public_address() -> None:
    """VPC user guide, "Internet gateways": an instance needs a public IPv4 address (or an
    Elastic IP) to communicate with the internet through an internet gateway."""
    leg = Vpc1(app=(default(gateway_id="igw-1"),)).leg()
    assert leg.failed and codes(leg) == ["NO_PUBLIC_IP"]
    assert leg.hops[-1].step == "igw" and leg.via is None


def test_a_route_to_a_detached_internet_gateway_is_a_blackhole() -> None:
    leg = Vpc1(app=(default(gateway_id="igw-1"),), igws=(igw(attached=False),)).leg()
    assert leg.failed and codes(leg) == ["ROUTE_BLACKHOLE"]
    assert "igw-1 is not attached to vpc-1" in leg.hops[0].detail


def test_an_internet_gateway_missing_from_the_snapshot_is_unknown() -> None:
    leg = Vpc1(app=(default(gateway_id="igw-1"),), igws=()).leg()
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["DATA_MISSING"]


# -- NAT gateway --------------------------------------------------------------------------


def test_a_public_nat_gateway_in_a_subnet_routed_to_the_internet_gateway_passes() -> None:
    leg = Vpc1(app=(default(nat_gateway_id="nat-1"),)).leg()
    assert leg.outcome is Outcome.PASS and leg.via == "nat-1"
    assert [h.step for h in leg.hops] == ["route", "nat", "sg-egress", "nacl"]
    crossings = leg.hops[-1].detail
    for what in (
        "request leaving subnet-app",
        "request entering the NAT subnet subnet-public",
        "request leaving the NAT subnet subnet-public",
        "reply entering the NAT subnet subnet-public (TCP 1024-65535",
        "reply leaving the NAT subnet subnet-public",
        "reply entering subnet-app",
    ):
        assert what in crossings


def test_the_nat_subnet_acl_must_admit_replies_on_the_nat_ephemeral_ports() -> None:
    """A NAT gateway uses ports 1024-65535 for its own connections (VPC user guide, NAT
    gateways, "Network ACLs"): a stateless ACL of its subnet must let the replies in."""
    only_443_in = acl(
        "acl-public",
        entry(100, "allow", egress=False, ports=(443, 443)),
        entry(100, "allow", egress=True),
    )
    vpc = Vpc1(
        app=(default(nat_gateway_id="nat-1"),),
        acls={"subnet-app": OPEN, "subnet-public": only_443_in},
    )
    leg = vpc.leg()
    assert leg.failed and codes(leg) == ["NACL_INBOUND_DENIED"]
    (denied,) = [h for h in leg.hops if h.result is Outcome.FAIL]
    assert denied.detail.startswith("reply entering the NAT subnet subnet-public: ")


def test_a_private_nat_gateway_does_not_reach_the_internet() -> None:
    """VPC user guide, "NAT gateways": a private NAT gateway cannot reach the internet."""
    leg = Vpc1(app=(default(nat_gateway_id="nat-1"),), nats=(nat(connectivity="private"),)).leg()
    assert leg.failed and codes(leg) == ["NAT_NO_INTERNET"]
    assert "is a private NAT gateway" in leg.hops[-1].detail


def test_a_nat_gateway_that_is_not_available_carries_nothing() -> None:
    leg = Vpc1(app=(default(nat_gateway_id="nat-1"),), nats=(nat(state="pending"),)).leg()
    assert leg.failed and codes(leg) == ["NAT_NO_INTERNET"]
    assert leg.hops[-1].detail == "nat-1 is pending, not available"


def test_a_nat_gateway_whose_subnet_has_no_internet_route_carries_nothing() -> None:
    leg = Vpc1(app=(default(nat_gateway_id="nat-1"),), public=()).leg()
    assert leg.failed and codes(leg) == ["NAT_NO_INTERNET"]


def test_a_nat_gateway_whose_subnet_routes_on_to_a_transit_gateway_is_unknown() -> None:
    leg = Vpc1(
        app=(default(nat_gateway_id="nat-1"),), public=(default(transit_gateway_id="tgw-1"),)
    ).leg()
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["EGRESS_UNMODELED"]
    assert leg.reasons[0].resource == "tgw-1"


def test_a_nat_gateway_missing_from_the_snapshot_is_unknown() -> None:
    leg = Vpc1(app=(default(nat_gateway_id="nat-1"),), nats=()).leg()
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["DATA_MISSING"]


# -- other targets ------------------------------------------------------------------------


def test_no_default_route_is_no_route() -> None:
    leg = Vpc1().leg()
    assert leg.failed and codes(leg) == ["NO_ROUTE"]
    assert "no 0.0.0.0/0 route" in leg.hops[0].detail


def test_the_s3_gateway_endpoint_route_carries_s3_and_not_ssm() -> None:
    """PrivateLink guide, "Gateway endpoints": the prefix-list route to the endpoint carries
    only the service's addresses; other traffic follows the other routes."""
    pl_route = aws.Route(destination_prefix_list_id=S3_PL, gateway_id="vpce-s3", state="active")
    vpc = Vpc1(app=(pl_route,))
    s3 = vpc.leg(public_service(S3))
    assert s3.outcome is Outcome.PASS and s3.via == "vpce-s3"
    assert s3.gateway_endpoint is S3_GATEWAY
    assert s3.hops[0].detail.endswith("(gateway endpoint)")
    ssm = vpc.leg()
    assert ssm.failed and codes(ssm) == ["NO_ROUTE"] and ssm.gateway_endpoint is None


def test_a_default_route_to_a_peering_connection_does_not_reach_the_internet() -> None:
    """VPC peering guide, "Unsupported configurations": no edge-to-edge routing through
    a gateway of the peer VPC."""
    leg = Vpc1(app=(default(vpc_peering_connection_id="pcx-1"),)).leg()
    assert leg.failed and codes(leg) == ["NO_ROUTE"]
    assert "pcx-1 (peering connection) does not carry IPv4 traffic" in leg.hops[0].detail


def test_an_egress_only_internet_gateway_carries_no_ipv4() -> None:
    leg = Vpc1(app=(default(egress_only_internet_gateway_id="eigw-1"),)).leg()
    assert leg.failed and codes(leg) == ["NO_ROUTE"]


def test_a_gateway_load_balancer_endpoint_is_unknown_never_blocked() -> None:
    leg = Vpc1(app=(default(gateway_id="vpce-gwlb"),)).leg()
    assert leg.outcome is Outcome.UNKNOWN and codes(leg) == ["EGRESS_UNMODELED"]


def test_a_default_route_in_blackhole_state_blocks() -> None:
    gone = aws.Route(destination_cidr_block="0.0.0.0/0", nat_gateway_id="nat-1", state="blackhole")
    leg = Vpc1(app=(gone,)).leg()
    assert leg.failed and codes(leg) == ["ROUTE_BLACKHOLE"]
