"""The SVG elements of a VPC diagram, drawn from its layout (`diagram_layout.py`).

Instances are coloured by their worst verdict; whatever an error reason of a BLOCKED
result names as the resource in the way (`Blockers`) is outlined in red, with the
reasons in its tooltip. Every resource a result's path can go through carries its id
in `data-resource` (instances in `data-instance`; a subnet's route table and network
ACL in a `<tspan>` of their own), so that the page can highlight the selected path.
Every string from the estate (Name tags above all) is escaped for XML.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from ssmreach.analysis.reasons import CATALOGUE
from ssmreach.analysis.verdict import CheckResult, Severity, Verdict
from ssmreach.model import aws
from ssmreach.model.estate import Estate, RegionData
from ssmreach.report.diagram_layout import (
    CHAR_W,
    CHIP_H,
    PEER_H,
    PEER_W,
    SUBNET_PAD,
    Chip,
    ChipItem,
    Column,
    EdgeChip,
    LegendRow,
    PeerBox,
    SubnetBox,
    VpcLayout,
    VpcParts,
    service_short,
)

VERDICT_COLOUR = {
    Verdict.PRIVATE: "#2e7d32",
    Verdict.INTERNET: "#e0a100",
    Verdict.UNKNOWN: "#7b3fa0",
    Verdict.BLOCKED: "#c62828",
}
NOT_CHECKED = "#9e9e9e"
RED = "#d32f2f"
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\""
ENDPOINT_SIDE = frozenset(r.code for r in CATALOGUE if r.side == "endpoint")


def x(text: object) -> str:
    """Escape for XML text and attribute values."""
    return escape(str(text), quote=True)


def clip(text: str, width: float, size: int = 11) -> str:
    room = max(3, int(width / (CHAR_W * size / 11)))
    return text if len(text) <= room else text[: room - 1] + "…"


@dataclass
class Blockers:
    """The resources named by error reasons of BLOCKED results, with the codes naming them."""

    codes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # Endpoints that carried a blocked service whose error is on the endpoint's side
    # (its security group or policy), with "CODE (resource)".
    via: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, result: CheckResult) -> Blockers:
        found = cls()
        for r in result.results:
            if r.verdict is not Verdict.BLOCKED:
                continue
            for reason in r.reasons:
                if reason.severity is Severity.ERROR and reason.resource:
                    found.codes[reason.resource].add(reason.code)
            for s in r.services:
                if s.verdict is not Verdict.BLOCKED or not s.via:
                    continue
                for reason in s.reasons:
                    if reason.severity is Severity.ERROR and reason.code in ENDPOINT_SIDE:
                        found.via[s.via].add(f"{reason.code} ({reason.resource or '?'})")
        return found

    def get(self, resource: str | None) -> set[str]:
        return set(self.codes.get(resource, ())) if resource else set()

    def endpoint(self, ep: aws.VpcEndpoint) -> set[str]:
        """Named by a reason, or carried a blocked service that its own SG or policy refused."""
        return self.get(ep.vpc_endpoint_id) | self.via.get(ep.vpc_endpoint_id, set())

    def subnet(self, rd: RegionData, vpc_id: str, s: aws.Subnet) -> set[str]:
        """Named by a reason, or its network ACL or route table is."""
        flags = self.get(s.subnet_id)
        acl = rd.subnet_network_acl.get(s.subnet_id)
        rtb = rd.subnet_route_table.get(s.subnet_id) or rd.main_route_table.get(vpc_id)
        flags |= {f"{c} ({acl})" for c in self.get(acl)}
        flags |= {f"{c} ({rtb})" for c in self.get(rtb)}
        return flags


@dataclass(frozen=True, slots=True)
class Marks:
    """What colours and outlines the diagram: the verdicts, names and blockers of a check."""

    estate: Estate
    rd: RegionData
    worst_of: dict[str, Verdict]
    names: dict[str, str | None]
    blockers: Blockers


class Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def rect(
        self,
        x0: float,
        y0: float,
        w: float,
        h: float,
        *,
        fill: str,
        stroke: str,
        width: float = 1,
        rx: float = 4,
        dash: bool = False,
        extra: str = "",
    ) -> None:
        dashed = ' stroke-dasharray="6 4"' if dash else ""
        self.add(
            f'<rect x="{x0:g}" y="{y0:g}" width="{w:g}" height="{h:g}" rx="{rx:g}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width:g}"{dashed}{extra}/>'
        )

    def text(
        self,
        x0: float,
        y0: float,
        content: str,
        *,
        size: int = 11,
        weight: str = "normal",
        fill: str = "#212121",
        anchor: str = "start",
    ) -> None:
        self.add(
            f'<text x="{x0:g}" y="{y0:g}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="{anchor}" {FONT}>{x(content)}</text>'
        )


def draw_vpc(parts: VpcParts, layout: VpcLayout, marks: Marks) -> str:
    """The whole SVG of one VPC."""
    vpc, rd = parts.vpc, marks.rd
    svg = Svg()
    name = aws.tag_name(vpc.tags)
    vpc_flags = marks.blockers.get(vpc.vpc_id)
    title = f"{vpc.vpc_id}{f' ({name})' if name else ''}"
    width, height = layout.width, layout.height
    svg.add(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vpc-diagram" data-vpc="{x(vpc.vpc_id)}" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" role="img">'
    )
    svg.add(f"<title>Network diagram of {x(title)}</title>")
    svg.rect(0, 0, width, height, fill="#ffffff", stroke="none", rx=0)
    vx, vy, vpc_w = layout.x, layout.y, layout.w
    svg.add(f'<g class="vpc{" blocking" if vpc_flags else ""}">')
    svg.rect(
        vx,
        vy,
        vpc_w,
        layout.h,
        fill="#f4f8fd",
        stroke=RED if vpc_flags else "#1565c0",
        width=3 if vpc_flags else 1.5,
        rx=8,
    )
    if vpc_flags:
        svg.add(f"<title>{x(', '.join(sorted(vpc_flags)))}</title>")
    svg.add("</g>")
    svg.text(vx + 12, vy + 20, clip(f"VPC {title}", vpc_w - 24), size=14, weight="bold")
    cidrs = ", ".join(vpc.cidrs) or "?"
    sub = f"{cidrs} · account {rd.account} · {rd.region}"
    if vpc_flags:
        sub += " · " + ", ".join(sorted(vpc_flags))
    svg.text(vx + 12, vy + 38, clip(sub, vpc_w - 24), fill=RED if vpc_flags else "#455a64", size=11)
    for edge in layout.edge:
        _draw_edge_chip(svg, edge, marks.blockers)
    for column in layout.columns:
        _draw_column(svg, parts, column, marks)
    _draw_legend(svg, layout, marks.blockers)
    for peer in layout.peers:
        _draw_peer(svg, layout, peer, marks)
    svg.add("</svg>")
    return "".join(svg.parts)


def _draw_edge_chip(svg: Svg, edge: EdgeChip, blockers: Blockers) -> None:
    if isinstance(edge.item, aws.InternetGateway):
        resource = edge.item.internet_gateway_id
        fill, ink = "#e3f2fd", "#1565c0"
    else:
        resource = edge.item.vpc_endpoint_id
        fill, ink = "#e8f5e9", "#2e7d32"
    flags = blockers.get(resource)
    _chip(svg, edge.x, edge.y, edge.w, edge.label, fill, ink, flags, cls=edge.kind, data=resource)


def _draw_column(svg: Svg, parts: VpcParts, column: Column, marks: Marks) -> None:
    svg.rect(
        column.x, column.y, column.w, column.h, fill="#ffffff", stroke="#90a4ae", dash=True, rx=6
    )
    svg.text(column.x + 10, column.y + 17, column.zone, size=12, weight="bold", fill="#37474f")
    vpc_id = parts.vpc.vpc_id
    for box in column.subnets:
        s = box.subnet
        flags = marks.blockers.subnet(marks.rd, vpc_id, s)
        public = s.map_public_ip_on_launch or any(
            _routes_to_igw(marks.rd, vpc_id, s.subnet_id, parts.igws)
        )
        _draw_subnet(svg, marks.rd, vpc_id, box, flags, public)
        for chip in box.chips:
            _draw_chip(svg, chip, marks)


def _routes_to_igw(
    rd: RegionData, vpc_id: str, subnet_id: str, igws: Iterable[aws.InternetGateway]
) -> Iterable[bool]:
    rtb_id = rd.subnet_route_table.get(subnet_id) or rd.main_route_table.get(vpc_id)
    table = rd.route_tables.get(rtb_id) if rtb_id else None
    ids = {g.internet_gateway_id for g in igws}
    if table is None:
        return ()
    return (r.gateway_id in ids for r in table.routes if r.gateway_id)


def _draw_subnet(
    svg: Svg, rd: RegionData, vpc_id: str, box: SubnetBox, flags: set[str], public: bool
) -> None:
    s, x0, y0, w = box.subnet, box.x, box.y, box.w
    name = aws.tag_name(s.tags)
    cls = "subnet blocking" if flags else "subnet"
    svg.add(f'<g class="{cls}" data-resource="{x(s.subnet_id)}">')
    svg.rect(
        x0,
        y0,
        w,
        box.h,
        fill="#fffde7" if public else "#f1f8e9",
        stroke=RED if flags else "#7cb342",
        width=3 if flags else 1,
    )
    if flags:
        svg.add(f"<title>{x(', '.join(sorted(flags)))}</title>")
    head = s.subnet_id + (f" ({name})" if name else "")
    svg.text(x0 + SUBNET_PAD, y0 + 15, clip(head, w - 2 * SUBNET_PAD), weight="bold")
    kind = "public" if public else "private"
    svg.text(
        x0 + SUBNET_PAD,
        y0 + 29,
        clip(f"{s.cidr_block or '?'} · {kind}", w - 2 * SUBNET_PAD, 10),
        size=10,
        fill="#455a64",
    )
    rtb = rd.subnet_route_table.get(s.subnet_id) or rd.main_route_table.get(vpc_id)
    acl = rd.subnet_network_acl.get(s.subnet_id)
    fill = RED if flags else "#607d8b"
    svg.add(
        f'<text x="{x0 + SUBNET_PAD:g}" y="{y0 + 42:g}" font-size="10" font-weight="normal" '
        f'fill="{fill}" text-anchor="start" {FONT}>'
        f"{_routes_line(rtb, acl, w - 2 * SUBNET_PAD)}</text>"
    )
    svg.add("</g>")


def _routes_line(rtb: str | None, acl: str | None, width: float) -> str:
    """The subnet's route table and network ACL, each a `<tspan>` with its `data-resource`
    (the path of a result highlights them); each id is shortened when both do not fit."""
    whole = f"{rtb or '?'} · {acl or '?'}"
    room = max(3, int(width / (CHAR_W * 10 / 11)))
    half = (room - 3) / 2 * (CHAR_W * 10 / 11)

    def part(resource: str | None) -> str:
        text = resource or "?"
        if len(whole) > room:
            text = clip(text, half, 10)
        if not resource:
            return x(text)
        return f'<tspan data-resource="{x(resource)}">{x(text)}</tspan>'

    return f"{part(rtb)} · {part(acl)}"


@dataclass(frozen=True, slots=True)
class _Look:
    label: str
    fill: str
    ink: str
    flags: set[str]
    detail: str
    data: str


def _look(item: ChipItem, marks: Marks) -> _Look:
    if isinstance(item, aws.Instance):
        verdict = marks.worst_of.get(item.instance_id)
        colour = VERDICT_COLOUR[verdict] if verdict else NOT_CHECKED
        label = marks.names.get(item.instance_id) or item.name or item.instance_id
        detail = f"{item.instance_id} {item.name or ''}".strip()
        detail += f": {verdict.value}" if verdict else ": not checked"
        return _Look(label, colour, "#ffffff", set(), detail, item.instance_id)
    if isinstance(item, aws.VpcEndpoint):
        detail = f"{item.vpc_endpoint_id} ({item.service_name}) network interface"
        flags = marks.blockers.endpoint(item)
        return _Look(
            service_short(item.service_name),
            "#e8eaf6",
            "#1a237e",
            flags,
            detail,
            item.vpc_endpoint_id,
        )
    detail = f"{item.nat_gateway_id} ({item.connectivity_type}, {item.state})"
    flags = marks.blockers.get(item.nat_gateway_id)
    label = f"NAT {item.nat_gateway_id}"
    return _Look(label, "#fff8e1", "#5d4037", flags, detail, item.nat_gateway_id)


def _draw_chip(svg: Svg, chip: Chip, marks: Marks) -> None:
    look = _look(chip.item, marks)
    _chip(
        svg,
        chip.x,
        chip.y,
        chip.w,
        look.label,
        look.fill,
        look.ink,
        look.flags,
        cls=chip.kind,
        detail=look.detail,
        data=look.data,
    )


def _chip(
    svg: Svg,
    x0: float,
    y0: float,
    w: float,
    label: str,
    fill: str,
    ink: str,
    flags: set[str],
    *,
    cls: str,
    detail: str | None = None,
    data: str | None = None,
) -> None:
    attrs = f' data-resource="{x(data)}"' if data else ""
    if cls == "instance" and data:
        attrs = f' data-instance="{x(data)}"'
    svg.add(f'<g class="{cls}{" blocking" if flags else ""}"{attrs}>')
    tip = detail or label
    if flags:
        tip += " — " + ", ".join(sorted(flags))
    svg.add(f"<title>{x(tip)}</title>")
    svg.rect(
        x0,
        y0,
        w,
        CHIP_H,
        fill=fill,
        stroke=RED if flags else ink,
        width=3 if flags else 1,
        rx=CHIP_H / 2 if cls == "instance" else 4,
    )
    svg.text(
        x0 + w / 2,
        y0 + 15,
        clip(label, w - (26 if cls == "instance" else 12)),
        fill=ink,
        anchor="middle",
        weight="bold" if cls == "instance" else "normal",
    )
    svg.add("</g>")


def _draw_legend(svg: Svg, layout: VpcLayout, blockers: Blockers) -> None:
    """The endpoints under the zones, one line each (and a line of flags when blocking)."""
    vx, vpc_w = layout.x, layout.w
    if not layout.legend:
        svg.text(vx + 12, layout.legend_y, "No VPC endpoints in this VPC.", fill="#607d8b")
        return
    svg.text(vx + 12, layout.legend_y, "Endpoints", size=12, weight="bold", fill="#37474f")
    for row in layout.legend:
        _draw_legend_row(svg, row, vx, vpc_w, blockers.endpoint(row.endpoint))


def _draw_legend_row(svg: Svg, row: LegendRow, vx: float, vpc_w: float, flags: set[str]) -> None:
    ep, yy = row.endpoint, row.y
    kind = "interface" if ep.is_interface else ep.vpc_endpoint_type.lower()
    bits = [ep.vpc_endpoint_id, service_short(ep.service_name), kind]
    if ep.is_interface:
        bits.append("private DNS on" if ep.private_dns_enabled else "private DNS off")
        bits.append("SG " + (", ".join(g.group_id for g in ep.groups) or "?"))
    else:
        bits.append("route tables " + (", ".join(ep.route_table_ids) or "none"))
    if ep.state.lower() != "available":
        bits.append(f"state {ep.state}")
    line = " · ".join(bits)
    cls = "endpoint-row blocking" if flags else "endpoint-row"
    svg.add(f'<g class="{cls}" data-resource="{x(ep.vpc_endpoint_id)}">')
    svg.rect(
        vx + 12,
        yy - 11,
        12,
        12,
        fill="#e8eaf6" if ep.is_interface else "#e8f5e9",
        stroke=RED if flags else "#5c6bc0",
        width=2.5 if flags else 1,
        rx=2,
    )
    svg.text(
        vx + 30,
        yy,
        clip(line, vpc_w - 44),
        fill=RED if flags else "#263238",
        weight="bold" if flags else "normal",
    )
    if row.flags_y is not None:
        svg.text(vx + 30, row.flags_y, clip("✗ " + ", ".join(sorted(flags)), vpc_w - 44), fill=RED)
    svg.add("</g>")


def _draw_peer(svg: Svg, layout: VpcLayout, box: PeerBox, marks: Marks) -> None:
    """A peered VPC to the right, and the peering connection's line to it."""
    pcx, peer, py = box.pcx, box.peer, box.y
    vx, vpc_w, peer_x = layout.x, layout.w, layout.peer_x
    status = pcx.status.code if pcx.status else "unknown"
    flags = marks.blockers.get(pcx.vpc_peering_connection_id)
    broken = bool(flags) or status != "active"
    colour = RED if broken else "#546e7a"
    dash = ' stroke-dasharray="6 4"' if status != "active" else ""
    svg.add(
        f'<g class="peering{" blocking" if flags else ""}" '
        f'data-resource="{x(pcx.vpc_peering_connection_id)}">'
    )
    svg.add(
        f'<line x1="{vx + vpc_w:g}" y1="{py + PEER_H / 2:g}" x2="{peer_x:g}" '
        f'y2="{py + PEER_H / 2:g}" stroke="{colour}" stroke-width="{3 if broken else 2}"{dash}/>'
    )
    svg.text(vx + vpc_w + 8, py + PEER_H / 2 - 6, clip(status, 48), size=10, fill=colour)
    svg.rect(peer_x, py, PEER_W, PEER_H, fill="#eceff1", stroke=colour, width=3 if flags else 1.2)
    if flags:
        svg.add(f"<title>{x(', '.join(sorted(flags)))}</title>")
    svg.text(peer_x + 8, py + 18, clip(f"VPC {peer.vpc_id or '?'}", PEER_W - 16), weight="bold")
    where = f"account {peer.owner_id or '?'} · {peer.region or marks.rd.region}"
    svg.text(peer_x + 8, py + 34, clip(where, PEER_W - 16, 10), size=10, fill="#455a64")
    hub = _hub_note(marks.estate, peer)
    if hub:
        svg.text(peer_x + 8, py + 49, hub, size=10, fill="#1a237e", weight="bold")
    link = f"peering {pcx.vpc_peering_connection_id} · {status}"
    if flags:
        link += " · " + ", ".join(sorted(flags))
    svg.text(peer_x + 8, py + 65, clip(link, PEER_W - 16, 10), size=10, fill=colour)
    svg.add("</g>")


def _hub_note(estate: Estate, peer: aws.PeeringVpcInfo) -> str:
    """The note "hub: N interface endpoints" when the peered VPC holds interface endpoints."""
    peer_rd = estate.region_of_vpc(peer.vpc_id) if peer.vpc_id else None
    if peer_rd is None or not peer.vpc_id:
        return ""
    count = sum(1 for e in peer_rd.endpoints.values() if e.vpc_id == peer.vpc_id and e.is_interface)
    return f"hub: {count} interface endpoint{'s' if count != 1 else ''}" if count else ""
