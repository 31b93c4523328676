"""Where each part of a VPC diagram goes: pure geometry computed from the model.

`VpcParts.of` picks what one diagram shows (the subnets by Availability Zone, the
instances, endpoint network interfaces and NAT gateways in each subnet, the internet
gateways and gateway endpoints on the VPC's edge, the endpoints, the peered VPCs);
`layout_vpc` gives every part its position and size. Nothing here writes SVG:
`diagram_draw.py` draws a layout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set
from dataclasses import dataclass

from ssmreach.model import aws
from ssmreach.model.estate import RegionData

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

Peer = tuple[aws.VpcPeeringConnection, aws.PeeringVpcInfo]
ChipItem = aws.Instance | aws.VpcEndpoint | aws.NatGateway
EdgeItem = aws.InternetGateway | aws.VpcEndpoint


def service_short(name: str) -> str:
    """`com.amazonaws.us-east-1.ssmmessages` -> `ssmmessages`."""
    return name.rsplit(".", 1)[-1] if name.startswith("com.amazonaws.") else name


def edge_label(item: EdgeItem) -> str:
    """The text of an internet gateway's or gateway endpoint's chip (it sets the chip's width)."""
    if isinstance(item, aws.InternetGateway):
        return f"IGW {item.internet_gateway_id}"
    return f"{service_short(item.service_name)} gateway endpoint {item.vpc_endpoint_id}"


def _subnet_sort_key(subnet: aws.Subnet) -> tuple[int, ...]:
    cidr = subnet.cidr_block or "255.255.255.255/32"
    try:
        return tuple(int(p) for p in cidr.split("/")[0].split("."))
    except ValueError:
        return (999,)


def _rows(count: int, per_row: int) -> int:
    return (count + per_row - 1) // per_row


def peers_of(vpc_id: str, peerings: dict[str, aws.VpcPeeringConnection]) -> list[Peer]:
    """The peering connections of a VPC with the VPC on their other side, by id."""
    peers = []
    for pcx_id in sorted(peerings):
        pcx = peerings[pcx_id]
        req, acc = pcx.requester_vpc_info, pcx.accepter_vpc_info
        if req and req.vpc_id == vpc_id and acc:
            peers.append((pcx, acc))
        elif acc and acc.vpc_id == vpc_id and req:
            peers.append((pcx, req))
    return peers


@dataclass(frozen=True, slots=True)
class VpcParts:
    """What one VPC's diagram shows, in drawing order."""

    vpc: aws.Vpc
    zones: dict[str, list[aws.Subnet]]
    instances: dict[str, list[aws.Instance]]
    endpoints: list[aws.VpcEndpoint]
    gateway_endpoints: list[aws.VpcEndpoint]
    enis: dict[str, list[aws.VpcEndpoint]]
    nats: dict[str, list[aws.NatGateway]]
    igws: list[aws.InternetGateway]
    peers: list[Peer]

    @classmethod
    def of(
        cls, rd: RegionData, vpc: aws.Vpc, peerings: dict[str, aws.VpcPeeringConnection]
    ) -> VpcParts:
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
            (e for e in rd.endpoints.values() if e.vpc_id == vpc_id),
            key=lambda e: e.vpc_endpoint_id,
        )
        enis: dict[str, list[aws.VpcEndpoint]] = defaultdict(list)
        for ep in endpoints:
            if ep.is_interface:
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
        return cls(
            vpc=vpc,
            zones=zones,
            instances=instances,
            endpoints=endpoints,
            gateway_endpoints=[e for e in endpoints if not e.is_interface],
            enis=enis,
            nats=nats,
            igws=igws,
            peers=peers_of(vpc_id, peerings),
        )

    def zone_names(self) -> list[str]:
        return sorted(self.zones) or ["(no subnets)"]

    def subnet_height(self, s: aws.Subnet) -> int:
        rows = _rows(len(self.instances.get(s.subnet_id, ())), 2)
        rows += _rows(len(self.enis.get(s.subnet_id, ())), 3)
        rows += len(self.nats.get(s.subnet_id, ()))
        return SUBNET_HEAD + max(rows, 1) * (CHIP_H + CHIP_GAP) + 4


@dataclass(frozen=True, slots=True)
class Chip:
    """An instance, an endpoint's network interface or a NAT gateway inside a subnet."""

    kind: str  # instance, endpoint-eni, nat
    item: ChipItem
    x: float
    y: float
    w: float


@dataclass(frozen=True, slots=True)
class EdgeChip:
    """An internet gateway or a gateway endpoint on the VPC's edge."""

    kind: str  # igw, gateway-endpoint
    item: EdgeItem
    label: str
    x: float
    y: float
    w: float


@dataclass(frozen=True, slots=True)
class SubnetBox:
    subnet: aws.Subnet
    x: float
    y: float
    w: float
    h: float
    chips: list[Chip]


@dataclass(frozen=True, slots=True)
class Column:
    """One Availability Zone and its subnets."""

    zone: str
    x: float
    y: float
    w: float
    h: float
    subnets: list[SubnetBox]


@dataclass(frozen=True, slots=True)
class LegendRow:
    """One endpoint's line under the zones; `flags_y` is the line of its flags, if any."""

    endpoint: aws.VpcEndpoint
    y: float
    flags_y: float | None


