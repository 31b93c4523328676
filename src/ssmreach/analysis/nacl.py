"""Stateless network ACL evaluation: rule order, the implicit deny, port ranges.

Rules are evaluated from the lowest number up; the first rule that matches a packet
decides; a packet no rule matches is denied (the `*` rule). A NACL applies only where
traffic enters or leaves a subnet, so a flow inside one subnet is not filtered.
Return traffic is a separate flow to the client's ephemeral ports.
Source: VPC user guide, "Network ACLs".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ssmreach.analysis.addresses import Match, Place, relation
from ssmreach.analysis.security_groups import protocol_matches
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws

EPHEMERAL_ALL = (1024, 65535)


@dataclass(frozen=True, slots=True)
class NaclDecision:
    outcome: Outcome
    rule: int | None  # the deciding rule number (None: the implicit deny)
    detail: str


def _entry_cidr(entry: aws.NetworkAclEntry) -> str | None:
    return entry.cidr_block or entry.ipv6_cidr_block


def _entry_ports(entry: aws.NetworkAclEntry) -> tuple[int, int]:
    if entry.port_range is None or entry.port_range.from_ is None or entry.port_range.to is None:
        return (0, 65535)
    return (entry.port_range.from_, entry.port_range.to)


def _without(ranges: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """The port ranges `ranges` less the ports `lo`-`hi` (which a rule has decided)."""
    rest: list[tuple[int, int]] = []
    for a, b in ranges:
        if b < lo or a > hi:
            rest.append((a, b))
            continue
        if a < lo:
            rest.append((a, lo - 1))
        if b > hi:
            rest.append((hi + 1, b))
    return rest


@lru_cache(maxsize=16384)  # pure; instances of one VPC cross the same ACLs to the same peers
def evaluate(
    acl: aws.NetworkAcl, *, egress: bool, peer: Place, ports: tuple[int, int]
) -> NaclDecision:
    """Does the NACL let TCP traffic to/from `peer` on every port of `ports` through?

    PASS: every port is allowed; FAIL: some port is certainly denied; UNKNOWN: the
    answer depends on where `peer` is exactly (a rule may or may not cover it).
    """
    lo, hi = ports
    undecided: list[tuple[int, int]] = [(lo, hi)]
    uncertain = False
    first_allow: int | None = None
    direction = "outbound" if egress else "inbound"
    span = f"TCP {lo}" if lo == hi else f"TCP {lo}-{hi}"
    for entry in sorted(
        (e for e in acl.entries if e.egress == egress), key=lambda e: e.rule_number
    ):
        if not undecided:
            break
        if not protocol_matches(entry.protocol):
            continue
        cidr = _entry_cidr(entry)
        match = relation(cidr, peer) if cidr else Match.NO
        if match is Match.NO:
            continue
        elo, ehi = _entry_ports(entry)
        hit = [(max(a, elo), min(b, ehi)) for a, b in undecided if max(a, elo) <= min(b, ehi)]
        if not hit:
            continue
        allow = entry.rule_action.lower() == "allow"
        if match is Match.MAYBE:
            uncertain = True
            continue
        if not allow:
            if uncertain:
                return NaclDecision(
                    Outcome.UNKNOWN,
                    entry.rule_number,
                    f"{acl.network_acl_id}: rule {entry.rule_number} denies {direction} {span} unless an earlier rule, which may or may not cover {peer.describe()}, allows it",
                )
            label = "the * rule" if entry.rule_number >= 32767 else f"rule {entry.rule_number}"
            return NaclDecision(
                Outcome.FAIL,
                entry.rule_number,
                f"{acl.network_acl_id} {label} denies {direction} {span} {'to' if egress else 'from'} {peer.describe()}",
            )
        first_allow = first_allow or entry.rule_number
        undecided = _without(undecided, elo, ehi)
    if undecided:
        if uncertain:
            return NaclDecision(
                Outcome.UNKNOWN,
                None,
                f"{acl.network_acl_id}: whether {direction} {span} {'to' if egress else 'from'} {peer.describe()} is allowed depends on addresses the snapshot does not hold",
            )
        a, b = undecided[0]
        return NaclDecision(
            Outcome.FAIL,
            None,
            f"{acl.network_acl_id}: no rule allows {direction} TCP {a}{'' if a == b else f'-{b}'} {'to' if egress else 'from'} {peer.describe()} (implicit deny)",
        )
    if uncertain:
        return NaclDecision(
            Outcome.UNKNOWN,
            None,
            f"{acl.network_acl_id}: a deny rule may cover {peer.describe()} ({direction} {span})",
        )
    return NaclDecision(
        Outcome.PASS,
        first_allow,
        f"{acl.network_acl_id} rule {first_allow} allows {direction} {span} {'to' if egress else 'from'} {peer.describe()}",
    )
