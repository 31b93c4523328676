"""On-premises sites: the networks hybrid nodes live in, how they enter AWS, their DNS.

A *site* is what the user states in a `--sites` file (YAML or JSON, schema in
`docs/sites.schema.json`), or what `site_inference.infer_sites` reads off the AWS data
when there is no file. Each has a name, its address space (CIDRs), the ways it enters
AWS (a VPN connection, a virtual private gateway, a transit gateway attachment, a Direct
Connect gateway), its DNS resolvers and what they forward (domain → target addresses).
DNS forwarding can never be inferred: it is declared, or proven by a probe.

`parse_sites` turns the file's text into `Sites`, or raises `SitesError` naming the file
and the first problem on one line. `site_of` finds the site of a node's address (the
longest matching prefix); no site is a `NoSite` with the reason, for an UNKNOWN later.
Pure: reading the file is the caller's job.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import yaml

from ssmreach.errors import SitesError

EntryKind = Literal["vpn", "vgw", "tgw_attachment", "dx_gateway"]
ENTRY_KINDS: tuple[EntryKind, ...] = ("vpn", "vgw", "tgw_attachment", "dx_gateway")

_ENTRY_IDS: dict[EntryKind, re.Pattern[str]] = {
    "vpn": re.compile(r"^vpn-[0-9a-f]{8,17}$"),
    "vgw": re.compile(r"^vgw-[0-9a-f]{8,17}$"),
    "tgw_attachment": re.compile(r"^tgw-attach-[0-9a-f]{8,17}$"),
    # Direct Connect gateway ids are UUIDs (Direct Connect API reference, DirectConnectGateway)
    "dx_gateway": re.compile(
        r"^[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}$"
    ),
}
_NODE_ID = re.compile(r"^mi-[0-9a-f]{17}$")
_DOMAIN = re.compile(
    r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class SiteEntry:
    """One way a site enters AWS; `kind` comes from the key the file (or AWS) names it by."""

    kind: EntryKind
    id: str


@dataclass(frozen=True, slots=True)
class Forward:
    """What a site's resolvers forward: queries for `domain` (and its subdomains) go to
    `targets` (the addresses of an inbound Resolver endpoint, when done right)."""

    domain: str
    targets: tuple[Address, ...]


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    cidrs: tuple[Network, ...]
    via: tuple[SiteEntry, ...] = ()
    resolvers: tuple[Address, ...] = ()
    forwards: tuple[Forward, ...] = ()
    proxy: str | None = None
    nodes: tuple[str, ...] = ()  # hybrid node ids placed here whatever their address
    infer: bool = False  # the CIDRs are to be read off the AWS data of `via`
    inferred: bool = False  # built from AWS data, not stated by the user
    evidence: tuple[str, ...] = ()  # for an inferred site: the AWS facts it comes from
    account: str | None = None  # for an inferred site: where its entry lives
    region: str | None = None

    def forward_for(self, name: str) -> Forward | None:
        """The forward that takes a query for `name`: the longest matching domain."""
        name = name.rstrip(".").lower()
        best: Forward | None = None
        for fwd in self.forwards:
            domain = fwd.domain.removeprefix("*.")
            if (name == domain or name.endswith("." + domain)) and (
                best is None or len(domain) > len(best.domain.removeprefix("*."))
            ):
                best = fwd
        return best


@dataclass(frozen=True, slots=True)
class Sites:
    """The sites of a run: from a file (`source` its path) or inferred (`inferred`)."""

    sites: tuple[Site, ...] = ()
    source: str | None = None
    inferred: bool = False
    notes: tuple[str, ...] = ()  # what inference could not settle

    def by_name(self, name: str) -> Site | None:
        return next((s for s in self.sites if s.name == name), None)


# --- the file ---------------------------------------------------------------------------------


class _Via(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    vpn: str | None = None
    vgw: str | None = None
    tgw_attachment: str | None = None
    dx_gateway: str | None = None


class _SiteDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: str
    cidrs: list[str] | msgspec.UnsetType = msgspec.UNSET
    infer: bool = False
    via: _Via | list[_Via] | None = None
    resolvers: list[str] = []
    forwards: dict[str, list[str]] = {}
    proxy: str | None = None
    nodes: list[str] = []


class _SitesDoc(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    sites: list[_SiteDoc]


def _load(text: str, path: str) -> Any:
    """The document: JSON for a `.json` file, YAML (which reads JSON too) otherwise."""
    if path.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SitesError(path, f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SitesError(path, f"not valid YAML: {exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise SitesError(path, f"not valid YAML: {exc}") from None


def _where(message: str) -> str:
    """msgspec's `... - at `$.sites[0].cidrs`` as `sites[0].cidrs: ...`."""
    found = re.match(r"^(.*) - at `\$\.?(.*)`$", message)
    if not found:
        return message
    problem, where = found.groups()
    return f"{where}: {problem}" if where else problem


def _network(value: str, where: str, path: str) -> Network:
    if "/" not in value:
        raise SitesError(path, f"{where}: {value!r} is not a CIDR (it has no prefix length)")
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise SitesError(path, f"{where}: {value!r} is not a CIDR ({exc})") from None


def _address(value: str, where: str, path: str) -> Address:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise SitesError(path, f"{where}: {value!r} is not an IP address") from None


