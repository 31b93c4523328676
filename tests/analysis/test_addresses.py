"""Unit tests of `analysis.addresses`: parsing CIDRs, containment, and how a rule's CIDR
relates to a place that is an address, a network, a prefix list or a public AWS address."""

from __future__ import annotations

import ipaddress

import pytest

from ssmreach.analysis.addresses import (
    Match,
    Place,
    address,
    aws_prefix_list_matches,
    covers,
    network,
    public_service,
    relation,
)

SSM = "com.amazonaws.us-east-1.ssm"
S3 = "com.amazonaws.us-east-1.s3"


def net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    parsed = network(cidr)
    assert parsed is not None
    return parsed


# -- network ------------------------------------------------------------------------------


def test_a_bare_address_is_a_single_address_network() -> None:
    parsed = net("10.0.1.7")
    assert parsed.prefixlen == 32 and parsed.num_addresses == 1


def test_host_bits_are_dropped_as_aws_does_for_a_rule_cidr() -> None:
    assert str(net("10.0.1.7/24")) == "10.0.1.0/24"


@pytest.mark.parametrize("text", ["", "sg-0123", "10.0.0.0/33", "pl-63a5400a", "local"])
def test_text_that_is_no_cidr_parses_as_none(text: str) -> None:
    assert network(text) is None


# -- covers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("10.0.0.0/16", "10.0.1.0/24", Match.YES),
        ("10.0.0.0/16", "10.0.0.0/16", Match.YES),
        ("10.0.1.0/25", "10.0.1.0/24", Match.MAYBE),
        ("10.1.0.0/16", "10.0.1.0/24", Match.NO),
        ("0.0.0.0/0", "203.0.113.9/32", Match.YES),
    ],
)
def test_covers_tells_all_some_or_none(outer: str, inner: str, expected: Match) -> None:
    assert covers(net(outer), net(inner)) is expected


def test_an_ipv6_range_never_covers_an_ipv4_address() -> None:
    assert covers(net("::/0"), net("10.0.0.1")) is Match.NO
    assert relation("::/0", address("10.0.0.1")) is Match.NO


# -- relation to a place --------------------------------------------------------------------


def test_relation_to_an_exact_address() -> None:
    place = address("10.0.1.20")
    assert relation("10.0.1.0/24", place) is Match.YES
    assert relation("10.0.2.0/24", place) is Match.NO


def test_relation_to_a_subnet_whose_address_is_unknown_is_maybe_for_a_narrower_rule() -> None:
    """An ENI known only by its subnet: a /32 inside the subnet may or may not be it."""
    place = Place(net=net("10.0.1.0/24"))
    assert relation("10.0.1.5/32", place) is Match.MAYBE
    assert relation("10.0.0.0/16", place) is Match.YES


def test_a_rule_that_is_no_cidr_covers_nothing() -> None:
    assert relation("not-a-cidr", address("10.0.0.1")) is Match.NO


def test_for_a_public_aws_address_only_the_default_route_is_certain() -> None:
    """AWS service public addresses are never in RFC 1918 space; any other public range
    may or may not hold them (their addresses are not in the snapshot)."""
    place = public_service(SSM)
    assert relation("0.0.0.0/0", place) is Match.YES
    assert relation("10.0.0.0/8", place) is Match.NO
    assert relation("192.168.0.0/16", place) is Match.NO
    assert relation("52.0.0.0/8", place) is Match.MAYBE


def test_a_prefix_list_with_known_cidrs_is_covered_only_when_every_cidr_is() -> None:
    place = Place(
        prefix_list_id="pl-1", prefix_list_cidrs=(net("52.216.0.0/15"), net("3.5.0.0/19"))
    )
    assert relation("0.0.0.0/0", place) is Match.YES
    assert relation("52.216.0.0/15", place) is Match.MAYBE  # one of the two
    assert relation("10.0.0.0/8", place) is Match.NO


def test_a_prefix_list_whose_cidrs_are_not_listed_is_public_address_space() -> None:
    place = Place(prefix_list_id="pl-63a5400a")
    assert relation("0.0.0.0/0", place) is Match.YES
    assert relation("10.0.0.0/8", place) is Match.NO
    assert relation("52.216.0.0/15", place) is Match.MAYBE


# -- AWS-managed prefix lists ---------------------------------------------------------------


def test_an_aws_service_prefix_list_holds_only_its_own_service() -> None:
    """`com.amazonaws.<region>.s3` lists S3's addresses: it covers S3 and not SSM."""
    assert aws_prefix_list_matches(S3, public_service(S3)) is Match.YES
    assert aws_prefix_list_matches(S3, public_service(SSM)) is Match.NO


def test_a_customer_prefix_list_or_a_non_service_place_is_not_settled_by_name() -> None:
    assert aws_prefix_list_matches("corp-egress", public_service(SSM)) is None
    assert aws_prefix_list_matches(None, public_service(SSM)) is None
    assert aws_prefix_list_matches(S3, address("10.0.0.1")) is None


# -- describe -------------------------------------------------------------------------------


def test_describe_names_the_place_plainly() -> None:
    assert address("10.0.1.20").describe() == "10.0.1.20"
    assert Place(net=net("10.0.1.0/24")).describe() == "10.0.1.0/24"
    assert Place(prefix_list_id="pl-1").describe() == "pl-1"
    assert public_service(SSM).describe() == "public AWS addresses"
    assert address("10.0.1.20", label="the instance").describe() == "the instance"
