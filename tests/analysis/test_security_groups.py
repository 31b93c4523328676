"""Unit tests of `analysis.security_groups`: example cases of the allow-only, unioned,
per-direction security-group rules (tests/analysis/test_properties.py checks CIDR and
group-reference matching against a brute-force reference)."""

from __future__ import annotations

import pytest

from ssmreach.analysis.addresses import Place, address, network, public_service
from ssmreach.analysis.security_groups import evaluate, port_matches, protocol_matches
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model.estate import PrefixListInfo

S3 = "com.amazonaws.us-east-1.s3"
SSM = "com.amazonaws.us-east-1.ssm"
S3_PL = "pl-63a5400a"


def perm(
    lo: int | None = 443,
    hi: int | None = 443,
    *,
    protocol: str = "tcp",
    cidr: str | None = None,
    group: str | None = None,
    prefix_list: str | None = None,
) -> aws.IpPermission:
    return aws.IpPermission(
        ip_protocol=protocol,
        from_port=lo,
        to_port=hi,
        ip_ranges=(aws.IpRange(cidr_ip=cidr),) if cidr else (),
        user_id_group_pairs=(aws.UserIdGroupPair(group_id=group),) if group else (),
        prefix_list_ids=(aws.PrefixListId(prefix_list_id=prefix_list),) if prefix_list else (),
    )


def group(
    gid: str,
    ingress: tuple[aws.IpPermission, ...] = (),
    egress: tuple[aws.IpPermission, ...] = (),
) -> aws.SecurityGroup:
    return aws.SecurityGroup(group_id=gid, ip_permissions=ingress, ip_permissions_egress=egress)


def inbound(groups: list[aws.SecurityGroup], peer: Place, **kw: int) -> Outcome:
    return evaluate(groups, egress=False, peer=peer, prefix_lists={}, **kw).outcome


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("tcp", True), ("TCP", True), ("6", True), ("-1", True), ("all", True)],
        *[("udp", False), ("17", False), ("icmp", False)],
    ],
)
def test_protocol_matches_tcp_by_name_number_or_all(value: str, expected: bool) -> None:
    """EC2 API, `IpPermission.IpProtocol`: a name or number; `-1` means all protocols."""
    assert protocol_matches(value) is expected


def test_port_ranges_are_inclusive_and_absent_or_minus_one_means_all() -> None:
    assert port_matches(443, 443, 443)
    assert port_matches(0, 65535, 443)
    assert not port_matches(444, 8443, 443)
    assert port_matches(None, None, 443)
    assert port_matches(-1, -1, 443)


def test_the_rules_of_all_attached_groups_are_unioned() -> None:
    """VPC user guide, "Security group rules": with several groups, the rules of all of
    them are aggregated into one set; any rule that allows the traffic allows it."""
    closed = group("sg-closed")
    open_ = group("sg-open", ingress=(perm(cidr="10.0.0.0/16"),))
    decision = evaluate([closed, open_], egress=False, peer=address("10.0.1.5"), prefix_lists={})
    assert decision.outcome is Outcome.PASS
    assert decision.group == "sg-open"
    assert decision.detail == "sg-open allows inbound TCP 443 from 10.0.0.0/16"


def test_there_are_no_deny_rules_so_no_match_is_a_failure_naming_the_first_group() -> None:
    decision = evaluate(
        [group("sg-a"), group("sg-b")], egress=False, peer=address("10.0.1.5"), prefix_lists={}
    )
    assert decision.outcome is Outcome.FAIL
    assert decision.group == "sg-a"
    assert decision.detail == "no inbound rule of sg-a, sg-b allows TCP 443 from 10.0.1.5"


def test_an_interface_with_no_groups_allows_nothing() -> None:
    decision = evaluate([], egress=True, peer=address("10.0.1.5"), prefix_lists={})
    assert decision.outcome is Outcome.FAIL and decision.group is None
    assert "no groups" in decision.detail


def test_directions_are_separate_rule_sets() -> None:
    only_in = group("sg-1", ingress=(perm(cidr="0.0.0.0/0"),))
    peer = address("10.0.1.5")
    assert evaluate([only_in], egress=False, peer=peer, prefix_lists={}).outcome is Outcome.PASS
    assert evaluate([only_in], egress=True, peer=peer, prefix_lists={}).outcome is Outcome.FAIL


