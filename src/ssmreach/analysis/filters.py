"""Security groups and network ACLs as hops of a leg (part of requirements.md §3 steps 2-4).

A security group is stateful and filters at the interface; a network ACL is stateless and
filters where a flow crosses a subnet boundary, so each crossing (request and reply) is
checked on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ssmreach.analysis import nacl, security_groups
from ssmreach.analysis.addresses import Place
from ssmreach.analysis.legs import Leg, Node, Target, gap_hop, missing
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.verdict import Hop, Outcome, Reason, Severity
from ssmreach.model import aws
from ssmreach.model.estate import Gap, RegionData


def _acl(region: RegionData, subnet_id: str) -> aws.NetworkAcl | Gap:
    acl_id = region.subnet_network_acl.get(subnet_id)
    acl = region.network_acls.get(acl_id) if acl_id else None
    if acl is None:
        return missing(region, "DescribeNetworkAcls", f"network ACL of {subnet_id}")
    return acl


def check_nacl(
    leg: Leg,
    region: RegionData,
    subnet_id: str,
    *,
    egress: bool,
    peer: Place,
    ports: tuple[int, int],
    what: str,
) -> None:
    """One NACL crossing, as a hop."""
    step = "nacl-outbound" if egress else "nacl-inbound"
    acl = _acl(region, subnet_id)
    if isinstance(acl, Gap):
        gap_hop(leg, step, acl, subnet_id)
        return
    decision = nacl.evaluate(acl, egress=egress, peer=peer, ports=ports)
    detail = f"{what}: {decision.detail}"
    if decision.outcome is Outcome.PASS:
        leg.add(Hop(step, acl.network_acl_id, Outcome.PASS, detail))
        return
    if decision.outcome is Outcome.UNKNOWN:
        leg.add(
            Hop(step, acl.network_acl_id, Outcome.UNKNOWN, detail),
            reason("DATA_MISSING", Severity.WARNING, acl.network_acl_id, detail),
        )
        return
    code = "NACL_OUTBOUND_DENIED" if egress else "NACL_INBOUND_DENIED"
    lo, hi = ports
    span = f"TCP {lo}" if lo == hi else f"TCP {lo}-{hi}"
    fix = (
        f"Add an {'outbound' if egress else 'inbound'} allow rule to {acl.network_acl_id} for {span} "
        f"{'to' if egress else 'from'} {peer.describe()}"
        + (f", numbered below {decision.rule}" if decision.rule and decision.rule < 32767 else "")
        + "."
    )
    leg.add(
        Hop(step, acl.network_acl_id, Outcome.FAIL, detail),
        reason(code, Severity.ERROR, acl.network_acl_id, detail, fix),
    )


@dataclass(frozen=True, slots=True)
class Crossing:
    """One time a flow crosses a subnet boundary, in one direction."""

    region: RegionData
    subnet_id: str
    egress: bool
    peer: Place
    ports: tuple[int, int]
    what: str


class _Flows:
    """The crossings of a path as a cache key: equal subnets, directions, peers, ports and
    wording, in the same Regions' data (by identity: equal ids of another estate never
    share an answer). Callers pass the instance as `Node.flow_place`, without the security
    groups that network ACLs do not read, so that instances of other groups share it."""

    __slots__ = ("_hash", "_key", "crossings")

    def __init__(self, crossings: Sequence[Crossing]) -> None:
        self.crossings = tuple(crossings)
        self._key = tuple(
            (
                c.subnet_id,
                c.egress,
                c.peer,
                c.ports,
                c.what,
            )
            for c in crossings
        )
        self._hash = hash((self._key, tuple(id(c.region) for c in crossings)))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Flows)
            and other._key == self._key
            and all(
                a.region is b.region for a, b in zip(other.crossings, self.crossings, strict=True)
            )
        )


def check_crossings(leg: Leg, crossings: Sequence[Crossing]) -> None:
    """The NACL crossings of a path. When all pass they read as one hop (which ACL and
    rule let each through); otherwise each crossing is its own hop, failures explained.
    Instances of one subnet cross the same ACLs to the same peers: decided once."""
    hops, reasons, outcome = _crossings(_Flows(crossings))
    leg.hops.extend(hops)
    leg.reasons.extend(reasons)
    if outcome is Outcome.FAIL or (outcome is Outcome.UNKNOWN and leg.outcome is Outcome.PASS):
        leg.outcome = outcome


@lru_cache(maxsize=16384)
def _crossings(flows: _Flows) -> tuple[tuple[Hop, ...], tuple[Reason, ...], Outcome]:
    crossings = flows.crossings
    trial = Leg()
    for c in crossings:
        check_nacl(
            trial, c.region, c.subnet_id, egress=c.egress, peer=c.peer, ports=c.ports, what=c.what
        )
    if trial.outcome is not Outcome.PASS:
        return tuple(trial.hops), tuple(trial.reasons), trial.outcome
    acls = list(dict.fromkeys(h.resource for h in trial.hops if h.resource))
    parts = []
    for c, hop in zip(crossings, trial.hops, strict=True):
        lo, hi = c.ports
        span = f"{lo}" if lo == hi else f"{lo}-{hi}"
        rule = hop.detail.split(" rule ", 1)[1].split(" ", 1)[0] if " rule " in hop.detail else "?"
        parts.append(f"{c.what} (TCP {span}, {hop.resource} rule {rule})")
    hop = Hop("nacl", ",".join(acls), Outcome.PASS, "allowed: " + "; ".join(parts))
    return (hop,), (), Outcome.PASS


def _groups(region: RegionData, ids: Sequence[str]) -> tuple[aws.SecurityGroup, ...] | Gap:
    found: list[aws.SecurityGroup] = []
    for gid in ids:
        group = region.security_groups.get(gid)
        if group is None:
            return missing(region, "DescribeSecurityGroups", gid)
        found.append(group)
    return tuple(found)


def endpoint_groups(
    region: RegionData, endpoint: aws.VpcEndpoint
) -> tuple[aws.SecurityGroup, ...] | Gap:
    """The endpoint's security groups; an endpoint created without any has the VPC default group."""
    ids = [g.group_id for g in endpoint.groups]
    if not ids:
        default = region.default_security_group.get(endpoint.vpc_id)
        if default is None:
            return missing(region, "DescribeSecurityGroups", f"default group of {endpoint.vpc_id}")
        ids = [default]
    return _groups(region, ids)


