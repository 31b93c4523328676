"""Where traffic goes, as far as the snapshot can say: an address, a subnet, a prefix list or "the internet".

Rules (security group, network ACL, route) name CIDRs; a destination may be known
exactly (an endpoint ENI's IP), only as a network (an ENI whose IP is not in the
snapshot), as an AWS prefix list (S3 through a gateway endpoint), or as "some public
AWS address" (a service reached over the internet, whose addresses the snapshot does
not hold). `relation` says whether a rule's CIDR certainly, possibly or never covers it.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Generic, NamedTuple, TypeVar

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
T = TypeVar("T")


class Match(Enum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


@lru_cache(maxsize=65536)
def network(cidr: str) -> Network | None:
    """Parse a CIDR or a bare address; None when it is not one."""
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def covers(outer: Network, inner: Network) -> Match:
    """Does `outer` contain every address of `inner` (YES), some (MAYBE) or none (NO)?"""
    if outer.version != inner.version:
        return Match.NO
    if inner.subnet_of(outer):  # type: ignore[arg-type,unused-ignore]
        return Match.YES
    if outer.overlaps(inner):  # type: ignore[arg-type,unused-ignore]
        return Match.MAYBE
    return Match.NO


class Span(NamedTuple):
    """A CIDR block as integers: address family, first address, prefix length."""

    version: int
    first: int
    length: int

    @property
    def last(self) -> int:
        return self.first + (1 << ((32 if self.version == 4 else 128) - self.length)) - 1


@lru_cache(maxsize=65536)
def span(cidr: str) -> Span | None:
    """The CIDR (or bare address) as a `Span`; None when it is not one."""
    net = network(cidr)
    return Span(net.version, int(net.network_address), net.prefixlen) if net else None


class NestedIndex(Generic[T]):
    """The items of a set of CIDR blocks that lie inside a given block, by bisection.

    CIDR blocks nest or are disjoint, so a block that overlaps `outer` with a longer
    prefix lies inside it: its first address is in `outer`'s range. Blocks are kept per
    address family, sorted by their first address, so one query costs a bisection and
    the blocks it returns, not a scan of the whole set."""

    __slots__ = ("_firsts", "_items")

    def __init__(self, items: Iterable[tuple[Span, T]]) -> None:
        self._firsts: dict[int, list[int]] = {}
        self._items: dict[int, list[tuple[Span, T]]] = {}
        for block, item in sorted(items, key=lambda pair: (pair[0].version, pair[0].first)):
            self._firsts.setdefault(block.version, []).append(block.first)
            self._items.setdefault(block.version, []).append((block, item))

    def inside(self, outer: Span) -> list[tuple[Span, T]]:
        """The blocks strictly narrower than `outer` and inside it, with their items, in
        the order of their first address."""
        firsts = self._firsts.get(outer.version)
        if not firsts:
            return []
        lo = bisect.bisect_left(firsts, outer.first)
        hi = bisect.bisect_right(firsts, outer.last)
        return [pair for pair in self._items[outer.version][lo:hi] if pair[0].length > outer.length]


@dataclass(frozen=True, slots=True)
class Place:
    """One side of a flow: where it is and what it carries.

    Exactly one of `net` (an address or network), `prefix_list_id` (with its CIDRs when
    known) or `public=True` (some public address of an AWS service) says where it is.
    `groups` are the security groups of its network interface (for group references).
    """

    net: Network | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    prefix_list_id: str | None = None
    prefix_list_cidrs: tuple[Network, ...] | None = None
    public: bool = False
    aws_service: str | None = None  # the endpoint service name for public AWS addresses
    label: str = ""
    # The address family of a public or prefix-list place (a `net` carries its own): a
    # rule or route of the other family never covers it (an IPv4 flow is not matched by
    # ::/0, VPC user guide, "Route priority": IPv4 and IPv6 routes are separate).
    version: int = 4

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.net is not None:
            return str(self.net.network_address) if self.net.num_addresses == 1 else str(self.net)
        if self.prefix_list_id:
            return self.prefix_list_id
        return "public AWS addresses"


def address(ip: str, groups: frozenset[str] = frozenset(), label: str = "") -> Place:
    net = network(ip)
    return Place(net=net, groups=groups, label=label)


def public_service(service_name: str, label: str = "", version: int = 4) -> Place:
    """Some public address of an AWS service (e.g. `com.amazonaws.us-east-1.ssm`), of
    address family `version`."""
    return Place(public=True, aws_service=service_name, label=label, version=version)


def aws_prefix_list_matches(prefix_list_name: str | None, place: Place) -> Match | None:
    """An AWS-managed prefix list holds only its own service's addresses.

    Returns YES/NO when that settles it, None when the list is not an AWS service list
    or the place is not a public service address.
    """
    if not prefix_list_name or not prefix_list_name.startswith("com.amazonaws."):
        return None
    if place.aws_service is None:
        return None
    return Match.YES if prefix_list_name == place.aws_service else Match.NO


@lru_cache(maxsize=65536)  # pure, and asked again for every flow a rule is checked against
def relation(cidr: str, place: Place) -> Match:
    """Whether a rule's CIDR covers the place: certainly, possibly, or not at all.

    For a public service address only 0.0.0.0/0 (or ::/0) is certain: private ranges
    never hold it, any other public range may or may not.
    """
    net = network(cidr)
    if net is None:
        return Match.NO
    if place.net is None and net.version != place.version:
        return Match.NO
    if place.public:
        if net.prefixlen == 0:
            return Match.YES
        return Match.NO if net.is_private else Match.MAYBE
    if place.net is not None:
        return covers(net, place.net)
    if place.prefix_list_cidrs is not None:
        results = {covers(net, inner) for inner in place.prefix_list_cidrs}
        if results == {Match.YES}:
            return Match.YES
        if results == {Match.NO}:
            return Match.NO
        return Match.MAYBE
    if place.prefix_list_id is not None:
        # An AWS service's prefix list holds public addresses only: a private range never
        # covers them (its CIDRs may not be in the snapshot).
        if net.prefixlen == 0:
            return Match.YES
        return Match.NO if net.is_private else Match.MAYBE
    return Match.MAYBE
