"""One SVG network diagram per VPC, for the HTML report. Pure Python, no dependencies.

Each diagram shows the VPC's subnets in one column per Availability Zone, with the
instances in them (coloured by their worst verdict), the network interfaces of the
interface endpoints and the NAT gateways; the internet gateways and gateway
endpoints on the VPC's edge; the endpoints listed under the zones; and the peered
VPCs to the right (a hub with endpoints says so). Whatever an error reason of a
BLOCKED result names as the resource in the way is outlined in red: the endpoint,
the endpoint holding a security group that turns traffic away, the subnet whose
network ACL or route table denies it, the NAT or internet gateway, the peering.

This module picks the VPCs and joins the two halves: `diagram_layout.py` places the
parts (pure geometry from the model), `diagram_draw.py` draws them as SVG elements.
Every string from the estate (Name tags above all) is escaped for XML.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ssmreach.analysis.verdict import CheckResult, Verdict, worst
from ssmreach.model import aws
from ssmreach.model.estate import Estate, RegionData
from ssmreach.report.diagram_draw import (
    ENDPOINT_SIDE,
    VERDICT_COLOUR,
    Blockers,
    Marks,
    clip,
    draw_vpc,
    x,
)
from ssmreach.report.diagram_layout import VpcParts, layout_vpc, service_short

__all__ = [
    "ENDPOINT_SIDE",
    "VERDICT_COLOUR",
    "Blockers",
    "VpcDiagram",
    "clip",
    "service_short",
    "vpc_diagrams",
    "vpc_svg",
    "x",
]


@dataclass(frozen=True, slots=True)
class VpcDiagram:
    account: str
    region: str
    vpc_id: str
    name: str | None
    svg: str


def _vpcs_in_use(estate: Estate, result: CheckResult) -> set[str]:
    """The VPCs that hold a checked instance, or an endpoint or NAT gateway a path used."""
    used = {r.vpc for r in result.results if r.vpc}
    vias = {s.via for r in result.results for s in r.services if s.via}
    for rd in estate.regions.values():
        used.update(ep.vpc_id for eid, ep in rd.endpoints.items() if eid in vias)
        used.update(
            nat.vpc_id for nid, nat in rd.nat_gateways.items() if nid in vias and nat.vpc_id
        )
    return used


def vpc_diagrams(
    estate: Estate, result: CheckResult, *, all_vpcs: bool = False
) -> list[VpcDiagram]:
    """One diagram per VPC that holds a checked instance or serves one's path (every VPC of
    the estate with `all_vpcs`), sorted by account, Region and VPC id."""
    in_use = None if all_vpcs else _vpcs_in_use(estate, result)
    blockers = Blockers.of(result)
    verdicts: dict[str, list[Verdict]] = defaultdict(list)
    for r in result.results:
        verdicts[r.instance].append(r.verdict)
    worst_of = {iid: worst(vs) for iid, vs in verdicts.items()}
    names = {r.instance: r.name for r in result.results}
    peerings = _all_peerings(estate)
    out = []
    for (account, region), rd in sorted(estate.regions.items()):
        for vpc_id in sorted(rd.vpcs):
            if in_use is not None and vpc_id not in in_use:
                continue
            vpc = rd.vpcs[vpc_id]
            svg = vpc_svg(estate, rd, vpc, worst_of, names, blockers, peerings)
            out.append(VpcDiagram(account, region, vpc_id, aws.tag_name(vpc.tags), svg))
    return out


def _all_peerings(estate: Estate) -> dict[str, aws.VpcPeeringConnection]:
    found: dict[str, aws.VpcPeeringConnection] = {}
    for rd in estate.regions.values():
        for pcx_id, pcx in rd.peerings.items():
            found.setdefault(pcx_id, pcx)
    return found


def vpc_svg(
    estate: Estate,
    rd: RegionData,
    vpc: aws.Vpc,
    worst_of: dict[str, Verdict],
    names: dict[str, str | None],
    blockers: Blockers,
    peerings: dict[str, aws.VpcPeeringConnection],
) -> str:
    """The SVG of one VPC: its parts, placed, then drawn."""
    parts = VpcParts.of(rd, vpc, peerings)
    flagged = {ep.vpc_endpoint_id for ep in parts.endpoints if blockers.endpoint(ep)}
    layout = layout_vpc(parts, flagged)
    return draw_vpc(parts, layout, Marks(estate, rd, worst_of, names, blockers))
