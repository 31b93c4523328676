"""Routes between a spoke and the hub's endpoint subnets, both ways: missing ones through an
existing peering connection or transit gateway, else manual steps (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from ssmreach.analysis.addresses import Place, network
from ssmreach.analysis.routing import route_table_for, select_route
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import RegionData
from ssmreach.plan.changes import CreateRoute, Finding, is_ref
from ssmreach.plan.needs import VpcNeeds
from ssmreach.plan.shared import first_cidr
from ssmreach.plan.state import PlanState


def connection(region: RegionData, a: str, b: str) -> str | None:
    """An active peering connection between the two VPCs, else a transit gateway both route to."""
    for pcx in sorted(region.peerings.values(), key=lambda p: p.vpc_peering_connection_id):
        ends = {
            pcx.requester_vpc_info.vpc_id if pcx.requester_vpc_info else None,
            pcx.accepter_vpc_info.vpc_id if pcx.accepter_vpc_info else None,
        }
        if ends == {a, b} and pcx.status and pcx.status.code == "active":
            return pcx.vpc_peering_connection_id
    tgws = [
        {
            r.transit_gateway_id
            for t in region.route_tables.values()
            if t.vpc_id == v
            for r in t.routes
            if r.transit_gateway_id
        }
        for v in (a, b)
    ]
    common = sorted(tgws[0] & tgws[1] - {None})
    return common[0] if common else None


def routes(
    state: PlanState,
    region: RegionData,
    spoke: VpcNeeds,
    hub_id: str,
    hub_subnets: Sequence[str],
    findings: Sequence[Finding],
) -> None:
    """Routes spoke -> hub endpoint subnets and back; missing ones become changes."""
    hub = region.vpcs[hub_id]
    spoke_vpc = region.vpcs.get(spoke.vpc_id)
    if spoke_vpc is None:
        return
    hub_cidr = first_cidr(hub)
    spoke_cidr = first_cidr(spoke_vpc)
    if not hub_cidr or not spoke_cidr:
        return
    link = connection(region, spoke.vpc_id, hub_id)
    pairs: list[tuple[str, str, str]] = []  # (route table, destination CIDR, its VPC)
    for instance in spoke.instances.values():
        table_id = route_table_for(region, instance.subnet_id or "", spoke.vpc_id)
        if table_id:
            pairs.append((table_id, hub_cidr, spoke.vpc_id))
    for subnet_id in hub_subnets:
        if is_ref(subnet_id):
            continue
        table_id = route_table_for(region, subnet_id, hub_id)
        if table_id:
            pairs.append((table_id, spoke_cidr, hub_id))
    for table_id, destination, owner in sorted(set(pairs)):
        _route(state, region, spoke.vpc_id, hub_id, link, table_id, destination, owner, findings)


def _route(
    state: PlanState,
    region: RegionData,
    spoke_id: str,
    hub_id: str,
    link: str | None,
    table_id: str,
    destination: str,
    owner: str,
    findings: Sequence[Finding],
) -> None:
    """One table's route to `destination`: kept when it goes through the connection (or any
    peering or transit gateway when there is none), else a change or a manual step."""
    route_table = region.route_tables.get(table_id)
    if route_table is None:
        return
    ids = sorted({f.instance for f in findings})
    choice = select_route(region, route_table, Place(net=network(destination)))
    target = choice.route.target if choice.route else None
    if target and (
        target == link
        or (
            link is None
            and choice.route is not None
            and isinstance(region.target_of(choice.route), rt.Peering | rt.TransitGateway)
        )
    ):
        return
    if link is None:
        state.manual.add(
            "NO_ROUTE",
            table_id,
            f"{table_id} has no route to {destination} and {spoke_id} is not connected to the hub {hub_id} (no active peering connection or shared transit gateway)",
            ids,
            f"Connect {spoke_id} and {hub_id} (peering or transit gateway), then plan again.",
        )
        return
    if (
        choice.route is not None
        and not isinstance(region.target_of(choice.route), rt.Local)
        and network(choice.route.destination) == network(destination)
    ):
        state.manual.add(
            "NO_ROUTE", table_id, f"{table_id} sends {destination} to {target}, not to {link}", ids
        )
        return
    state.add(
        CreateRoute(
            id=f"route/{table_id}/{destination}",
            account=region.account,
            region=region.region,
            vpc_id=owner,
            route_table_id=table_id,
            destination_cidr=destination,
            target=link,
            summary=f"route {destination} through {link} in {table_id}",
        ),
        [f for f in findings if f.code in ("NO_ROUTE", "NO_RETURN_ROUTE")] or findings,
    )
