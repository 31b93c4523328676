"""Unit tests of `analysis.nacl.evaluate`: example cases of rule order, the implicit deny,
port ranges split across rules, direction, protocol and uncertain CIDRs
(tests/analysis/test_properties.py checks first-match against a brute-force reference).

VPC user guide, "Network ACL rules": rules are evaluated in order, starting with the
lowest numbered rule; as soon as a rule matches traffic it is applied regardless of any
higher-numbered rule that might contradict it; the `*` rule denies a packet that matches
no numbered rule. Network ACLs are stateless: return traffic must be allowed explicitly.
"""

from __future__ import annotations

from ssmreach.analysis.addresses import Place, address, network
from ssmreach.analysis.nacl import evaluate
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws

HTTPS = (443, 443)
EPHEMERAL = (1024, 65535)
PEER = address("10.0.1.20")


def entry(
    number: int,
    action: str,
    *,
    egress: bool = False,
    cidr: str = "0.0.0.0/0",
    ports: tuple[int, int] | None = None,
    protocol: str | None = None,
) -> aws.NetworkAclEntry:
    return aws.NetworkAclEntry(
        rule_number=number,
        protocol=protocol or ("6" if ports else "-1"),
        rule_action=action,
        egress=egress,
        cidr_block=cidr,
        port_range=aws.PortRange(from_=ports[0], to=ports[1]) if ports else None,
    )


def acl(*entries: aws.NetworkAclEntry) -> aws.NetworkAcl:
    return aws.NetworkAcl(network_acl_id="acl-1", vpc_id="vpc-1", entries=entries)


STAR_IN = entry(32767, "deny")
STAR_OUT = entry(32767, "deny", egress=True)


def test_the_lowest_numbered_matching_rule_decides() -> None:
    deny_first = acl(entry(200, "allow"), entry(100, "deny", ports=HTTPS), STAR_IN)
    decision = evaluate(deny_first, egress=False, peer=PEER, ports=HTTPS)
    assert decision.outcome is Outcome.FAIL and decision.rule == 100
    assert decision.detail == "acl-1 rule 100 denies inbound TCP 443 from 10.0.1.20"

    allow_first = acl(entry(100, "allow", ports=HTTPS), entry(110, "deny"), STAR_IN)
    decision = evaluate(allow_first, egress=False, peer=PEER, ports=HTTPS)
    assert decision.outcome is Outcome.PASS and decision.rule == 100


def test_no_matching_rule_is_the_implicit_deny() -> None:
    decision = evaluate(acl(), egress=False, peer=PEER, ports=HTTPS)
    assert decision.outcome is Outcome.FAIL and decision.rule is None
    assert decision.detail.endswith("(implicit deny)")


def test_the_star_rule_is_named_as_such() -> None:
    decision = evaluate(acl(STAR_IN), egress=False, peer=PEER, ports=HTTPS)
    assert decision.outcome is Outcome.FAIL and decision.rule == 32767
    assert "acl-1 the * rule denies inbound TCP 443" in decision.detail


def test_a_rule_for_other_addresses_is_skipped() -> None:
    rules = acl(entry(100, "deny", cidr="10.9.0.0/16"), entry(200, "allow", cidr="10.0.0.0/16"))
    assert evaluate(rules, egress=False, peer=PEER, ports=HTTPS).outcome is Outcome.PASS


def test_a_udp_rule_does_not_match_tcp() -> None:
    rules = acl(entry(100, "deny", ports=HTTPS, protocol="17"), entry(200, "allow"))
    decision = evaluate(rules, egress=False, peer=PEER, ports=HTTPS)
    assert decision.outcome is Outcome.PASS and decision.rule == 200


def test_rules_of_the_other_direction_do_not_apply() -> None:
    outbound_only = acl(entry(100, "allow", egress=True), STAR_IN, STAR_OUT)
    assert evaluate(outbound_only, egress=True, peer=PEER, ports=HTTPS).outcome is Outcome.PASS
    assert evaluate(outbound_only, egress=False, peer=PEER, ports=HTTPS).outcome is Outcome.FAIL


