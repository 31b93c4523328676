"""DNS as the node sees it: its resolvers, an injectable resolver, and what an address is."""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, Any

from .constants import AMAZON_DNS
from .deadline import ProbeUsageError
from .helpers import read_text

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Mapping, Sequence

    from .config import ProbeConfig
    from .constants import Network, Resolver


def system_resolver(host: str, port: int) -> list[str]:
    """The node's own answer for a name, in the order a client would try it."""
    out: list[str] = []
    for info in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        address = str(info[4][0])
        if address not in out:
            out.append(address)
    return out


def mapping_resolver(mapping: Mapping[str, Sequence[str]], fallback: Resolver | None) -> Resolver:
    """A resolver from `host=ip,ip` pairs (`*` for any other name; no address: NXDOMAIN)."""

    def resolve(host: str, port: int) -> list[str]:
        addresses = mapping.get(host.lower())
        if addresses is None:
            addresses = mapping.get("*")
        if addresses is None:
            if fallback is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return fallback(host, port)
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(addresses)

    return resolve


def parse_resolve_options(values: Sequence[str]) -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise ProbeUsageError(f"--resolve takes HOST=IP[,IP...] (got {value!r})")
        mapping[name.strip().lower()] = [a.strip() for a in rest.split(",") if a.strip()]
    return mapping


def parse_resolv_conf(text: str) -> dict[str, Any]:
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        if parts[0] == "nameserver" and len(parts) > 1:
            nameservers.append(parts[1])
        elif parts[0] in ("search", "domain"):
            search.extend(parts[1:])
        elif parts[0] == "options":
            options.extend(parts[1:])
    return {"nameservers": nameservers, "search": search, "options": options}


def resolver_kind(address: str, vpc_cidrs: Sequence[str]) -> str:
    if address in AMAZON_DNS:
        return "amazon"
    for cidr in vpc_cidrs:
        try:
            net = ipaddress.ip_network(cidr, strict=False)
            if ipaddress.ip_address(address) == net.network_address + 2:
                return "amazon"
        except ValueError:
            continue
    if address == "127.0.0.53":
        return "local-stub"
    try:
        if ipaddress.ip_address(address).is_loopback:
            return "local"
    except ValueError:
        return "custom"
    return "custom"


def resolver_facts(config: ProbeConfig, vpc_cidrs: Sequence[str]) -> dict[str, Any]:
    if config.platform.startswith("win"):
        return {"file": None, "nameservers": [], "note": "not read on Windows"}
    if not config.resolv_conf:
        return {"file": None, "nameservers": [], "note": "not read"}
    text = read_text(config.resolv_conf)
    if text is None:
        return {"file": config.resolv_conf, "nameservers": [], "note": "cannot be read"}
    facts = parse_resolv_conf(text)
    facts["file"] = config.resolv_conf
    facts["kinds"] = {ns: resolver_kind(ns, vpc_cidrs) for ns in facts["nameservers"]}
    if "local-stub" in facts["kinds"].values() and config.resolved_upstream:
        upstream = read_text(config.resolved_upstream)
        if upstream is not None:
            servers = parse_resolv_conf(upstream)["nameservers"]
            facts["upstream"] = {ns: resolver_kind(ns, vpc_cidrs) for ns in servers}
    return facts


def address_kind(
    address: str, vpc_nets: Sequence[Network], public_nets: Sequence[Network] = ()
) -> str:
    """vpc (in the VPC's CIDRs), private (RFC 1918, CGNAT, ULA), public, local or link-local."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "invalid"
    if any(ip.version == net.version and ip in net for net in public_nets):
        return "public"
    if any(ip.version == net.version and ip in net for net in vpc_nets):
        return "vpc"
    if ip.is_loopback:
        return "local"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private or ip in ipaddress.ip_network("100.64.0.0/10"):
        return "private"
    return "public"


def _vpc_networks(cidrs: Sequence[str]) -> list[Network]:
    nets: list[Network] = []
    for cidr in cidrs:
        try:
            nets.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    return nets


def _describe_address(entry: Mapping[str, Any]) -> str:
    text = "{} ({}".format(entry["address"], entry["kind"])
    if entry.get("endpoint"):
        text += ", {} {}".format(entry["endpoint"], entry.get("eni") or "")
        text = text.rstrip()
    return text + ")"
