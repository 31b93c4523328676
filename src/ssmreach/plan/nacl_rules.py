"""Network ACL allow entries that let the planned paths through (pure; used by the planner).

The engine checks a path between an instance subnet and an endpoint subnet as four
network ACL crossings (`analysis.network.check_nacls_to_target`), and the path to S3
through a gateway endpoint as two crossings of the instance subnet
(`check_own_subnet`). For each crossing that the ACL denies, an allow entry is planned:

- at subnet granularity, never for one address: between an instance subnet and an
  endpoint subnet the entry names the other subnet's CIDR;
- to S3 through the gateway endpoint the entry names 0.0.0.0/0: S3 has many public
  address ranges, which change, and AWS documents 0.0.0.0/0 as the usual practice for
  network ACL return traffic;
- TCP 443 for requests, the instance platform's ephemeral range
  (`analysis.engine.ephemeral_ports`) for replies;
- numbered before the first entry that may deny part of the flow (the largest free
  number below it), or, when only the implicit deny (`*`) stops it, the smallest free
  multiple of 10 from 100 up. A number used by any entry of that direction is never
  taken, so nothing is replaced; when no number is free the crossing stays a manual step.

Entries are planned against a working copy of each ACL that holds the entries planned
so far, so a second instance of the same subnet needs nothing more, and every entry is
re-evaluated with `analysis.nacl.evaluate` before it is kept. Paths through internet or
NAT gateways are not opened: the plan replaces them with endpoints.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ssmreach.analysis import nacl
from ssmreach.analysis.addresses import Match, Place, network, relation
from ssmreach.analysis.security_groups import protocol_matches
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model.estate import RegionData
from ssmreach.plan.changes import AddNetworkAclEntry, Finding

__all__ = [
    "ANYWHERE",
    "HTTPS",
    "Crossing",
    "NaclPlanner",
    "Problem",
    "Target",
    "endpoint_crossings",
    "gateway_crossings",
    "rule_number",
]

HTTPS = (443, 443)
ANYWHERE = "0.0.0.0/0"
FIRST_NUMBER = 100
LAST_NUMBER = 32766  # 32767 is the `*` rule


@dataclass(frozen=True, slots=True)
class Crossing:
    """One time a flow crosses a subnet boundary: the ACL of `subnet_id` must allow TCP
    `ports` in that direction for `peer` (what the engine checks); `cidr` covers `peer`."""

    subnet_id: str
    egress: bool
    peer: Place
    cidr: str
    ports: tuple[int, int]
    what: str


@dataclass(frozen=True, slots=True)
class Target:
    """Where an endpoint network interface is (or will be): its subnet and its address."""

    subnet: aws.Subnet
    place: Place


@dataclass(frozen=True, slots=True)
class Problem:
    """A denied crossing the plan cannot fix: it stays a manual step."""

    code: str
    acl_id: str
    message: str
    fix: str


def _span(ports: tuple[int, int]) -> str:
    lo, hi = ports
    return f"TCP {lo}" if lo == hi else f"TCP {lo}-{hi}"


def endpoint_crossings(
    client: aws.Subnet,
    client_place: Place,
    ephemeral: tuple[int, int],
    target: Target,
) -> list[Crossing]:
    """The four crossings between an instance subnet and an endpoint subnet (none when
    they are the same subnet: a network ACL does not filter traffic inside its subnet)."""
    if (
        target.subnet.subnet_id == client.subnet_id
        or not client.cidr_block
        or not target.subnet.cidr_block
    ):
        return []
    own, other = client.subnet_id, target.subnet.subnet_id
    return [
        Crossing(
            own, True, target.place, target.subnet.cidr_block, HTTPS, f"request leaving {own}"
        ),
        Crossing(other, False, client_place, client.cidr_block, HTTPS, f"request entering {other}"),
        Crossing(other, True, client_place, client.cidr_block, ephemeral, f"reply leaving {other}"),
        Crossing(
            own, False, target.place, target.subnet.cidr_block, ephemeral, f"reply entering {own}"
        ),
    ]


def gateway_crossings(client: aws.Subnet, s3: Place, ephemeral: tuple[int, int]) -> list[Crossing]:
    """S3 through a gateway endpoint: the request leaving and the reply entering the
    instance subnet, to and from 0.0.0.0/0 (S3's public ranges are many)."""
    own = client.subnet_id
    return [
        Crossing(own, True, s3, ANYWHERE, HTTPS, f"request leaving {own} for S3"),
        Crossing(own, False, s3, ANYWHERE, ephemeral, f"reply from S3 entering {own}"),
    ]


def _entry_ports(entry: aws.NetworkAclEntry) -> tuple[int, int]:
    if entry.port_range is None or entry.port_range.from_ is None or entry.port_range.to is None:
        return (0, 65535)
    return (entry.port_range.from_, entry.port_range.to)


def _limit(
    entries: Iterable[aws.NetworkAclEntry], egress: bool, peer: Place, ports: tuple[int, int]
) -> int | None:
    """The number of the first entry that may deny part of the flow, or leave it uncertain
    (a deny that covers it, or any entry that may or may not cover the peer); None when
    only the `*` rule does."""
    lo, hi = ports
    for entry in sorted((e for e in entries if e.egress == egress), key=lambda e: e.rule_number):
        if not protocol_matches(entry.protocol):
            continue
        cidr = entry.cidr_block or entry.ipv6_cidr_block
        match = relation(cidr, peer) if cidr else Match.NO
        if match is Match.NO:
            continue
        elo, ehi = _entry_ports(entry)
        if max(lo, elo) > min(hi, ehi):
            continue
        if entry.rule_action.lower() != "allow" or match is Match.MAYBE:
            return None if entry.rule_number > LAST_NUMBER else entry.rule_number
    return None


def rule_number(
    entries: Sequence[aws.NetworkAclEntry], egress: bool, limit: int | None
) -> int | None:
    """A number no entry of that direction uses: the largest below `limit`, or (no limit)
    the smallest free multiple of 10 from 100 up, else any free number."""
    used = {e.rule_number for e in entries if e.egress == egress}
    if limit is not None:
        return next((n for n in range(limit - 1, 0, -1) if n not in used), None)
    candidates = itertools.chain(
        range(FIRST_NUMBER, LAST_NUMBER + 1, 10), range(1, LAST_NUMBER + 1)
    )
    return next((n for n in candidates if n not in used), None)


@dataclass(slots=True)
class _Planned:
    change: AddNetworkAclEntry
    findings: set[Finding] = field(default_factory=set)


class NaclPlanner:
    """The entries planned so far, per ACL, and the crossings they make pass."""

    def __init__(self) -> None:
        self._entries: dict[str, list[aws.NetworkAclEntry]] = {}
        self._planned: dict[str, _Planned] = {}

    def acl(self, region: RegionData, subnet_id: str) -> aws.NetworkAcl | None:
        """The subnet's ACL with the entries planned so far."""
        acl_id = region.subnet_network_acl.get(subnet_id)
        acl = region.network_acls.get(acl_id) if acl_id else None
        if acl is None:
            return None
        entries = self._entries.setdefault(acl.network_acl_id, list(acl.entries))
        return aws.NetworkAcl(
            network_acl_id=acl.network_acl_id,
            vpc_id=acl.vpc_id,
            is_default=acl.is_default,
            associations=acl.associations,
            entries=tuple(entries),
        )

    def _passes(self, region: RegionData, crossing: Crossing) -> bool | None:
        acl = self.acl(region, crossing.subnet_id)
        if acl is None:
            return None
        decision = nacl.evaluate(
            acl, egress=crossing.egress, peer=crossing.peer, ports=crossing.ports
        )
        return decision.outcome is Outcome.PASS

    def passes(self, region: RegionData, crossings: Sequence[Crossing]) -> bool:
        """Every crossing passes (an ACL missing from the snapshot counts as not passing)."""
        return all(self._passes(region, c) for c in crossings)

    def allow(
        self, region: RegionData, crossings: Sequence[Crossing], findings: Iterable[Finding]
    ) -> list[Problem]:
        """Plan the entries that let every crossing through; the crossings it cannot fix."""
        wanted = set(findings)
        problems: list[Problem] = []
        for crossing in crossings:
            acl = self.acl(region, crossing.subnet_id)
            if acl is None:
                continue  # the check reports the missing ACL (DATA_MISSING)
            decision = nacl.evaluate(
                acl, egress=crossing.egress, peer=crossing.peer, ports=crossing.ports
            )
            if decision.outcome is Outcome.PASS:
                continue
            problem = self._add(region, acl, crossing, wanted)
            if problem is not None:
                problems.append(problem)
        return problems

    def _add(
        self,
        region: RegionData,
        acl: aws.NetworkAcl,
        crossing: Crossing,
        findings: set[Finding],
    ) -> Problem | None:
        acl_id = acl.network_acl_id
        lo, hi = crossing.ports
        direction = "outbound" if crossing.egress else "inbound"
        code = "NACL_OUTBOUND_DENIED" if crossing.egress else "NACL_INBOUND_DENIED"
        side = "to" if crossing.egress else "from"
        key = f"nacl-entry/{acl_id}/{'egress' if crossing.egress else 'ingress'}/{crossing.cidr}/{lo}-{hi}"
        fix = (
            f"Add an {direction} allow entry to {acl_id} for {_span(crossing.ports)} "
            f"{side} {crossing.cidr} before the entry that denies it."
        )
        if key in self._planned:
            # planned already for another flow; it does not let this one through
            self._planned[key].findings.update(findings)
            return Problem(
                code,
                acl_id,
                f"{acl_id}: {crossing.what} ({_span(crossing.ports)} {side} {crossing.cidr}) "
                "stays denied after the planned entry",
                fix,
            )
        entries = self._entries[acl_id]
        limit = _limit(entries, crossing.egress, crossing.peer, crossing.ports)
        number = rule_number(entries, crossing.egress, limit)
        if number is None:
            return Problem(
                code,
                acl_id,
                f"{acl_id}: {crossing.what} ({_span(crossing.ports)} {side} {crossing.cidr}) "
                f"is denied by rule {limit} and no {direction} rule number below it is free",
                fix + " Renumber the entries first.",
            )
        entry = aws.NetworkAclEntry(
            rule_number=number,
            protocol="6",
            rule_action="allow",
            egress=crossing.egress,
            cidr_block=crossing.cidr,
            port_range=aws.PortRange(from_=lo, to=hi),
        )
        entries.append(entry)
        trial = self.acl(region, crossing.subnet_id)
        assert trial is not None
        decision = nacl.evaluate(
            trial, egress=crossing.egress, peer=crossing.peer, ports=crossing.ports
        )
        if decision.outcome is not Outcome.PASS:
            entries.remove(entry)
            return Problem(code, acl_id, f"{crossing.what}: {decision.detail}", fix)
        net = network(crossing.cidr)
        why = (
            " (0.0.0.0/0: S3's public address ranges are many; the AWS-documented practice for return traffic)"
            if net is not None and net.prefixlen == 0
            else ""
        )
        change = AddNetworkAclEntry(
            id=key,
            account=region.account,
            region=region.region,
            vpc_id=acl.vpc_id,
            network_acl_id=acl_id,
            rule_number=number,
            egress=crossing.egress,
            cidr=crossing.cidr,
            from_port=lo,
            to_port=hi,
            summary=f"allow {direction} {_span(crossing.ports)} {side} {crossing.cidr} in {acl_id} (rule {number}){why}",
        )
        self._planned[key] = _Planned(change, set(findings))
        return None

    def planned(self) -> list[tuple[AddNetworkAclEntry, set[Finding]]]:
        """The entries planned, in the order they were planned, with the findings they fix."""
        return [(p.change, p.findings) for p in self._planned.values()]
