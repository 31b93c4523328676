"""One SVG network diagram per VPC, for the HTML report. Pure Python, no dependencies.

Each diagram shows the VPC's subnets in one column per Availability Zone, with the
instances in them (coloured by their worst verdict), the network interfaces of the
interface endpoints and the NAT gateways; the internet gateways and gateway
endpoints on the VPC's edge; the endpoints listed under the zones; and the peered
VPCs to the right (a hub with endpoints says so). Whatever an error reason of a
BLOCKED result names as the resource in the way is outlined in red: the endpoint,
the endpoint holding a security group that turns traffic away, the subnet whose
network ACL or route table denies it, the NAT or internet gateway, the peering.

Every string from the estate (Name tags above all) is escaped for XML.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from ssmreach.analysis.reasons import CATALOGUE
from ssmreach.analysis.verdict import CheckResult, Severity, Verdict, worst
from ssmreach.model import aws
from ssmreach.model.estate import Estate, RegionData

VERDICT_COLOUR = {
    Verdict.PRIVATE: "#2e7d32",
    Verdict.INTERNET: "#e0a100",
    Verdict.UNKNOWN: "#7b3fa0",
    Verdict.BLOCKED: "#c62828",
}
NOT_CHECKED = "#9e9e9e"
RED = "#d32f2f"
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\""
CHAR_W = 6.4  # average width of an 11px character, for truncation

PAD = 16
COL_W = 300
COL_GAP = 16
SUBNET_PAD = 10
CHIP_H = 22
CHIP_GAP = 6
INSTANCE_W = (COL_W - 2 * SUBNET_PAD - 2 * 8 - CHIP_GAP) // 2
NAT_W = COL_W - 2 * SUBNET_PAD - 2 * 8
ENI_W = (COL_W - 2 * SUBNET_PAD - 2 * 8 - 2 * CHIP_GAP) // 3
SUBNET_HEAD = 50
EDGE_H = 34
LEGEND_ROW = 18
PEER_W = 300
PEER_H = 74
MIN_VPC_W = 660
ENDPOINT_SIDE = frozenset(r.code for r in CATALOGUE if r.side == "endpoint")


def x(text: object) -> str:
    """Escape for XML text and attribute values."""
    return escape(str(text), quote=True)


def clip(text: str, width: float, size: int = 11) -> str:
    room = max(3, int(width / (CHAR_W * size / 11)))
    return text if len(text) <= room else text[: room - 1] + "…"


def service_short(name: str) -> str:
    """`com.amazonaws.us-east-1.ssmmessages` -> `ssmmessages`."""
    return name.rsplit(".", 1)[-1] if name.startswith("com.amazonaws.") else name


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


@dataclass(frozen=True, slots=True)
class VpcDiagram:
    account: str
    region: str
    vpc_id: str
    name: str | None
    svg: str


class _Svg:
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


def _subnet_sort_key(subnet: aws.Subnet) -> tuple[int, ...]:
    cidr = subnet.cidr_block or "255.255.255.255/32"
    try:
        return tuple(int(p) for p in cidr.split("/")[0].split("."))
    except ValueError:
        return (999,)


def _rows(count: int, per_row: int) -> int:
    return (count + per_row - 1) // per_row


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


def _peers_of(
    vpc_id: str, peerings: dict[str, aws.VpcPeeringConnection]
) -> list[tuple[aws.VpcPeeringConnection, aws.PeeringVpcInfo]]:
    peers = []
    for pcx_id in sorted(peerings):
        pcx = peerings[pcx_id]
        req, acc = pcx.requester_vpc_info, pcx.accepter_vpc_info
        if req and req.vpc_id == vpc_id and acc:
            peers.append((pcx, acc))
        elif acc and acc.vpc_id == vpc_id and req:
            peers.append((pcx, req))
    return peers


def vpc_svg(
    estate: Estate,
    rd: RegionData,
    vpc: aws.Vpc,
    worst_of: dict[str, Verdict],
    names: dict[str, str | None],
    blockers: Blockers,
    peerings: dict[str, aws.VpcPeeringConnection],
) -> str:
    vpc_id = vpc.vpc_id
    subnets = sorted(
        (s for s in rd.subnets.values() if s.vpc_id == vpc_id),
        key=lambda s: (s.availability_zone or "~", _subnet_sort_key(s)),
    )
    zones: dict[str, list[aws.Subnet]] = defaultdict(list)
    for s in subnets:
        zones[s.availability_zone or "zone unknown"].append(s)
    instances: dict[str, list[aws.Instance]] = defaultdict(list)
    for inst in rd.instances:
        if inst.vpc_id == vpc_id and inst.subnet_id:
            instances[inst.subnet_id].append(inst)
    endpoints = sorted(
        (e for e in rd.endpoints.values() if e.vpc_id == vpc_id), key=lambda e: e.vpc_endpoint_id
    )
    interface = [e for e in endpoints if e.is_interface]
    gateway_eps = [e for e in endpoints if not e.is_interface]
    enis: dict[str, list[aws.VpcEndpoint]] = defaultdict(list)
    for ep in interface:
        for sid in ep.subnet_ids:
            enis[sid].append(ep)
    nats: dict[str, list[aws.NatGateway]] = defaultdict(list)
    for nat in sorted(rd.nat_gateways.values(), key=lambda n: n.nat_gateway_id):
        if nat.subnet_id and (nat.vpc_id == vpc_id or nat.subnet_id in rd.subnets):
            nats[nat.subnet_id].append(nat)
    igws = sorted(
        (
            g
            for g in rd.internet_gateways.values()
            if any(a.vpc_id == vpc_id for a in g.attachments)
        ),
        key=lambda g: g.internet_gateway_id,
    )
    peers = _peers_of(vpc_id, peerings)

    def endpoint_flags(ep: aws.VpcEndpoint) -> set[str]:
        """Named by a reason, or carried a blocked service that its own SG or policy refused."""
        return blockers.get(ep.vpc_endpoint_id) | blockers.via.get(ep.vpc_endpoint_id, set())

    def subnet_flags(s: aws.Subnet) -> set[str]:
        flags = blockers.get(s.subnet_id)
        acl = rd.subnet_network_acl.get(s.subnet_id)
        rtb = rd.subnet_route_table.get(s.subnet_id) or rd.main_route_table.get(vpc_id)
        flags |= {f"{c} ({acl})" for c in blockers.get(acl)}
        flags |= {f"{c} ({rtb})" for c in blockers.get(rtb)}
        return flags

    def subnet_height(s: aws.Subnet) -> int:
        rows = _rows(len(instances.get(s.subnet_id, ())), 2)
        rows += _rows(len(enis.get(s.subnet_id, ())), 3)
        rows += len(nats.get(s.subnet_id, ()))
        return SUBNET_HEAD + max(rows, 1) * (CHIP_H + CHIP_GAP) + 4

    zone_names = sorted(zones) or ["(no subnets)"]
    col_heights = [24 + sum(subnet_height(s) + 10 for s in zones.get(z, [])) for z in zone_names]
    body_h = max([*col_heights, 60])
    flagged = sum(1 for ep in endpoints if endpoint_flags(ep))
    legend_h = (len(endpoints) + flagged + 1) * LEGEND_ROW if endpoints else LEGEND_ROW + 4
    edge_h = EDGE_H if (igws or gateway_eps) else 0
    vpc_w = max(len(zone_names) * (COL_W + COL_GAP) - COL_GAP + 2 * PAD, MIN_VPC_W)
    vpc_h = 52 + edge_h + body_h + legend_h + PAD
    peer_x = PAD + vpc_w + 60
    peers_h = len(peers) * (PEER_H + 12)
    width = peer_x + PEER_W + PAD if peers else PAD + vpc_w + PAD
    height = max(vpc_h, peers_h + 60) + 2 * PAD

    svg = _Svg()
    name = aws.tag_name(vpc.tags)
    vpc_flags = blockers.get(vpc_id)
    title = f"{vpc_id}{f' ({name})' if name else ''}"
    svg.add(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vpc-diagram" data-vpc="{x(vpc_id)}" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" role="img">'
    )
    svg.add(f"<title>Network diagram of {x(title)}</title>")
    svg.rect(0, 0, width, height, fill="#ffffff", stroke="none", rx=0)

    # The VPC.
    vx, vy = PAD, PAD
    svg.add(f'<g class="vpc{" blocking" if vpc_flags else ""}">')
    svg.rect(
        vx,
        vy,
        vpc_w,
        vpc_h,
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

    # The edge: internet gateways and gateway endpoints.
    ey = vy + 48
    ex: float = vx + 12
    for igw in igws:
        flags = blockers.get(igw.internet_gateway_id)
        label = f"IGW {igw.internet_gateway_id}"
        w = min(len(label) * CHAR_W + 20, 240)
        _chip(svg, ex, ey, w, label, "#e3f2fd", "#1565c0", flags, cls="igw")
        ex += w + 10
    for ep in gateway_eps:
        flags = blockers.get(ep.vpc_endpoint_id)
        label = f"{service_short(ep.service_name)} gateway endpoint {ep.vpc_endpoint_id}"
        w = min(len(label) * CHAR_W + 20, 320)
        _chip(svg, ex, ey, w, label, "#e8f5e9", "#2e7d32", flags, cls="gateway-endpoint")
        ex += w + 10

    # The zones and their subnets.
    top = ey + edge_h
    for i, zone in enumerate(zone_names):
        cx = vx + PAD + i * (COL_W + COL_GAP)
        svg.rect(cx, top, COL_W, body_h, fill="#ffffff", stroke="#90a4ae", dash=True, rx=6)
        svg.text(cx + 10, top + 17, zone, size=12, weight="bold", fill="#37474f")
        sy = top + 24
        for s in zones.get(zone, []):
            h = subnet_height(s)
            flags = subnet_flags(s)
            public = s.map_public_ip_on_launch or any(_routes_to_igw(rd, vpc_id, s.subnet_id, igws))
            _subnet(svg, rd, vpc_id, s, cx + 8, sy, COL_W - 16, h, flags, public)
            iy = sy + SUBNET_HEAD
            chips: list[tuple[str, float, str, str, str, set[str], str, str]] = []
            for inst in sorted(instances.get(s.subnet_id, ()), key=lambda n: n.instance_id):
                verdict = worst_of.get(inst.instance_id)
                colour = VERDICT_COLOUR[verdict] if verdict else NOT_CHECKED
                label = names.get(inst.instance_id) or inst.name or inst.instance_id
                detail = f"{inst.instance_id} {inst.name or ''}".strip()
                detail += f": {verdict.value}" if verdict else ": not checked"
                chips.append(
                    (
                        "instance",
                        INSTANCE_W,
                        label,
                        colour,
                        "#ffffff",
                        set(),
                        detail,
                        inst.instance_id,
                    )
                )
            for ep in enis.get(s.subnet_id, ()):
                flags = endpoint_flags(ep)
                label = service_short(ep.service_name)
                detail = f"{ep.vpc_endpoint_id} ({ep.service_name}) network interface"
                chips.append(
                    (
                        "endpoint-eni",
                        ENI_W,
                        label,
                        "#e8eaf6",
                        "#1a237e",
                        flags,
                        detail,
                        ep.vpc_endpoint_id,
                    )
                )
            for nat in nats.get(s.subnet_id, ()):
                flags = blockers.get(nat.nat_gateway_id)
                label = f"NAT {nat.nat_gateway_id}"
                detail = f"{nat.nat_gateway_id} ({nat.connectivity_type}, {nat.state})"
                chips.append(
                    ("nat", NAT_W, label, "#fff8e1", "#5d4037", flags, detail, nat.nat_gateway_id)
                )
            _place_chips(svg, cx + 8 + SUBNET_PAD, iy, chips)
            sy += h + 10

    # The endpoints, one line each.
    ly = top + body_h + 20
    if endpoints:
        svg.text(vx + 12, ly, "Endpoints", size=12, weight="bold", fill="#37474f")
        yy = ly
        for ep in endpoints:
            flags = endpoint_flags(ep)
            yy += LEGEND_ROW
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
            if flags:
                yy += LEGEND_ROW
                svg.text(vx + 30, yy, clip("✗ " + ", ".join(sorted(flags)), vpc_w - 44), fill=RED)
            svg.add("</g>")
    else:
        svg.text(vx + 12, ly, "No VPC endpoints in this VPC.", fill="#607d8b")

    # Peered VPCs to the right.
    for n, (pcx, peer) in enumerate(peers):
        py = vy + 20 + n * (PEER_H + 12)
        status = pcx.status.code if pcx.status else "unknown"
        flags = blockers.get(pcx.vpc_peering_connection_id)
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
        peer_rd = estate.region_of_vpc(peer.vpc_id) if peer.vpc_id else None
        hub = ""
        if peer_rd is not None and peer.vpc_id:
            count = sum(
                1 for e in peer_rd.endpoints.values() if e.vpc_id == peer.vpc_id and e.is_interface
            )
            if count:
                hub = f"hub: {count} interface endpoint{'s' if count != 1 else ''}"
        svg.rect(
            peer_x, py, PEER_W, PEER_H, fill="#eceff1", stroke=colour, width=3 if flags else 1.2
        )
        if flags:
            svg.add(f"<title>{x(', '.join(sorted(flags)))}</title>")
        svg.text(peer_x + 8, py + 18, clip(f"VPC {peer.vpc_id or '?'}", PEER_W - 16), weight="bold")
        where = f"account {peer.owner_id or '?'} · {peer.region or rd.region}"
        svg.text(peer_x + 8, py + 34, clip(where, PEER_W - 16, 10), size=10, fill="#455a64")
        if hub:
            svg.text(peer_x + 8, py + 49, hub, size=10, fill="#1a237e", weight="bold")
        link = f"peering {pcx.vpc_peering_connection_id} · {status}"
        if flags:
            link += " · " + ", ".join(sorted(flags))
        svg.text(peer_x + 8, py + 65, clip(link, PEER_W - 16, 10), size=10, fill=colour)
        svg.add("</g>")

    svg.add("</svg>")
    return "".join(svg.parts)


def _routes_to_igw(
    rd: RegionData, vpc_id: str, subnet_id: str, igws: Iterable[aws.InternetGateway]
) -> Iterable[bool]:
    rtb_id = rd.subnet_route_table.get(subnet_id) or rd.main_route_table.get(vpc_id)
    table = rd.route_tables.get(rtb_id) if rtb_id else None
    ids = {g.internet_gateway_id for g in igws}
    if table is None:
        return ()
    return (r.gateway_id in ids for r in table.routes if r.gateway_id)


def _subnet(
    svg: _Svg,
    rd: RegionData,
    vpc_id: str,
    s: aws.Subnet,
    x0: float,
    y0: float,
    w: float,
    h: float,
    flags: set[str],
    public: bool,
) -> None:
    name = aws.tag_name(s.tags)
    cls = "subnet blocking" if flags else "subnet"
    svg.add(f'<g class="{cls}" data-resource="{x(s.subnet_id)}">')
    svg.rect(
        x0,
        y0,
        w,
        h,
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
    rtb = rd.subnet_route_table.get(s.subnet_id) or rd.main_route_table.get(vpc_id) or "?"
    acl = rd.subnet_network_acl.get(s.subnet_id) or "?"
    svg.text(
        x0 + SUBNET_PAD,
        y0 + 42,
        clip(f"{rtb} · {acl}", w - 2 * SUBNET_PAD, 10),
        size=10,
        fill=RED if flags else "#607d8b",
    )
    svg.add("</g>")


def _chip(
    svg: _Svg,
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


def _place_chips(
    svg: _Svg,
    x0: float,
    y0: float,
    chips: list[tuple[str, float, str, str, str, set[str], str, str]],
) -> None:
    """Chips of one kind share rows; a new kind starts a new row."""
    cx, cy = x0, y0
    row_w = COL_W - 2 * 8 - 2 * SUBNET_PAD
    last_kind = None
    for kind, w, label, fill, ink, flags, detail, data in chips:
        if last_kind is not None and (kind != last_kind or cx + w > x0 + row_w + 1):
            cx, cy = x0, cy + CHIP_H + CHIP_GAP
        _chip(svg, cx, cy, w, label, fill, ink, flags, cls=kind, detail=detail, data=data)
        cx += w + CHIP_GAP
        last_kind = kind
