"""The path of one result on the VPC diagrams: which drawn resources its hop trace goes
through, how each hop went, and where a BLOCKED service stops.

A hop is placed by its step, never by the shape of an id:

- the route table, network ACL, peering connection, NAT or internet gateway, or
  endpoint that a `route`, `return-route`, `nacl*`, `peering`, `nat`, `igw`,
  `endpoint` or `endpoint-policy` hop names (the diagram draws each with a
  `data-resource` attribute);
- the service's endpoint (its `via`) for an `sg-ingress` hop (the endpoint's own
  security group) and for a `dns` hop that answers with it;
- the instance itself (`None`) for the instance's own security group, role, key,
  message channel and probe;
- for a hop the diagram does not draw (a DNS answer from a hosted zone, a transit
  gateway's route table), the place of the hop before it: a stop there is marked on
  the last drawn resource the traffic reached.

The page (report.js) adds the instance and its subnet, which every path starts from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ssmreach.analysis.verdict import Outcome, ServiceResult, Verdict

INSTANCE: Final = None
_ON_RESOURCE = frozenset(
    {
        "route",
        "return-route",
        "nacl",
        "nacl-outbound",
        "nacl-inbound",
        "peering",
        "nat",
        "igw",
        "endpoint",
        "endpoint-policy",
    }
)
_ON_INSTANCE = frozenset({"sg-egress", "iam", "key-policy", "channel", "probe", "bucket-region"})
# A step's state on the page, worst first: where a BLOCKED service stops, a failed
# hop, an undecided hop, a hop that passed.
STATES = ("stop", "fail", "unknown", "pass")
_STATE_OF = {Outcome.PASS: "pass", Outcome.FAIL: "fail", Outcome.UNKNOWN: "unknown"}

Step = tuple[str | None, str, str]  # (resource, or None for the instance; state; hop step)


def _places(step: str, resource: str | None, via: str | None) -> list[str | None] | None:
    """Where a hop is drawn: resource ids, [None] for the instance, None when not drawn."""
    if step in _ON_RESOURCE:
        return [r for r in (resource or "").split(",") if r] or None
    if step in _ON_INSTANCE:
        return [INSTANCE]
    if step == "sg-ingress" or (step == "dns" and resource is not None and resource == via):
        return [via] if via else None
    return None


def _service_steps(s: ServiceResult) -> list[Step]:
    steps: list[Step] = []
    last: list[str | None] = [INSTANCE]
    stopped = s.verdict is not Verdict.BLOCKED  # only a BLOCKED service has a stop
    for hop in s.hops:
        places = _places(hop.step, hop.resource, s.via)
        state = _STATE_OF[hop.result]
        if places is None:
            if state == "pass":
                continue
            places = last  # not drawn: marked where the traffic last was
        if state == "fail" and not stopped:
            state, stopped = "stop", True
        steps += [(p, state, hop.step) for p in places]
        last = places
    if s.via and s.verdict is not Verdict.BLOCKED and all(p != s.via for p, _, _ in steps):
        steps.append((s.via, "pass", "via"))  # a gateway endpoint: named by no hop
    return steps


def service_path(services: Iterable[ServiceResult]) -> list[Step]:
    """The drawn places of every service's hops, each once with its worst state, in the
    order the trace first reaches them."""
    found: dict[str | None, Step] = {}
    for s in services:
        for place, state, step in _service_steps(s):
            seen = found.get(place)
            if seen is None or STATES.index(state) < STATES.index(seen[1]):
                found[place] = (place, state, step)
    return list(found.values())