def test_a_rule_for_other_ports_or_protocols_does_not_allow_443() -> None:
    sg = group(
        "sg-1",
        ingress=(
            perm(8443, 8443, cidr="0.0.0.0/0"),
            perm(0, 65535, protocol="udp", cidr="0.0.0.0/0"),
        ),
    )
    assert inbound([sg], address("10.0.1.5")) is Outcome.FAIL
    assert inbound([sg], address("10.0.1.5"), port=8443) is Outcome.PASS


def test_an_all_traffic_rule_has_no_ports_and_allows_443() -> None:
    sg = group("sg-1", ingress=(perm(None, None, protocol="-1", cidr="10.0.0.0/8"),))
    assert inbound([sg], address("10.2.3.4")) is Outcome.PASS


def test_a_group_reference_admits_members_of_that_group_only() -> None:
    """A rule naming a security group admits traffic from interfaces that carry it."""
    sg = group("sg-ep", ingress=(perm(group="sg-app"),))
    assert inbound([sg], address("10.0.1.5", frozenset({"sg-app"}))) is Outcome.PASS
    assert inbound([sg], address("10.0.1.5", frozenset({"sg-other"}))) is Outcome.FAIL


def test_a_narrow_cidr_against_a_place_known_only_by_subnet_is_unknown() -> None:
    sg = group("sg-ep", ingress=(perm(cidr="10.0.1.0/25"),))
    decision = evaluate([sg], egress=False, peer=Place(net=network("10.0.1.0/24")), prefix_lists={})
    assert decision.outcome is Outcome.UNKNOWN
    assert decision.group == "sg-ep"
    assert "may or may not cover 10.0.1.0/24" in decision.detail


def test_a_certain_rule_beats_an_uncertain_one() -> None:
    maybe = group("sg-a", ingress=(perm(cidr="10.0.1.0/25"),))
    sure = group("sg-b", ingress=(perm(cidr="10.0.0.0/16"),))
    peer = Place(net=network("10.0.1.0/24"))
    decision = evaluate([maybe, sure], egress=False, peer=peer, prefix_lists={})
    assert decision.outcome is Outcome.PASS and decision.group == "sg-b"


def test_egress_to_the_s3_prefix_list_allows_s3_and_not_ssm() -> None:
    """An AWS-managed prefix list (`com.amazonaws.<region>.s3`) holds S3's addresses only."""
    sg = group("sg-app", egress=(perm(prefix_list=S3_PL),))
    lists = {S3_PL: PrefixListInfo(S3_PL, S3, None)}
    to_s3 = evaluate([sg], egress=True, peer=public_service(S3), prefix_lists=lists)
    to_ssm = evaluate([sg], egress=True, peer=public_service(SSM), prefix_lists=lists)
    assert to_s3.outcome is Outcome.PASS
    assert to_ssm.outcome is Outcome.FAIL


def test_a_prefix_list_whose_cidrs_are_not_in_the_snapshot_is_unknown() -> None:
    sg = group("sg-app", egress=(perm(prefix_list="pl-corp"),))
    decision = evaluate([sg], egress=True, peer=address("10.5.0.1"), prefix_lists={})
    assert decision.outcome is Outcome.UNKNOWN
    assert "pl-corp (its CIDRs are not in the snapshot)" in decision.detail


def test_a_prefix_list_with_known_cidrs_is_matched_by_address() -> None:
    sg = group("sg-app", egress=(perm(prefix_list="pl-corp"),))
    lists = {"pl-corp": PrefixListInfo("pl-corp", "corp", ("10.5.0.0/16",))}
    inside = evaluate([sg], egress=True, peer=address("10.5.0.1"), prefix_lists=lists)
    outside = evaluate([sg], egress=True, peer=address("10.6.0.1"), prefix_lists=lists)
    assert inside.outcome is Outcome.PASS
    assert outside.outcome is Outcome.FAIL


def test_the_peer_prefix_list_itself_is_allowed_by_a_rule_naming_it() -> None:
    sg = group("sg-app", egress=(perm(prefix_list=S3_PL),))
    decision = evaluate([sg], egress=True, peer=Place(prefix_list_id=S3_PL), prefix_lists={})
    assert decision.outcome is Outcome.PASS
