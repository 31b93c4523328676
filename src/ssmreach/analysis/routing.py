"""Route selection: the subnet's route table (or the VPC's main table), longest prefix wins.

A prefix-list route (an S3 gateway endpoint adds one) matches the addresses of its
list and, being narrower than 0.0.0.0/0, beats a default route. Source: VPC user
guide, "Route priority"; PrivateLink guide, "Gateway endpoints".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from ssmreach.analysis.addresses import (
    Match,
    NestedIndex,
    Place,
    Span,
    aws_prefix_list_matches,
    network,
    relation,
    span,
)
from ssmreach.model import aws
from ssmreach.model.estate import PrefixListInfo, RegionData


@dataclass(frozen=True, slots=True)
class RouteChoice:
    route: aws.Route | None
    uncertain: bool  # a more specific route may also match (its addresses are not known)
    detail: str


class _Lists(NamedTuple):
    """What a route lookup needs of its Region besides the table: prefix lists and the
    gateway endpoints that route to them."""

    prefix_lists: Mapping[str, PrefixListInfo]
    endpoints: Mapping[str, aws.VpcEndpoint]


def route_table_for(region: RegionData, subnet_id: str, vpc_id: str) -> str | None:
    """The subnet's explicitly associated table, else the VPC's main table."""
    return region.subnet_route_table.get(subnet_id) or region.main_route_table.get(vpc_id)


def _prefix_list_name(lists: _Lists, route: aws.Route) -> str | None:
    pl_id = route.destination_prefix_list_id
    info = lists.prefix_lists.get(pl_id) if pl_id else None
    if info and info.name:
        return info.name
    target = route.gateway_id or ""
    endpoint = lists.endpoints.get(target)
    if endpoint is not None and endpoint.is_gateway:
        return endpoint.service_name
    return None


def _route_match(lists: _Lists, route: aws.Route, place: Place) -> tuple[Match, int]:
    cidr = route.destination_cidr_block or route.destination_ipv6_cidr_block
    if route.destination_ipv6_cidr_block and route.gateway_id == "local" and place.public:
        # A VPC's IPv6 CIDRs are its own global addresses (Amazon-provided or your own):
        # never an AWS service's public addresses, so its local route does not take them.
        return Match.NO, 0
    if cidr:
        net = network(cidr)
        return relation(cidr, place), net.prefixlen if net else 0
    pl_id = route.destination_prefix_list_id
    if not pl_id:
        return Match.NO, 0
    info = lists.prefix_lists.get(pl_id)
    lengths = [n.prefixlen for n in (network(c) for c in (info.cidrs or ())) if n] if info else []
    length = min(lengths) if lengths else 1
    if place.prefix_list_id == pl_id:
        return Match.YES, length
    settled = aws_prefix_list_matches(_prefix_list_name(lists, route), place)
    if settled is not None:
        return settled, length
    if info is None or info.cidrs is None:
        return Match.MAYBE, length
    results = [relation(c, place) for c in info.cidrs]
    if Match.YES in results:
        return Match.YES, length
    return (Match.MAYBE if Match.MAYBE in results else Match.NO), length


class _RouteQuery:
    """A route lookup as a cache key: the same table and Region lists, an equal place.

    Identity, not equality, of the table and lists: equal ids in another estate never
    share an answer, and a cached query keeps only these small objects alive."""

    __slots__ = ("_hash", "lists", "place", "table")

    def __init__(self, lists: _Lists, table: aws.RouteTable, place: Place) -> None:
        self.lists, self.table, self.place = lists, table, place
        self._hash = hash((id(lists.prefix_lists), id(lists.endpoints), id(table), place))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _RouteQuery)
            and other.table is self.table
            and other.lists.prefix_lists is self.lists.prefix_lists
            and other.lists.endpoints is self.lists.endpoints
            and other.place == self.place
        )


def select_route(region: RegionData, table: aws.RouteTable, place: Place) -> RouteChoice:
    """Longest-prefix match of `place` in `table`. Instances of one subnet ask for the
    same destinations (the endpoints' interfaces) again and again: answers are cached."""
    return _select(_RouteQuery(_Lists(region.prefix_lists, region.endpoints), table, place))


class _TableIndex:
    """A route table's CIDR routes indexed for longest-prefix lookup, built once per table.

    `exact[(version, length)]` maps a block's first address (an integer) to the first
    route of the table with that destination; `nested` finds the destinations inside a
    block (the routes that may cover only part of it). Routes to prefix lists are few
    and are matched one by one; so are, for public AWS addresses, the routes to anything
    but a private range (`public`), and for a prefix-list place every route."""

    __slots__ = ("exact", "lengths", "nested", "others", "position", "public")

    def __init__(self, table: aws.RouteTable) -> None:
        self.exact: dict[tuple[int, int], dict[int, aws.Route]] = {}
        self.position: dict[int, int] = {}  # id(route) -> its place in the table
        blocks: list[tuple[Span, aws.Route]] = []
        others: list[aws.Route] = []
        public: list[aws.Route] = []
        for i, route in enumerate(table.routes):
            self.position[id(route)] = i
            cidr = route.destination_cidr_block or route.destination_ipv6_cidr_block
            if not cidr:
                others.append(route)
                public.append(route)
                continue
            block = span(cidr)
            if block is None:
                continue  # not a CIDR: it covers nothing (`relation`)
            if block.length == 0 or not _private(cidr):
                public.append(route)  # a private range never holds public AWS addresses
            self.exact.setdefault((block.version, block.length), {}).setdefault(block.first, route)
            blocks.append((block, route))
        self.others = tuple(others)
        self.public = tuple(public)
        self.lengths = {
            v: sorted((n for ver, n in self.exact if ver == v), reverse=True) for v in (4, 6)
        }
        self.nested = NestedIndex(blocks)

    def matches(
        self, place: Span
    ) -> tuple[tuple[int, aws.Route] | None, list[tuple[int, aws.Route]]]:
        """For a place that is an address or a block: the longest route that covers all of
        it (length, route), and the longer routes that cover part of it."""
        best: tuple[int, aws.Route] | None = None
        bits = 32 if place.version == 4 else 128
        for length in self.lengths[place.version]:
            if length > place.length:
                continue
            shift = bits - length
            route = self.exact[(place.version, length)].get(place.first >> shift << shift)
            if route is not None:
                best = (length, route)
                break
        partial = [(block.length, route) for block, route in self.nested.inside(place)]
        return best, partial

    def overlapping(self, blocks: Iterable[Span]) -> list[aws.Route]:
        """The CIDR routes that cover all or part of any of `blocks` (every other CIDR
        route covers none of them), in table order."""
        found: dict[int, aws.Route] = {}
        for place in blocks:
            bits = 32 if place.version == 4 else 128
            for length in self.lengths[place.version]:
                if length <= place.length:
                    shift = bits - length
                    route = self.exact[(place.version, length)].get(place.first >> shift << shift)
                    if route is not None:
                        found[id(route)] = route
            for _, route in self.nested.inside(place):
                found[id(route)] = route
        return sorted(found.values(), key=lambda r: self.position[id(r)])


@lru_cache(maxsize=65536)
def _private(cidr: str) -> bool:
    net = network(cidr)
    return net is not None and net.is_private


class _TableKey:
    """A route table as a cache key: by identity (see `_RouteQuery`)."""

    __slots__ = ("table",)

    def __init__(self, table: aws.RouteTable) -> None:
        self.table = table

    def __hash__(self) -> int:
        return id(self.table)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TableKey) and other.table is self.table


