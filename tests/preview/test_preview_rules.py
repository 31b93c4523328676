"""`preview.rules`: Terraform's rule blocks as the EC2 API returns them."""

from __future__ import annotations

from typing import Any

import pytest

from ssmreach.preview.rules import (
    acl_entry,
    acl_protocol,
    default_acl_entries,
    permission,
    remove_permission,
    sg_protocol,
)


@pytest.mark.parametrize(
    ("terraform", "api"),
    [
        ("tcp", "tcp"),
        ("TCP", "tcp"),
        ("6", "tcp"),
        (6, "tcp"),
        ("17", "udp"),
        ("1", "icmp"),
        ("58", "icmpv6"),
        ("-1", "-1"),
        (-1, "-1"),
        ("all", "-1"),
        (None, "-1"),
        ("50", "50"),  # ESP: the API keeps other protocol numbers
    ],
)
def test_security_group_protocols_are_the_apis_names(terraform: Any, api: str) -> None:
    assert sg_protocol(terraform) == api


@pytest.mark.parametrize(
    ("terraform", "api"),
    [
        ("tcp", "6"),
        ("udp", "17"),
        ("icmp", "1"),
        ("icmpv6", "58"),
        ("all", "-1"),
        ("-1", "-1"),
        ("6", "6"),
        (6, "6"),
        (None, "-1"),
    ],
)
def test_network_acl_protocols_are_numbers(terraform: Any, api: str) -> None:
    assert acl_protocol(terraform) == api


def test_a_permission_for_all_protocols_leaves_the_ports_out() -> None:
    for protocol in ("-1", "all", -1):
        perm = permission(protocol, 0, 0, cidrs=["0.0.0.0/0"])
        assert perm["IpProtocol"] == "-1"
        assert "FromPort" not in perm and "ToPort" not in perm


def test_a_tcp_permission_has_its_ports_and_every_source_list() -> None:
    assert permission(
        "6",
        443,
        443,
        cidrs=["10.0.0.0/16"],
        ipv6=["::/0"],
        prefix_lists=["pl-1"],
        groups=["sg-1"],
    ) == {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
        "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        "PrefixListIds": [{"PrefixListId": "pl-1"}],
        "UserIdGroupPairs": [{"GroupId": "sg-1"}],
    }


def test_a_permission_without_a_to_port_covers_the_from_port() -> None:
    perm = permission("tcp", "443", None)
    assert (perm["FromPort"], perm["ToPort"]) == (443, 443)


def test_an_icmp_permission_keeps_type_and_code_as_ports() -> None:
    perm = permission("icmp", -1, -1)
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("icmp", -1, -1)


@pytest.mark.parametrize("number", [100, "100", 100.0])
def test_acl_entry_numbers_are_integers(number: Any) -> None:
    entry = acl_entry(number, egress=False, protocol="-1", action="ALLOW", cidr="0.0.0.0/0")
    assert entry == {
        "RuleNumber": 100,
        "Protocol": "-1",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "0.0.0.0/0",
    }


def test_a_tcp_acl_entry_has_a_port_range() -> None:
    entry = acl_entry(
        50, egress=True, protocol="tcp", action="deny", cidr="0.0.0.0/0", from_port=443, to_port=443
    )
    assert entry["Protocol"] == "6"
    assert entry["PortRange"] == {"From": 443, "To": 443}
    assert "IcmpTypeCode" not in entry


def test_an_all_protocol_acl_entry_ignores_the_ports_terraform_writes() -> None:
    entry = acl_entry(
        100, egress=True, protocol="-1", action="allow", cidr="0.0.0.0/0", from_port=0, to_port=0
    )
    assert "PortRange" not in entry


def test_an_icmp_acl_entry_has_type_and_code() -> None:
    entry = acl_entry(
        60,
        egress=False,
        protocol="icmp",
        action="allow",
        cidr="10.0.0.0/8",
        icmp_type=8,
        icmp_code=None,
    )
    assert entry["IcmpTypeCode"] == {"Type": 8, "Code": 0}
    assert "PortRange" not in entry


def test_an_ipv6_acl_entry_has_no_ipv4_block() -> None:
    entry = acl_entry(
        70, egress=True, protocol="tcp", action="allow", cidr=None, ipv6="::/0", from_port=443
    )
    assert entry["Ipv6CidrBlock"] == "::/0" and "CidrBlock" not in entry
    assert entry["PortRange"] == {"From": 443, "To": 443}


def test_a_new_acl_denies_everything_and_a_default_acl_allows_everything_first() -> None:
    custom = default_acl_entries(allow=False)
    assert [(e["RuleNumber"], e["Egress"], e["RuleAction"]) for e in custom] == [
        (32767, False, "deny"),
        (32767, True, "deny"),
    ]
    default = default_acl_entries(allow=True)
    assert [(e["RuleNumber"], e["Egress"], e["RuleAction"]) for e in default] == [
        (100, False, "allow"),
        (32767, False, "deny"),
        (100, True, "allow"),
        (32767, True, "deny"),
    ]


# --- remove_permission ------------------------------------------------------------------------


def _https(*cidrs: str) -> dict[str, Any]:
    return permission("tcp", 443, 443, cidrs=cidrs)


def test_removing_one_range_keeps_the_others_of_the_entry() -> None:
    perms = [_https("10.0.0.0/16", "10.1.0.0/16")]
    remove_permission(perms, _https("10.0.0.0/16"))
    assert perms == [_https("10.1.0.0/16")]


def test_removing_the_last_range_drops_the_entry() -> None:
    perms = [_https("10.0.0.0/16"), permission("-1", None, None, groups=["sg-1"])]
    remove_permission(perms, _https("10.0.0.0/16"))
    assert perms == [permission("-1", None, None, groups=["sg-1"])]


def test_removing_touches_only_entries_with_the_same_protocol_and_ports() -> None:
    perms = [
        permission("tcp", 22, 22, cidrs=["10.0.0.0/16"]),
        permission("udp", 443, 443, cidrs=["10.0.0.0/16"]),
    ]
    remove_permission(perms, _https("10.0.0.0/16"))
    assert perms == [
        permission("tcp", 22, 22, cidrs=["10.0.0.0/16"]),
        permission("udp", 443, 443, cidrs=["10.0.0.0/16"]),
    ]


def test_removing_a_group_reference_keeps_the_cidr_ranges() -> None:
    perms = [permission("tcp", 443, 443, cidrs=["10.0.0.0/16"], groups=["sg-a", "sg-b"])]
    remove_permission(perms, permission("tcp", 443, 443, groups=["sg-a"]))
    assert perms == [permission("tcp", 443, 443, cidrs=["10.0.0.0/16"], groups=["sg-b"])]


def test_removing_an_all_traffic_rule_matches_an_entry_without_ports() -> None:
    """Terraform writes `protocol = "-1", from_port = 0, to_port = 0`; the API has no ports."""
    perms = [
        {
            "IpProtocol": "-1",
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
            "UserIdGroupPairs": [],
        }
    ]
    remove_permission(perms, permission("-1", 0, 0, cidrs=["0.0.0.0/0"]))
    assert perms == []


def test_removing_a_rule_that_is_not_there_changes_nothing() -> None:
    perms = [_https("10.0.0.0/16")]
    remove_permission(perms, _https("192.168.0.0/16"))
    assert perms == [_https("10.0.0.0/16")]


def test_removing_a_tcp_rule_matches_an_entry_recorded_as_protocol_6() -> None:
    perms = [{**_https("10.0.0.0/16"), "IpProtocol": "6"}]
    remove_permission(perms, _https("10.0.0.0/16"))
    assert perms == []
