"""Unit tests of `analysis.filters`: network ACL crossings and security groups as hops of a
leg, with the reasons and fixes they give."""

from __future__ import annotations

from analysis.acl_models import OPEN, acl, entry
from ssmreach.analysis.addresses import address, public_service
from ssmreach.analysis.filters import (
    Crossing,
    check_crossings,
    check_nacl,
    check_sg_egress,
    check_sg_ingress,
    endpoint_groups,
)
from ssmreach.analysis.legs import Leg, Node, Target
from ssmreach.analysis.verdict import Outcome, Severity
from ssmreach.model import aws
from ssmreach.model.estate import Gap, RegionData

ACCOUNT = "111122223333"
HTTPS = (443, 443)
EPHEMERAL = (1024, 65535)
VPC = aws.Vpc(vpc_id="vpc-1", cidr_block="10.0.0.0/16")
APP = aws.Subnet(subnet_id="subnet-app", vpc_id="vpc-1", cidr_block="10.0.1.0/24")
EP = aws.Subnet(subnet_id="subnet-ep", vpc_id="vpc-1", cidr_block="10.0.11.0/24")
SSM = public_service("com.amazonaws.us-east-1.ssm")


def tcp443(cidr: str) -> aws.IpPermission:
    return aws.IpPermission(
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        ip_ranges=(aws.IpRange(cidr_ip=cidr),),
        prefix_list_ids=(),
        user_id_group_pairs=(),
    )


def sg(
    gid: str,
    *,
    name: str | None = None,
    ingress: tuple[aws.IpPermission, ...] = (),
    egress: tuple[aws.IpPermission, ...] = (),
) -> aws.SecurityGroup:
    return aws.SecurityGroup(
        group_id=gid, group_name=name, ip_permissions=ingress, ip_permissions_egress=egress
    )


def region(
    acls: dict[str, aws.NetworkAcl],
    groups: tuple[aws.SecurityGroup, ...] = (),
    default_group: dict[str, str] | None = None,
) -> RegionData:
    return RegionData(
        account=ACCOUNT,
        region="us-east-1",
        network_acls={a.network_acl_id: a for a in acls.values()},
        subnet_network_acl={subnet: a.network_acl_id for subnet, a in acls.items()},
        security_groups={g.group_id: g for g in groups},
        default_security_group=default_group or {},
    )


def node(data: RegionData, groups: tuple[aws.SecurityGroup, ...]) -> Node:
    instance = aws.Instance(instance_id="i-1", subnet_id="subnet-app", vpc_id="vpc-1")
    return Node(instance, data, VPC, APP, "10.0.1.10", groups, EPHEMERAL)


def target(data: RegionData, groups: tuple[aws.SecurityGroup, ...]) -> Target:
    return Target(
        data, "vpc-1", "subnet-ep", None, address("10.0.11.5"), groups, "eni-ep", "vpce-ssm"
    )


# -- network ACLs -------------------------------------------------------------------------


def test_a_subnet_whose_acl_is_not_in_the_snapshot_is_unknown() -> None:
    leg = Leg()
    check_nacl(leg, region({}), "subnet-app", egress=True, peer=SSM, ports=HTTPS, what="request")
    assert leg.outcome is Outcome.UNKNOWN
    assert leg.hops[0].step == "nacl-outbound" and leg.hops[0].resource == "subnet-app"
    assert "ec2:DescribeNetworkAcls (network ACL of subnet-app)" in leg.hops[0].detail


def test_an_explicit_deny_asks_for_an_allow_numbered_below_it() -> None:
    """An allow rule only helps if its number is lower than the deny's (rule order)."""
    closed = acl(
        "acl-x", entry(50, "deny", egress=False, ports=HTTPS), entry(100, "allow", egress=False)
    )
    leg = Leg()
    check_nacl(
        leg,
        region({"subnet-ep": closed}),
        "subnet-ep",
        egress=False,
        peer=address("10.0.1.10"),
        ports=HTTPS,
        what="request entering subnet-ep",
    )
    assert leg.failed
    (found,) = leg.reasons
    assert found.code == "NACL_INBOUND_DENIED" and found.severity is Severity.ERROR
    assert found.resource == "acl-x"
    assert found.fix == (
        "Add an inbound allow rule to acl-x for TCP 443 from 10.0.1.10, numbered below 50."
    )
    assert leg.hops[0].detail.startswith("request entering subnet-ep: acl-x rule 50 denies")


def test_the_star_rule_asks_for_an_allow_rule_of_any_number() -> None:
    only_443 = acl("acl-y", entry(100, "allow", egress=True, ports=HTTPS))
    leg = Leg()
    check_nacl(
        leg,
        region({"subnet-app": only_443}),
        "subnet-app",
        egress=True,
        peer=SSM,
        ports=EPHEMERAL,
        what="reply",
    )
    (found,) = leg.reasons
    assert found.code == "NACL_OUTBOUND_DENIED"
    assert found.fix == (
        "Add an outbound allow rule to acl-y for TCP 1024-65535 to public AWS addresses."
    )


def test_crossings_that_all_pass_read_as_one_hop_naming_each_rule() -> None:
    data = region({"subnet-app": OPEN, "subnet-ep": OPEN})
    leg = Leg()
    check_crossings(
        leg,
        (
            Crossing(data, "subnet-app", True, address("10.0.11.5"), HTTPS, "request leaving"),
            Crossing(data, "subnet-app", False, address("10.0.11.5"), EPHEMERAL, "reply entering"),
        ),
    )
    (only,) = leg.hops
    assert only.step == "nacl" and only.result is Outcome.PASS and only.resource == "acl-open"
    assert only.detail == (
        "allowed: request leaving (TCP 443, acl-open rule 100); "
        "reply entering (TCP 1024-65535, acl-open rule 100)"
    )
    assert leg.reasons == []


