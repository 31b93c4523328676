"""`--sites` files: parsed into sites, or one line naming the file and the problem; the
schema in docs/ agrees with the parser; a node's site is its longest matching prefix."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from paths import ROOT
from ssmreach.errors import SitesError, SsmreachError
from ssmreach.model.sites import NoSite, Site, SiteEntry, SiteFound, Sites, parse_sites, site_of

SCHEMA = json.loads((ROOT / "docs" / "sites.schema.json").read_text())
DX = "5f294f92-bafb-4011-916d-9b0b00000001"

GOOD = """
sites:
  - name: dc-frankfurt
    cidrs: [10.200.0.0/16, "fd00:200::/48"]
    via: {vpn: vpn-0abc12345678def01, vgw: vgw-0abc12345678def01}
    resolvers: [10.200.0.53]
    forwards:
      amazonaws.com: [10.1.1.10, 10.1.2.10]
      ssm.eu-central-1.amazonaws.com.: [10.1.1.10]
    proxy: http://proxy.corp:3128
    nodes: [mi-0123456789abcdef0]
  - name: colo
    infer: true
    via:
      - {dx_gateway: 5f294f92-bafb-4011-916d-9b0b00000001}
      - {tgw_attachment: tgw-attach-0abc12345678def01}
"""


def _doc(text: str) -> Any:
    return yaml.safe_load(text)


def test_a_good_file_is_parsed_into_typed_sites() -> None:
    sites = parse_sites(GOOD, "sites.yaml")
    assert sites.source == "sites.yaml" and not sites.inferred
    fra, colo = sites.sites
    assert fra.cidrs == (
        ipaddress.ip_network("10.200.0.0/16"),
        ipaddress.ip_network("fd00:200::/48"),
    )
    assert fra.via == (
        SiteEntry("vpn", "vpn-0abc12345678def01"),
        SiteEntry("vgw", "vgw-0abc12345678def01"),
    )
    assert fra.resolvers == (ipaddress.ip_address("10.200.0.53"),)
    assert fra.nodes == ("mi-0123456789abcdef0",) and fra.proxy == "http://proxy.corp:3128"
    ssm = fra.forward_for("ssm.eu-central-1.amazonaws.com")
    assert ssm is not None and ssm.domain == "ssm.eu-central-1.amazonaws.com"
    other = fra.forward_for("ssmmessages.eu-central-1.amazonaws.com.")
    assert other is not None and other.domain == "amazonaws.com" and len(other.targets) == 2
    assert fra.forward_for("example.com") is None
    assert colo.infer and colo.cidrs == ()
    assert colo.via == (
        SiteEntry("dx_gateway", DX),
        SiteEntry("tgw_attachment", "tgw-attach-0abc12345678def01"),
    )
    jsonschema.validate(_doc(GOOD), SCHEMA)


def test_json_is_read_as_json() -> None:
    text = json.dumps(_doc(GOOD))
    assert parse_sites(text, "sites.json") == Sites(
        parse_sites(GOOD, "x").sites, source="sites.json"
    )


BROKEN = [
    ("sites: [", "not valid YAML"),
    ("- just a list", "expected a mapping with a `sites` list"),
    ("{}", "missing required field `sites`"),
    ("sites:\n  - cidrs: [10.0.0.0/8]", "missing required field `name`"),
    ("sites:\n  - name: a\n    cidr: [10.0.0.0/8]", "unknown field `cidr`"),
    ("sites:\n  - name: a\n    cidrs: 10.0.0.0/8", "sites[0].cidrs: Expected `array`"),
    ("sites:\n  - name: a", "sites[0] (a): has neither cidrs nor infer: true"),
    ("sites:\n  - name: a\n    infer: true", "infer: true needs via"),
    (
        "sites:\n  - name: a\n    cidrs: [10.0.0.1/8]",
        "sites[0] (a).cidrs[0]: '10.0.0.1/8' is not a CIDR",
    ),
    ("sites:\n  - name: a\n    cidrs: [10.0.0.0]", "has no prefix length"),
    (
        "sites:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    resolvers: [dns.corp]",
        "is not an IP address",
    ),
    (
        "sites:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    via: {vpn: vgw-0abc12345678def01}",
        "is not a vpn id",
    ),
    ("sites:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    via: {}", "names no entry"),
    (
        "sites:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    forwards: {amazonaws.com: []}",
        "lists no target",
    ),
    (
        "sites:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    forwards: {'bad name': [10.1.1.1]}",
        "is not a domain",
    ),
    (
        "sites:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    nodes: [i-0123456789abcdef0]",
        "is not a hybrid node id",
    ),
    ("sites:\n  - name: a\n    cidrs: []\n  - name: a\n    cidrs: []", "two sites are named 'a'"),
    ("sites:\n  - name: 12\n    cidrs: []", "sites[0].name: Expected `str`, got `int`"),
]


@pytest.mark.parametrize(("text", "problem"), BROKEN, ids=[p for _, p in BROKEN])
def test_a_broken_file_is_one_line_naming_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(SitesError) as caught:
        parse_sites(text, "conf/sites.yaml")
    message = caught.value.message
    assert isinstance(caught.value, SsmreachError) and caught.value.exit_code == 2
    assert message.startswith("conf/sites.yaml: ") and "\n" not in message
    assert problem in message, message


SCHEMA_ALSO_REFUSES = [text for text, _ in BROKEN if not text.startswith(("sites: [", "- just"))]


@pytest.mark.parametrize("text", SCHEMA_ALSO_REFUSES)
def test_the_schema_refuses_what_the_parser_refuses(text: str) -> None:
    if any(marker in text for marker in ("10.0.0.1/8", "name: a\n    cidrs: []\n  - name: a")):
        pytest.skip("only the parser checks host bits and repeated names (the schema: shapes)")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_doc(text), SCHEMA)


def test_a_json_file_that_is_not_json_is_an_error() -> None:
    with pytest.raises(SitesError, match="not valid JSON"):
        parse_sites("{sites: }", "sites.json")


# --- which site a node is in ----------------------------------------------------------------


def _site(name: str, *cidrs: str, nodes: tuple[str, ...] = ()) -> Site:
    return Site(name, tuple(ipaddress.ip_network(c) for c in cidrs), nodes=nodes)


def test_the_longest_prefix_wins_and_a_listed_node_wins_over_addresses() -> None:
    wide, narrow = _site("dc", "10.0.0.0/8"), _site("lab", "10.9.0.0/16")
    sites = Sites((wide, narrow, _site("pinned", nodes=("mi-0123456789abcdef0",))))
    found = site_of(sites, "10.9.1.1")
    assert isinstance(found, SiteFound) and found.site is narrow and found.how == "address"
    found = site_of(sites, "10.8.1.1")
    assert isinstance(found, SiteFound) and found.site is wide
    found = site_of(sites, "10.9.1.1", "mi-0123456789abcdef0")
    assert isinstance(found, SiteFound) and found.site.name == "pinned" and found.cidr is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (None, "reports no IP address"),
        ("", "reports no IP address"),
        ("db.corp", "is not an IP address"),
        ("192.168.1.1", "is in none of the 2 declared sites' CIDRs"),
        ("10.1.1.1", "is in 10.1.0.0/16 of a and b"),
    ],
)
def test_no_site_says_why(address: str | None, reason: str) -> None:
    sites = Sites((_site("a", "10.1.0.0/16"), _site("b", "10.1.0.0/16")))
    found = site_of(sites, address)
    assert isinstance(found, NoSite) and reason in found.reason


def test_an_ipv6_node_is_not_placed_by_ipv4_cidrs() -> None:
    sites = Sites((_site("v4", "0.0.0.0/0"), _site("v6", "fd00::/8")))
    found = site_of(sites, "fd00::5")
    assert isinstance(found, SiteFound) and found.site.name == "v6"


networks = st.builds(
    lambda value, length: ipaddress.ip_network((value, length), strict=False),
    st.integers(0, 2**32 - 1),
    st.integers(8, 30),
)


@given(st.lists(networks, min_size=1, max_size=8, unique=True), st.integers(0, 2**32 - 1))
def test_site_of_is_the_longest_containing_prefix(cidrs: list[Any], value: int) -> None:
    address = ipaddress.ip_address(value)
    sites = Sites(tuple(Site(f"s{n}", (c,)) for n, c in enumerate(cidrs)))
    found = site_of(sites, str(address))
    holding = [c for c in cidrs if address in c]
    if not holding:
        assert isinstance(found, NoSite)
        return
    longest = max(c.prefixlen for c in holding)
    tied = [c for c in holding if c.prefixlen == longest]
    if len(tied) == 1:
        assert isinstance(found, SiteFound) and found.cidr == tied[0]
        assert address in found.site.cidrs[0]
    else:  # unique networks of one length never overlap: cannot happen
        pytest.fail(f"two equal-length networks hold {address}: {tied}")


@given(networks, st.integers(0, 2**32 - 1))
def test_membership_matches_ipaddress(cidr: Any, value: int) -> None:
    address = ipaddress.ip_address(value)
    found = site_of(Sites((Site("s", (cidr,)),)), str(address))
    assert isinstance(found, SiteFound) == (address in cidr)


def test_the_example_of_docs_hybrid_md_is_valid() -> None:
    page = (ROOT / "docs" / "hybrid.md").read_text()
    block = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    sites = parse_sites(block, "docs/hybrid.md")
    assert [s.name for s in sites.sites] == ["dc-frankfurt", "colo"]
    jsonschema.validate(_doc(block), SCHEMA)
