"""Sites read off the AWS data, for a run without a `--sites` file (and for a declared
site with `infer: true`).

One site per way into AWS, each marked `inferred` with the facts it comes from:

- a Site-to-Site VPN connection: its static routes (`Routes[].DestinationCidrBlock`), its
  `RemoteIpv4NetworkCidr` when it is not 0.0.0.0/0, and the transit gateway routes to
  its attachment (propagated over BGP, or static);
- a transit gateway attachment of type `direct-connect-gateway` or `connect`: the transit
  gateway routes to it;
- a virtual private gateway: the VPC routes to it (static, or propagated:
  `Origin: EnableVgwRoutePropagation`) that no VPN site on it already holds; with one VPN
  and no Direct Connect association they join that VPN's site instead.

A Direct Connect association's `allowedPrefixesToDirectConnectGateway` are the prefixes
AWS advertises *to* the site (the VPC side), not the site's own: they are never taken as
site CIDRs. DNS forwarding is never inferred.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import defaultdict
from collections.abc import Iterable

from ssmreach.model.estate import Estate, Gap, RegionData
from ssmreach.model.hybrid import VpnConnection
from ssmreach.model.route_targets import VirtualPrivateGateway
from ssmreach.model.sites import Network, Site, SiteEntry, Sites

__all__ = ["infer_site", "infer_sites"]

_ANY = {"0.0.0.0/0", "::/0"}
_ONPREM_ATTACHMENTS = frozenset({"vpn", "direct-connect-gateway", "connect"})


def _networks(values: Iterable[str]) -> tuple[Network, ...]:
    found: dict[Network, None] = {}
    for value in values:
        try:
            found[ipaddress.ip_network(value, strict=False)] = None
        except ValueError:
            continue  # the reader has checked the CIDRs it relies on; others are skipped
    return tuple(found)


def _tgw_routes_to(region: RegionData, attachment_id: str) -> list[tuple[str, str]]:
    """(CIDR, evidence) of each transit gateway route that goes to the attachment."""
    found = []
    for table_id, routes in region.tgw_routes.items():
        if isinstance(routes, Gap):
            continue
        for route in routes:
            if route.destination_cidr_block is None or route.state != "active":
                continue
            if any(
                a.transit_gateway_attachment_id == attachment_id
                for a in route.transit_gateway_attachments
            ):
                kind = route.type or "static"
                found.append(
                    (
                        route.destination_cidr_block,
                        f"{kind} route {route.destination_cidr_block} in {table_id} to {attachment_id}",
                    )
                )
    return found


def _vgw_routes(region: RegionData, vgw_id: str) -> list[tuple[str, str]]:
    """(CIDR, evidence) of each VPC route to the virtual private gateway."""
    found = []
    for table in region.route_tables.values():
        for route in table.routes:
            target = region.target_of(route)
            if not isinstance(target, VirtualPrivateGateway) or target.id != vgw_id:
                continue
            if route.destination_cidr_block is None or route.destination_cidr_block in _ANY:
                continue
            how = "propagated" if route.origin == "EnableVgwRoutePropagation" else "static"
            found.append(
                (
                    route.destination_cidr_block,
                    f"{how} route {route.destination_cidr_block} in {table.route_table_id} to {vgw_id}",
                )
            )
    return found


def _vpn_attachment(region: RegionData, vpn: VpnConnection) -> str | None:
    for attachment in region.tgw_attachments.values():
        if attachment.resource_type == "vpn" and attachment.resource_id == vpn.vpn_connection_id:
            return attachment.transit_gateway_attachment_id
    return None


def _vpn_site(region: RegionData, vpn: VpnConnection) -> tuple[Site, str | None]:
    facts = [(c, f"static route {c} of {vpn.vpn_connection_id}") for c in vpn.static_cidrs]
    remote = vpn.options.remote_ipv4_network_cidr if vpn.options else None
    if remote and remote not in _ANY:
        facts.append((remote, f"RemoteIpv4NetworkCidr {remote} of {vpn.vpn_connection_id}"))
    via = [SiteEntry("vpn", vpn.vpn_connection_id)]
    attachment = _vpn_attachment(region, vpn)
    if vpn.vpn_gateway_id:
        via.append(SiteEntry("vgw", vpn.vpn_gateway_id))
    if attachment is not None:
        via.append(SiteEntry("tgw_attachment", attachment))
        facts += _tgw_routes_to(region, attachment)
    name = next((t.value for t in vpn.tags if t.key == "Name" and t.value), vpn.vpn_connection_id)
    return _site(region, name, facts, via), vpn.vpn_gateway_id


def _site(
    region: RegionData, name: str, facts: list[tuple[str, str]], via: list[SiteEntry]
) -> Site:
    return Site(
        name=name,
        cidrs=_networks(c for c, _ in facts),
        via=tuple(via),
        inferred=True,
        evidence=tuple(dict.fromkeys(e for _, e in facts)),
        account=region.account,
        region=region.region,
    )


def _dx_gateways_of(estate: Estate, account: str, gateway_id: str) -> list[str]:
    """The Direct Connect gateways associated with a virtual private or transit gateway."""
    data = estate.accounts.get(account)
    found = []
    for gid, info in (data.direct_connect_gateways if data else {}).items():
        if isinstance(info.associations, Gap):
            continue
        if any(
            a.associated_gateway and a.associated_gateway.id == gateway_id
            for a in info.associations
        ):
            found.append(gid)
    return found


def _region_sites(estate: Estate, region: RegionData) -> list[Site]:
    sites: list[Site] = []
    vpn_sites_by_vgw: dict[str, list[int]] = defaultdict(list)
    for vpn in region.hybrid.vpn_connections.values():
        site, vgw = _vpn_site(region, vpn)
        if vgw:
            vpn_sites_by_vgw[vgw].append(len(sites))
        sites.append(site)
    for vgw_id in region.hybrid.vpn_gateways:
        facts = _vgw_routes(region, vgw_id)
        dx = _dx_gateways_of(estate, region.account, vgw_id)
        on_it = vpn_sites_by_vgw.get(vgw_id, [])
        if len(on_it) == 1 and not dx:
            old = sites[on_it[0]]
            sites[on_it[0]] = dataclasses.replace(
                old,
                cidrs=tuple(dict.fromkeys((*old.cidrs, *_networks(c for c, _ in facts)))),
                evidence=tuple(dict.fromkeys((*old.evidence, *(e for _, e in facts)))),
            )
            continue
        held = {c for n in on_it for c in sites[n].cidrs}
        rest = [(c, e) for c, e in facts if _networks([c])[0] not in held]
        if rest or dx:
            via = [SiteEntry("vgw", vgw_id), *(SiteEntry("dx_gateway", g) for g in dx)]
            sites.append(_site(region, vgw_id, rest, via))
    for attachment in region.tgw_attachments.values():
        kind = attachment.resource_type or ""
        if kind not in _ONPREM_ATTACHMENTS or kind == "vpn" or attachment.state != "available":
            continue
        via = [SiteEntry("tgw_attachment", attachment.transit_gateway_attachment_id)]
        if kind == "direct-connect-gateway" and attachment.resource_id:
            via.append(SiteEntry("dx_gateway", attachment.resource_id))
        facts = _tgw_routes_to(region, attachment.transit_gateway_attachment_id)
        sites.append(_site(region, attachment.transit_gateway_attachment_id, facts, via))
    return sites


def _notes(estate: Estate, sites: list[Site]) -> list[str]:
    notes = []
    for _, region in sorted(estate.regions.items(), key=lambda item: item[0]):
        for op in (
            "DescribeVpnConnections",
            "DescribeVpnGateways",
            "SearchTransitGatewayRoutes",
            "DescribeRouteTables",
        ):
            gap = region.gap(op)
            if gap is not None:
                notes.append(f"{gap.describe()}: sites entering there may be missing or lack CIDRs")
    notes += [
        f"site {s.name}: no CIDR of the site is known from AWS data" for s in sites if not s.cidrs
    ]
    return notes


def infer_sites(estate: Estate) -> Sites:
    """Every site the AWS data shows, marked inferred, with what could not be settled."""
    sites = [
        s
        for _, region in sorted(estate.regions.items(), key=lambda item: item[0])
        for s in _region_sites(estate, region)
    ]
    return Sites(tuple(sites), inferred=True, notes=tuple(_notes(estate, sites)))


def infer_site(estate: Estate, site: Site) -> Site:
    """A declared site with `infer: true`: its CIDRs completed from the inferred sites that
    share one of its entries."""
    if not site.infer:
        return site
    entries = set(site.via)
    found = [s for s in infer_sites(estate).sites if entries & set(s.via)]
    cidrs = tuple(dict.fromkeys((*site.cidrs, *(c for s in found for c in s.cidrs))))
    evidence = tuple(dict.fromkeys(e for s in found for e in s.evidence))
    return dataclasses.replace(site, cidrs=cidrs, evidence=evidence)