def test_a_failing_crossing_shows_every_crossing_as_its_own_hop() -> None:
    """Stateless: the request may pass while the reply on the ephemeral ports is denied."""
    no_reply = acl(
        "acl-ep",
        entry(100, "allow", egress=False, ports=HTTPS),
        entry(100, "allow", egress=True, ports=HTTPS),
    )
    data = region({"subnet-app": OPEN, "subnet-ep": no_reply})
    leg = Leg()
    peer = address("10.0.1.10")
    check_crossings(
        leg,
        (
            Crossing(data, "subnet-ep", False, peer, HTTPS, "request entering subnet-ep"),
            Crossing(data, "subnet-ep", True, peer, EPHEMERAL, "reply leaving subnet-ep"),
        ),
    )
    assert leg.failed
    assert [(h.step, h.result) for h in leg.hops] == [
        ("nacl-inbound", Outcome.PASS),
        ("nacl-outbound", Outcome.FAIL),
    ]
    assert [r.code for r in leg.reasons] == ["NACL_OUTBOUND_DENIED"]


def test_crossings_keep_an_earlier_failure_of_the_leg() -> None:
    data = region({})
    leg = Leg()
    leg.finding("route", "rtb-1", Outcome.FAIL, "NO_ROUTE", "no route")
    check_crossings(leg, (Crossing(data, "subnet-app", True, SSM, HTTPS, "request"),))
    assert leg.outcome is Outcome.FAIL
    assert leg.hops[-1].result is Outcome.UNKNOWN


# -- endpoint groups ----------------------------------------------------------------------


def _endpoint(*groups: str) -> aws.VpcEndpoint:
    return aws.VpcEndpoint(
        vpc_endpoint_id="vpce-ssm",
        vpc_endpoint_type="Interface",
        vpc_id="vpc-1",
        service_name="com.amazonaws.us-east-1.ssm",
        state="available",
        listed_groups=tuple(aws.GroupIdentifier(group_id=g) for g in groups),
    )


def test_an_endpoint_without_groups_has_the_vpc_default_group() -> None:
    """PrivateLink guide: when no security group is given, the VPC's default group is used."""
    default = sg("sg-default", name="default")
    data = region({}, (default,), {"vpc-1": "sg-default"})
    assert endpoint_groups(data, _endpoint()) == (default,)
    unknown_default = endpoint_groups(region({}, (default,)), _endpoint())
    assert isinstance(unknown_default, Gap)
    assert unknown_default.request == "default group of vpc-1"


def test_an_endpoint_group_missing_from_the_snapshot_is_a_gap_naming_it() -> None:
    data = region({}, (sg("sg-a"),))
    assert endpoint_groups(data, _endpoint("sg-a")) == (sg("sg-a"),)
    gone = endpoint_groups(data, _endpoint("sg-a", "sg-b"))
    assert isinstance(gone, Gap) and gone.operation == "DescribeSecurityGroups"
    assert gone.request == "sg-b"


# -- security groups ----------------------------------------------------------------------


def test_egress_denied_blames_the_first_group_and_asks_for_an_outbound_rule() -> None:
    groups = (sg("sg-app"), sg("sg-extra"))
    leg = Leg()
    check_sg_egress(leg, node(region({}), groups), SSM, "to ssm")
    assert leg.failed
    (found,) = leg.reasons
    assert (found.code, found.resource) == ("SG_EGRESS_DENIED", "sg-app")
    assert found.message.endswith("(to ssm)")
    assert found.fix == "Add an outbound rule to sg-app allowing TCP 443 to public AWS addresses."


def test_egress_through_a_rule_that_may_cover_the_peer_is_unknown() -> None:
    groups = (sg("sg-app", egress=(tcp443("52.94.0.0/16"),)),)
    leg = Leg()
    check_sg_egress(leg, node(region({}), groups), SSM, "to ssm")
    assert leg.outcome is Outcome.UNKNOWN
    assert [r.code for r in leg.reasons] == ["DATA_MISSING"]


def test_ingress_to_the_endpoint_from_the_instance_subnet() -> None:
    ep = (sg("sg-ep", ingress=(tcp443("10.0.0.0/16"),)),)
    data = region({})
    leg = Leg()
    check_sg_ingress(leg, target(data, ep), address("10.0.1.10"), node(data, ()))
    assert leg.outcome is Outcome.PASS
    assert leg.hops[0].resource == "sg-ep"


def test_ingress_denied_by_the_vpc_default_group_asks_for_a_dedicated_group() -> None:
    """The default group admits only its own members (VPC user guide, "Default security
    groups"): the fix is a group of the endpoint's own, not a rule in the shared default."""
    default = (sg("sg-default", name="default"),)
    data = region({})
    leg = Leg()
    check_sg_ingress(leg, target(data, default), address("10.0.1.10"), node(data, ()))
    (found,) = leg.reasons
    assert found.code == "SG_INGRESS_DENIED" and found.resource == "sg-default"
    assert "is the VPC default group, which admits only its own members" in found.message
    assert found.fix == (
        "Give vpce-ssm a dedicated security group allowing inbound TCP 443 from "
        "10.0.1.0/24 (the instance subnet)."
    )


def test_ingress_denied_by_another_group_asks_for_an_inbound_rule() -> None:
    closed = (sg("sg-ep", name="endpoints"),)
    data = region({})
    leg = Leg()
    check_sg_ingress(leg, target(data, closed), address("10.0.1.10"), node(data, ()))
    (found,) = leg.reasons
    assert found.fix == (
        "Add an inbound rule to sg-ep allowing TCP 443 from 10.0.1.0/24 (the instance subnet)."
    )
