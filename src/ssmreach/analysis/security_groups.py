"""Stateful security-group evaluation: does some rule of some group allow TCP 443?

Security groups hold allow rules only; the rules of all attached groups are unioned,
and return traffic is allowed automatically (stateful). A rule's peer is a CIDR, a
prefix list (its CIDRs) or a security group (the peer's interface carries it).
Source: VPC user guide, "Security group rules".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ssmreach.analysis.addresses import Match, Place, aws_prefix_list_matches, relation
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model.estate import PrefixListInfo

HTTPS = 443


def protocol_matches(ip_protocol: str, protocol: str = "tcp") -> bool:
    value = str(ip_protocol).lower()
    return value in ("-1", "all") or value == protocol or (protocol == "tcp" and value == "6")


def port_matches(from_port: int | None, to_port: int | None, port: int) -> bool:
    if from_port is None or to_port is None or from_port == -1 or to_port == -1:
        return True
    return from_port <= port <= to_port


@dataclass(frozen=True, slots=True)
class SgDecision:
    outcome: Outcome
    group: str | None  # the group whose rule decided (or the first group for a deny)
    detail: str


def _peer_match(
    perm: aws.IpPermission, peer: Place, prefix_lists: Mapping[str, PrefixListInfo]
) -> tuple[Match, str]:
    best = Match.NO
    why = ""
    for pair in perm.user_id_group_pairs:
        if pair.group_id and pair.group_id in peer.groups:
            return Match.YES, f"group {pair.group_id}"
    for rng in perm.ip_ranges:
        m = relation(rng.cidr_ip, peer)
        if m is Match.YES:
            return m, rng.cidr_ip
        if m is Match.MAYBE and best is Match.NO:
            best, why = m, rng.cidr_ip
    for rng6 in perm.ipv6_ranges:
        m = relation(rng6.cidr_ipv6, peer)
        if m is Match.YES:
            return m, rng6.cidr_ipv6
        if m is Match.MAYBE and best is Match.NO:
            best, why = m, rng6.cidr_ipv6
    for pl in perm.prefix_list_ids:
        if peer.prefix_list_id and pl.prefix_list_id == peer.prefix_list_id:
            return Match.YES, pl.prefix_list_id
        info = prefix_lists.get(pl.prefix_list_id)
        settled = aws_prefix_list_matches(info.name if info else None, peer)
        if settled is Match.YES:
            return Match.YES, pl.prefix_list_id
        if settled is Match.NO:
            continue
        if info is None or info.cidrs is None:
            if not peer.public or best is Match.NO:
                best, why = Match.MAYBE, f"{pl.prefix_list_id} (its CIDRs are not in the snapshot)"
            continue
        results = {relation(c, peer) for c in info.cidrs}
        if Match.YES in results:
            return Match.YES, pl.prefix_list_id
        if Match.MAYBE in results and best is Match.NO:
            best, why = Match.MAYBE, pl.prefix_list_id
    return best, why


def evaluate(
    groups: Sequence[aws.SecurityGroup],
    *,
    egress: bool,
    peer: Place,
    prefix_lists: Mapping[str, PrefixListInfo],
    port: int = HTTPS,
) -> SgDecision:
    """Does any rule of `groups` allow TCP `port` to (egress) or from (ingress) `peer`?"""
    maybe: tuple[str, str] | None = None
    direction = "outbound" if egress else "inbound"
    for group in groups:
        perms = group.ip_permissions_egress if egress else group.ip_permissions
        for perm in perms:
            if not protocol_matches(perm.ip_protocol) or not port_matches(
                perm.from_port, perm.to_port, port
            ):
                continue
            match, what = _peer_match(perm, peer, prefix_lists)
            if match is Match.YES:
                return SgDecision(
                    Outcome.PASS,
                    group.group_id,
                    f"{group.group_id} allows {direction} TCP {port} {'to' if egress else 'from'} {what}",
                )
            if match is Match.MAYBE and maybe is None:
                maybe = (group.group_id, what)
    names = ", ".join(g.group_id for g in groups) or "no groups"
    if maybe is not None:
        return SgDecision(
            Outcome.UNKNOWN,
            maybe[0],
            f"{maybe[0]} allows {direction} TCP {port} only for {maybe[1]}, which may or may not cover {peer.describe()}",
        )
    return SgDecision(
        Outcome.FAIL,
        groups[0].group_id if groups else None,
        f"no {direction} rule of {names} allows TCP {port} {'to' if egress else 'from'} {peer.describe()}",
    )