@lru_cache(maxsize=4096)
def _table_index(key: _TableKey) -> _TableIndex:
    return _TableIndex(key.table)


@lru_cache(maxsize=16384)
def _select(query: _RouteQuery) -> RouteChoice:
    table, place = query.table, query.place
    best: tuple[int, aws.Route] | None = None
    maybe: list[tuple[int, aws.Route]] = []
    index = _table_index(_TableKey(table))
    if place.net is not None:
        # Longest-prefix match on integers; routes to prefix lists one by one.
        net = place.net
        best, maybe = index.matches(Span(net.version, int(net.network_address), net.prefixlen))
        candidates: tuple[aws.Route, ...] = index.others
    elif place.public or (place.prefix_list_id is not None and place.prefix_list_cidrs is None):
        candidates = index.public  # `relation`: no private range covers these places
    elif place.prefix_list_cidrs is not None:
        blocks = (
            Span(n.version, int(n.network_address), n.prefixlen) for n in place.prefix_list_cidrs
        )
        candidates = (*index.others, *index.overlapping(blocks))
    else:
        candidates = table.routes
    for route in candidates:
        match, length = _route_match(query.lists, route, place)
        if match is Match.YES and (
            best is None
            or length > best[0]
            or (length == best[0] and index.position[id(route)] < index.position[id(best[1])])
        ):
            best = (length, route)
        elif match is Match.MAYBE:
            maybe.append((length, route))
    maybe.sort(key=lambda item: index.position[id(item[1])])
    floor = best[0] if best else -1
    shadow = [r for length, r in maybe if length > floor]
    if best is None:
        if shadow:
            return RouteChoice(
                None,
                True,
                f"{table.route_table_id}: only {shadow[0].destination} -> {shadow[0].target} may cover {place.describe()}",
            )
        return RouteChoice(
            None, False, f"{table.route_table_id} has no route to {place.describe()}"
        )
    route = best[1]
    detail = f"{table.route_table_id}: {route.destination} -> {route.target}"
    if shadow:
        return RouteChoice(
            route,
            True,
            detail
            + f", unless the narrower {shadow[0].destination} -> {shadow[0].target} covers {place.describe()}",
        )
    return RouteChoice(route, False, detail)
