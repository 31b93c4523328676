"""Route selection: the subnet's route table (or the VPC's main table), longest prefix wins.

A prefix-list route (an S3 gateway endpoint adds one) matches the addresses of its
list and, being narrower than 0.0.0.0/0, beats a default route. Source: VPC user
guide, "Route priority"; PrivateLink guide, "Gateway endpoints".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from ssmreach.analysis.addresses import Match, Place, aws_prefix_list_matches, network, relation
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


@lru_cache(maxsize=16384)
def _select(query: _RouteQuery) -> RouteChoice:
    table, place = query.table, query.place
    best: tuple[int, aws.Route] | None = None
    maybe: list[tuple[int, aws.Route]] = []
    for route in table.routes:
        match, length = _route_match(query.lists, route, place)
        if match is Match.YES and (best is None or length > best[0]):
            best = (length, route)
        elif match is Match.MAYBE:
            maybe.append((length, route))
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