def _entries(via: _Via | list[_Via] | None, where: str, path: str) -> tuple[SiteEntry, ...]:
    listed = [] if via is None else via if isinstance(via, list) else [via]
    entries: list[SiteEntry] = []
    for n, item in enumerate(listed):
        at = f"{where}.via" + (f"[{n}]" if isinstance(via, list) else "")
        named = [(k, getattr(item, k)) for k in ENTRY_KINDS if getattr(item, k) is not None]
        if not named:
            raise SitesError(path, f"{at}: names no entry (one of {', '.join(ENTRY_KINDS)})")
        for kind, value in named:
            if not _ENTRY_IDS[kind].match(value):
                raise SitesError(path, f"{at}.{kind}: {value!r} is not a {kind} id")
            entries.append(SiteEntry(kind, value))
    return tuple(entries)


def _site(doc: _SiteDoc, n: int, path: str) -> Site:
    where = f"sites[{n}]"
    if not doc.name.strip():
        raise SitesError(path, f"{where}.name: is empty")
    where = f"sites[{n}] ({doc.name})"
    via = _entries(doc.via, where, path)
    if doc.cidrs is msgspec.UNSET and not doc.infer:
        raise SitesError(path, f"{where}: has neither cidrs nor infer: true")
    if doc.infer and not via:
        raise SitesError(path, f"{where}: infer: true needs via (the entry to infer from)")
    forwards = []
    for domain, targets in doc.forwards.items():
        name = domain.rstrip(".").lower()
        if not _DOMAIN.match(name):
            raise SitesError(path, f"{where}.forwards: {domain!r} is not a domain name")
        if not targets:
            raise SitesError(path, f"{where}.forwards.{domain}: lists no target address")
        addresses = tuple(
            _address(t, f"{where}.forwards.{domain}[{i}]", path) for i, t in enumerate(targets)
        )
        forwards.append(Forward(name, addresses))
    for i, node in enumerate(doc.nodes):
        if not _NODE_ID.match(node):
            raise SitesError(path, f"{where}.nodes[{i}]: {node!r} is not a hybrid node id (mi-…)")
    return Site(
        name=doc.name,
        cidrs=tuple(
            _network(c, f"{where}.cidrs[{i}]", path) for i, c in enumerate(doc.cidrs or [])
        ),
        via=via,
        resolvers=tuple(
            _address(r, f"{where}.resolvers[{i}]", path) for i, r in enumerate(doc.resolvers)
        ),
        forwards=tuple(forwards),
        proxy=doc.proxy,
        nodes=tuple(doc.nodes),
        infer=doc.infer,
    )


def parse_sites(text: str, path: str) -> Sites:
    """The sites of a `--sites` file's text; `SitesError` (one line, naming `path`) for a
    file that is not YAML/JSON, does not match the schema, or states something impossible."""
    loaded = _load(text, path)
    if not isinstance(loaded, Mapping):
        raise SitesError(path, "expected a mapping with a `sites` list at the top")
    try:
        doc = msgspec.convert(loaded, _SitesDoc, strict=True)
    except msgspec.ValidationError as exc:
        raise SitesError(path, _where(str(exc))) from None
    sites = tuple(_site(s, n, path) for n, s in enumerate(doc.sites))
    _no_repeats(sites, path)
    return Sites(sites, source=path)


def _no_repeats(sites: Iterable[Site], path: str) -> None:
    names: set[str] = set()
    placed: dict[str, str] = {}
    for site in sites:
        if site.name in names:
            raise SitesError(path, f"two sites are named {site.name!r}")
        names.add(site.name)
        for node in site.nodes:
            if node in placed:
                raise SitesError(
                    path, f"{node} is placed in two sites, {placed[node]} and {site.name}"
                )
            placed[node] = site.name


# --- which site a node is in ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteFound:
    site: Site
    cidr: Network | None  # None: the site lists the node by id
    how: Literal["listed", "address"]


@dataclass(frozen=True, slots=True)
class NoSite:
    """No site holds the node; `reason` says why (for an UNKNOWN naming it)."""

    reason: str
    candidates: tuple[str, ...] = field(default=())  # sites tied for the longest prefix


def site_of(sites: Sites, address: str | None, node_id: str | None = None) -> SiteFound | NoSite:
    """The site of a node: one that lists its id, else the site with the longest CIDR
    holding its address. Two sites tied on the longest prefix are `NoSite` (ambiguous)."""
    if node_id is not None:
        for site in sites.sites:
            if node_id in site.nodes:
                return SiteFound(site, None, "listed")
    if not address:
        return NoSite("the node reports no IP address")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return NoSite(f"the node's address {address!r} is not an IP address")
    best: list[tuple[Site, Network]] = []
    for site in sites.sites:
        for cidr in site.cidrs:
            if ip.version != cidr.version or ip not in cidr:
                continue
            if not best or cidr.prefixlen > best[0][1].prefixlen:
                best = [(site, cidr)]
            elif cidr.prefixlen == best[0][1].prefixlen and site is not best[0][0]:
                best.append((site, cidr))
    if not best:
        where = "declared" if not sites.inferred else "inferred"
        return NoSite(f"{address} is in none of the {len(sites.sites)} {where} sites' CIDRs")
    if len({id(s) for s, _ in best}) > 1:
        names = tuple(sorted({s.name for s, _ in best}))
        return NoSite(f"{address} is in {best[0][1]} of {' and '.join(names)}", names)
    return SiteFound(best[0][0], best[0][1], "address")