def test_return_traffic_needs_its_own_rule_for_the_ephemeral_ports() -> None:
    """Stateless: allowing the request (TCP 443) does not allow the reply, which goes to
    the client's ephemeral ports (1024-65535 covers every client; VPC user guide,
    "Ephemeral ports")."""
    only_443 = acl(entry(100, "allow", egress=True, ports=HTTPS), STAR_OUT)
    reply = evaluate(only_443, egress=True, peer=PEER, ports=EPHEMERAL)
    assert reply.outcome is Outcome.FAIL and reply.rule == 32767
    assert reply.detail == "acl-1 the * rule denies outbound TCP 1024-65535 to 10.0.1.20"

    with_reply = acl(
        entry(100, "allow", egress=True, ports=HTTPS),
        entry(110, "allow", egress=True, ports=EPHEMERAL),
        STAR_OUT,
    )
    assert evaluate(with_reply, egress=True, peer=PEER, ports=EPHEMERAL).outcome is Outcome.PASS


def test_a_port_range_may_be_allowed_by_several_rules_together() -> None:
    split = acl(
        entry(100, "allow", ports=(1024, 30000)),
        entry(110, "allow", ports=(30001, 65535)),
        STAR_IN,
    )
    decision = evaluate(split, egress=False, peer=PEER, ports=EPHEMERAL)
    assert decision.outcome is Outcome.PASS and decision.rule == 100


def test_a_gap_in_the_allowed_ports_is_reported_as_the_first_undecided_range() -> None:
    holes = acl(entry(100, "allow", ports=(1024, 2000)), entry(110, "allow", ports=(3001, 65535)))
    decision = evaluate(holes, egress=False, peer=PEER, ports=EPHEMERAL)
    assert decision.outcome is Outcome.FAIL and decision.rule is None
    assert "no rule allows inbound TCP 2001-3000 from 10.0.1.20" in decision.detail


def test_a_deny_after_a_partial_allow_denies_the_rest_of_the_range() -> None:
    rules = acl(entry(100, "allow", ports=(1024, 2000)), entry(200, "deny"), entry(300, "allow"))
    decision = evaluate(rules, egress=False, peer=PEER, ports=EPHEMERAL)
    assert decision.outcome is Outcome.FAIL and decision.rule == 200


def test_a_deny_of_ports_outside_the_asked_range_does_not_matter() -> None:
    rules = acl(entry(90, "deny", ports=(22, 22)), entry(100, "allow"), STAR_IN)
    assert evaluate(rules, egress=False, peer=PEER, ports=HTTPS).outcome is Outcome.PASS


def test_a_rule_that_may_cover_the_peer_leaves_the_answer_open() -> None:
    """A peer known only by its subnet: a /25 rule may or may not hold its address."""
    subnet = Place(net=network("10.0.1.0/24"))
    maybe_allow = acl(entry(100, "allow", cidr="10.0.1.0/25"), STAR_IN)
    decision = evaluate(maybe_allow, egress=False, peer=subnet, ports=HTTPS)
    assert decision.outcome is Outcome.UNKNOWN and decision.rule == 32767
    assert "unless an earlier rule" in decision.detail

    maybe_deny = acl(entry(100, "deny", cidr="10.0.1.0/25"), entry(200, "allow"))
    decision = evaluate(maybe_deny, egress=False, peer=subnet, ports=HTTPS)
    assert decision.outcome is Outcome.UNKNOWN
    assert "a deny rule may cover 10.0.1.0/24" in decision.detail


def test_an_ipv6_rule_does_not_match_an_ipv4_peer() -> None:
    v6 = aws.NetworkAclEntry(
        rule_number=100, protocol="-1", rule_action="allow", egress=False, ipv6_cidr_block="::/0"
    )
    decision = evaluate(acl(v6, STAR_IN), egress=False, peer=PEER, ports=HTTPS)
    assert decision.outcome is Outcome.FAIL and decision.rule == 32767
