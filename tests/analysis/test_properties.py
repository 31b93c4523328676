"""Property tests: NACL, security-group, CIDR and route matching against brute-force references."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from ssmreach.analysis import nacl, security_groups
from ssmreach.analysis.addresses import (
    Match,
    NestedIndex,
    Place,
    address,
    covers,
    network,
    public_service,
    relation,
    span,
)
from ssmreach.analysis.routing import select_route
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model.estate import RegionData

BASE = int(ipaddress.ip_address("10.0.0.0"))


@st.composite
def small_networks(draw: st.DrawFn) -> ipaddress.IPv4Network:
    prefix = draw(st.integers(min_value=26, max_value=32))
    offset = draw(st.integers(min_value=0, max_value=255))
    return ipaddress.IPv4Network((BASE + offset, prefix), strict=False)


def addresses_of(net: ipaddress.IPv4Network) -> set[int]:
    return set(range(int(net.network_address), int(net.broadcast_address) + 1))


@given(small_networks(), small_networks())
def test_covers_matches_address_sets(
    outer: ipaddress.IPv4Network, inner: ipaddress.IPv4Network
) -> None:
    a, b = addresses_of(outer), addresses_of(inner)
    expected = Match.YES if b <= a else (Match.MAYBE if a & b else Match.NO)
    assert covers(outer, inner) is expected


ip_strategy = st.integers(min_value=0, max_value=255).map(
    lambda o: str(ipaddress.ip_address(BASE + o))
)
ports = st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda t: (min(t), max(t)))


@st.composite
def nacl_entries(draw: st.DrawFn) -> list[aws.NetworkAclEntry]:
    numbers = draw(st.lists(st.integers(1, 200), min_size=0, max_size=6, unique=True))
    entries = []
    for n in numbers:
        net = draw(small_networks())
        lo, hi = draw(ports)
        entries.append(
            aws.NetworkAclEntry(
                rule_number=n,
                protocol=draw(st.sampled_from(["6", "-1", "17"])),
                rule_action=draw(st.sampled_from(["allow", "deny"])),
                egress=False,
                cidr_block=str(net),
                port_range=aws.PortRange(from_=lo, to=hi),
            )
        )
    return entries


def reference_nacl(entries: list[aws.NetworkAclEntry], ip: str, lo: int, hi: int) -> bool:
    """Every port allowed? First matching rule by number decides each port; no match denies."""
    addr = ipaddress.ip_address(ip)
    for port in range(lo, hi + 1):
        decision = False
        for e in sorted(entries, key=lambda e: e.rule_number):
            if e.protocol not in ("6", "-1"):
                continue
            ports = e.port_range
            in_ports = e.protocol == "-1" or (
                ports is not None
                and ports.from_ is not None
                and ports.to is not None
                and ports.from_ <= port <= ports.to
            )
            if addr in ipaddress.ip_network(e.cidr_block or "") and in_ports:
                decision = e.rule_action == "allow"
                break
        if not decision:
            return False
    return True


@settings(max_examples=300)
@given(nacl_entries(), ip_strategy, ports)
def test_nacl_matches_first_match_reference(
    entries: list[aws.NetworkAclEntry], ip: str, span: tuple[int, int]
) -> None:
    # "-1" (all protocols) entries cover every port, as in AWS.
    entries = [
        e
        if e.protocol != "-1"
        else aws.NetworkAclEntry(
            rule_number=e.rule_number,
            protocol="-1",
            rule_action=e.rule_action,
            egress=False,
            cidr_block=e.cidr_block,
        )
        for e in entries
    ]
    acl = aws.NetworkAcl(network_acl_id="acl-1", vpc_id="vpc-1", entries=tuple(entries))
    got = nacl.evaluate(acl, egress=False, peer=address(ip), ports=span)
    assert got.outcome is (Outcome.PASS if reference_nacl(entries, ip, *span) else Outcome.FAIL)


@st.composite
def permissions(draw: st.DrawFn) -> aws.IpPermission:
    lo, hi = draw(
        st.tuples(st.integers(0, 1000), st.integers(0, 1000)).map(lambda t: (min(t), max(t)))
    )
    proto = draw(st.sampled_from(["tcp", "udp", "-1", "6"]))
    cidrs = draw(st.lists(small_networks(), max_size=2))
    groups = draw(st.lists(st.sampled_from(["sg-a", "sg-b", "sg-c"]), max_size=2))
    return aws.IpPermission(
        ip_protocol=proto,
        from_port=None if proto == "-1" else lo,
        to_port=None if proto == "-1" else hi,
        ip_ranges=tuple(aws.IpRange(cidr_ip=str(c)) for c in cidrs),
        user_id_group_pairs=tuple(aws.UserIdGroupPair(group_id=g) for g in groups),
        ipv6_ranges=(),
        prefix_list_ids=(),
    )


@settings(max_examples=300)
@given(
    st.lists(permissions(), max_size=4),
    ip_strategy,
    st.frozensets(st.sampled_from(["sg-a", "sg-b", "sg-c"])),
    st.integers(0, 1000),
)
def test_security_group_matches_any_rule_reference(
    perms: list[aws.IpPermission], ip: str, groups: frozenset[str], port: int
) -> None:
    group = aws.SecurityGroup(
        group_id="sg-x", ip_permissions=tuple(perms), ip_permissions_egress=()
    )
    got = security_groups.evaluate(
        [group], egress=False, peer=address(ip, groups), prefix_lists={}, port=port
    )
    addr = ipaddress.ip_address(ip)
    expected = any(
        p.ip_protocol in ("tcp", "6", "-1")
        and (p.from_port is None or p.from_port <= port <= (p.to_port or 0))
        and (
            any(addr in ipaddress.ip_network(r.cidr_ip) for r in p.ip_ranges)
            or any(g.group_id in groups for g in p.user_id_group_pairs)
        )
        for p in perms
    )
    assert got.outcome is (Outcome.PASS if expected else Outcome.FAIL)


@settings(max_examples=300)
@given(st.lists(small_networks(), max_size=6, unique=True), ip_strategy)
def test_route_selection_is_longest_prefix(nets: list[ipaddress.IPv4Network], ip: str) -> None:
    routes = tuple(
        aws.Route(destination_cidr_block=str(n), gateway_id=f"igw-{i}", state="active")
        for i, n in enumerate(nets)
    )
    table = aws.RouteTable(route_table_id="rtb-1", vpc_id="vpc-1", routes=routes, associations=())
    region = RegionData(account="111122223333", region="us-east-1")
    choice = select_route(region, table, address(ip))
    matching = [n for n in nets if ipaddress.ip_address(ip) in n]
    if not matching:
        assert choice.route is None
    else:
        best = max(matching, key=lambda n: n.prefixlen)
        assert choice.route is not None and network(choice.route.destination) == best


def reference_choice(
    routes: tuple[aws.Route, ...], place: Place
) -> tuple[aws.Route | None, aws.Route | None]:
    """Brute force: every route's CIDR against the place (`relation`), the longest certain
    match first in table order, and the first narrower route that may also cover it."""
    best: tuple[int, aws.Route] | None = None
    maybe: list[tuple[int, aws.Route]] = []
    for r in routes:
        net = network(r.destination)
        if net is None:
            continue
        match = relation(r.destination, place)
        if match is Match.YES and (best is None or net.prefixlen > best[0]):
            best = (net.prefixlen, r)
        elif match is Match.MAYBE:
            maybe.append((net.prefixlen, r))
    floor = best[0] if best else -1
    shadow = next((r for length, r in maybe if length > floor), None)
    return (best[1] if best else None), shadow


@st.composite
def route_places(draw: st.DrawFn) -> Place:
    kind = draw(st.sampled_from(["address", "network", "prefix-list", "public"]))
    if kind == "address":
        return address(draw(ip_strategy))
    if kind == "network":
        return Place(net=draw(small_networks()))
    if kind == "prefix-list":
        cidrs = tuple(draw(st.lists(small_networks(), min_size=1, max_size=3)))
        return Place(prefix_list_id="pl-1", prefix_list_cidrs=cidrs)
    return public_service("com.amazonaws.us-east-1.ssm")


wide_networks = st.one_of(
    small_networks(),
    st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/24", "52.0.0.0/8"]).map(
        ipaddress.IPv4Network
    ),
)


@settings(max_examples=500)
@given(st.lists(wide_networks, max_size=12), route_places())
def test_indexed_route_lookup_equals_a_scan_of_every_route(
    nets: list[ipaddress.IPv4Network], place: Place
) -> None:
    """The table index (integer longest-prefix match, nested blocks, public and
    prefix-list candidates) picks the route a scan of the whole table picks, and is as
    uncertain, for every kind of place; duplicate destinations keep the first route."""
    routes = tuple(
        aws.Route(destination_cidr_block=str(n), gateway_id=f"igw-{i}", state="active")
        for i, n in enumerate(nets)
    )
    table = aws.RouteTable(route_table_id="rtb-1", vpc_id="vpc-1", routes=routes, associations=())
    region = RegionData(account="111122223333", region="us-east-1")
    choice = select_route(region, table, place)
    best, shadow = reference_choice(routes, place)
    assert choice.route is best
    assert choice.uncertain is (shadow is not None)
    if shadow is not None:
        assert f"{shadow.destination} -> {shadow.target}" in choice.detail


@given(st.lists(wide_networks, max_size=10), wide_networks)
def test_nested_index_finds_exactly_the_narrower_blocks_inside(
    nets: list[ipaddress.IPv4Network], outer: ipaddress.IPv4Network
) -> None:
    index = NestedIndex((s, n) for n in nets if (s := span(str(n))) is not None)
    outer_span = span(str(outer))
    assert outer_span is not None
    found = sorted(str(n) for _, n in index.inside(outer_span))
    expected = sorted(str(n) for n in nets if n.prefixlen > outer.prefixlen and n.subnet_of(outer))
    assert found == expected