def check_sg_egress(leg: Leg, node: Node, peer: Place, what: str) -> None:
    decision = security_groups.evaluate(
        node.groups, egress=True, peer=peer, prefix_lists=node.region.prefix_lists
    )
    resource = decision.group
    if decision.outcome is Outcome.PASS:
        leg.add(Hop("sg-egress", resource, Outcome.PASS, decision.detail))
    elif decision.outcome is Outcome.UNKNOWN:
        leg.add(
            Hop("sg-egress", resource, Outcome.UNKNOWN, decision.detail),
            reason("DATA_MISSING", Severity.WARNING, resource, decision.detail),
        )
    else:
        first = node.groups[0].group_id if node.groups else node.subnet.subnet_id
        leg.add(
            Hop("sg-egress", first, Outcome.FAIL, decision.detail),
            reason(
                "SG_EGRESS_DENIED",
                Severity.ERROR,
                first,
                f"{decision.detail} ({what})",
                f"Add an outbound rule to {first} allowing TCP 443 to {peer.describe()}.",
            ),
        )


def check_sg_ingress(leg: Leg, target: Target, source: Place, node: Node) -> None:
    decision = security_groups.evaluate(
        target.groups, egress=False, peer=source, prefix_lists=target.region.prefix_lists
    )
    resource = decision.group
    if decision.outcome is Outcome.PASS:
        leg.add(Hop("sg-ingress", resource, Outcome.PASS, decision.detail))
        return
    if decision.outcome is Outcome.UNKNOWN:
        leg.add(
            Hop("sg-ingress", resource, Outcome.UNKNOWN, decision.detail),
            reason("DATA_MISSING", Severity.WARNING, resource, decision.detail),
        )
        return
    group = target.groups[0] if target.groups else None
    gid = group.group_id if group else target.label
    is_default = group is not None and group.group_name == "default"
    detail = decision.detail + (
        f" ({gid} is the VPC default group, which admits only its own members)"
        if is_default
        else ""
    )
    subnet = node.subnet.cidr_block or node.subnet.subnet_id
    fix = (
        f"Give {target.owner or target.label} a dedicated security group allowing inbound TCP 443 from {subnet} (the instance subnet)"
        if is_default
        else f"Add an inbound rule to {gid} allowing TCP 443 from {subnet} (the instance subnet)"
    ) + "."
    leg.add(
        Hop("sg-ingress", gid, Outcome.FAIL, detail),
        reason("SG_INGRESS_DENIED", Severity.ERROR, gid, detail, fix),
    )