@dataclass(frozen=True, slots=True)
class PeerBox:
    pcx: aws.VpcPeeringConnection
    peer: aws.PeeringVpcInfo
    y: float


@dataclass(frozen=True, slots=True)
class VpcLayout:
    width: float
    height: float
    x: float  # the VPC's box
    y: float
    w: float
    h: float
    edge: list[EdgeChip]
    columns: list[Column]
    legend_y: float
    legend: list[LegendRow]
    peer_x: float
    peers: list[PeerBox]


def layout_vpc(parts: VpcParts, flagged: Set[str]) -> VpcLayout:
    """Every part's place. `flagged`: the endpoints whose legend line has a line of flags."""
    zone_names = parts.zone_names()
    col_heights = [
        24 + sum(parts.subnet_height(s) + 10 for s in parts.zones.get(z, [])) for z in zone_names
    ]
    body_h = max([*col_heights, 60])
    endpoints = parts.endpoints
    count = sum(1 for ep in endpoints if ep.vpc_endpoint_id in flagged)
    legend_h = (len(endpoints) + count + 1) * LEGEND_ROW if endpoints else LEGEND_ROW + 4
    edge_h = EDGE_H if (parts.igws or parts.gateway_endpoints) else 0
    vpc_w = max(len(zone_names) * (COL_W + COL_GAP) - COL_GAP + 2 * PAD, MIN_VPC_W)
    vpc_h = 52 + edge_h + body_h + legend_h + PAD
    peer_x = PAD + vpc_w + 60
    peers_h = len(parts.peers) * (PEER_H + 12)
    width = peer_x + PEER_W + PAD if parts.peers else PAD + vpc_w + PAD
    height = max(vpc_h, peers_h + 60) + 2 * PAD
    vx, vy = PAD, PAD
    ey = vy + 48
    top = ey + edge_h
    ly = top + body_h + 20
    return VpcLayout(
        width=width,
        height=height,
        x=vx,
        y=vy,
        w=vpc_w,
        h=vpc_h,
        edge=_edge(parts, vx + 12, ey),
        columns=[
            _column(parts, z, vx + PAD + i * (COL_W + COL_GAP), top, body_h)
            for i, z in enumerate(zone_names)
        ],
        legend_y=ly,
        legend=_legend(endpoints, ly, flagged),
        peer_x=peer_x,
        peers=[
            PeerBox(pcx, peer, vy + 20 + n * (PEER_H + 12))
            for n, (pcx, peer) in enumerate(parts.peers)
        ],
    )


def _edge(parts: VpcParts, x0: float, y0: float) -> list[EdgeChip]:
    chips = []
    ex = x0
    items: list[tuple[str, EdgeItem, int]] = [("igw", g, 240) for g in parts.igws]
    items += [("gateway-endpoint", ep, 320) for ep in parts.gateway_endpoints]
    for kind, item, widest in items:
        label = edge_label(item)
        w = min(len(label) * CHAR_W + 20, widest)
        chips.append(EdgeChip(kind, item, label, ex, y0, w))
        ex += w + 10
    return chips


def _column(parts: VpcParts, zone: str, cx: float, top: float, body_h: float) -> Column:
    boxes = []
    sy = top + 24
    for s in parts.zones.get(zone, []):
        h = parts.subnet_height(s)
        chips = _place_chips(parts, s, cx + 8 + SUBNET_PAD, sy + SUBNET_HEAD)
        boxes.append(SubnetBox(s, cx + 8, sy, COL_W - 16, h, chips))
        sy += h + 10
    return Column(zone, cx, top, COL_W, body_h, boxes)


def _place_chips(parts: VpcParts, s: aws.Subnet, x0: float, y0: float) -> list[Chip]:
    """Chips of one kind share rows; a new kind starts a new row."""
    items: list[tuple[str, float, ChipItem]] = [
        ("instance", INSTANCE_W, inst)
        for inst in sorted(parts.instances.get(s.subnet_id, ()), key=lambda n: n.instance_id)
    ]
    items += [("endpoint-eni", ENI_W, ep) for ep in parts.enis.get(s.subnet_id, ())]
    items += [("nat", NAT_W, nat) for nat in parts.nats.get(s.subnet_id, ())]
    chips = []
    cx, cy = x0, y0
    row_w = COL_W - 2 * 8 - 2 * SUBNET_PAD
    last_kind = None
    for kind, w, item in items:
        if last_kind is not None and (kind != last_kind or cx + w > x0 + row_w + 1):
            cx, cy = x0, cy + CHIP_H + CHIP_GAP
        chips.append(Chip(kind, item, cx, cy, w))
        cx += w + CHIP_GAP
        last_kind = kind
    return chips


def _legend(endpoints: list[aws.VpcEndpoint], ly: float, flagged: Set[str]) -> list[LegendRow]:
    rows = []
    yy = ly
    for ep in endpoints:
        yy += LEGEND_ROW
        flags_y = yy + LEGEND_ROW if ep.vpc_endpoint_id in flagged else None
        rows.append(LegendRow(ep, yy, flags_y))
        if flags_y is not None:
            yy = flags_y
    return rows
