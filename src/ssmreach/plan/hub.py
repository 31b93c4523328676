"""The hub-and-spoke design: interface endpoints in the hub VPC with private DNS off, one
private hosted zone per service name for the spokes, routes both ways and egress to the
hub; S3 stays a gateway endpoint per VPC (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from ssmreach.analysis.addresses import Place, network
from ssmreach.analysis.services import endpoint_service_name, service_host
from ssmreach.errors import UsageError
from ssmreach.model import aws
from ssmreach.model.estate import Gap, RegionData, normalize_name
from ssmreach.plan.changes import AssociateHostedZone, CreatePrivateHostedZone
from ssmreach.plan.gateway import s3_gateway
from ssmreach.plan.groups import egress, egress_to_endpoint
from ssmreach.plan.interfaces import dns_attributes, interface_endpoint
from ssmreach.plan.needs import VpcNeeds
from ssmreach.plan.plan import VpcDesign
from ssmreach.plan.routes import routes
from ssmreach.plan.shared import INTERFACE_ORDER, existing_interface, first_cidr
from ssmreach.plan.state import PlanState


def hub(
    state: PlanState, hub_id: str, vpcs: dict[tuple[str, str, str], VpcNeeds]
) -> list[VpcNeeds]:
    """Plan the hub design for the VPCs in the hub's account and Region; return the rest."""
    home = state.estate.vpc_home.get(hub_id)
    region = state.estate.region_of_vpc(hub_id)
    if home is None or region is None or hub_id not in region.vpcs:
        raise UsageError(f"--hub {hub_id}: no such VPC in the snapshot")
    members = {k: v for k, v in vpcs.items() if (k[0], k[1]) == home}
    rest = [v for k, v in vpcs.items() if (k[0], k[1]) != home]
    hub_vpc = members.get((home[0], home[1], hub_id)) or VpcNeeds(region=region, vpc_id=hub_id)
    spokes = [v for k, v in sorted(members.items()) if k[2] != hub_id]
    everyone = [hub_vpc, *spokes]
    interface = [s for s in INTERFACE_ORDER if any(s in v.needs for v in everyone)]
    clients = sorted(
        (i for v in everyone for i in v.instances.values()), key=lambda i: i.instance_id
    )
    hub_dns = dns_attributes(state, hub_vpc, False)
    for vpc in spokes:
        # Spokes resolve through private hosted zones, which need both DNS attributes.
        dns_attributes(state, vpc, True)
    # endpoint subnets in the hub: the clients' AZs where the hub has subnets
    for service in interface:
        _hub_service(state, region, hub_vpc, spokes, service, clients, hub_dns)
    for vpc in everyone:
        if "s3" in vpc.needs:
            s3_gateway(state, vpc)
        state.designs.append(
            VpcDesign(
                account=region.account,
                region=region.region,
                vpc_id=vpc.vpc_id,
                role="hub" if vpc.vpc_id == hub_id else "spoke",
                instances=tuple(sorted(vpc.instances)),
                services=tuple(s for s in (*INTERFACE_ORDER, "s3") if s in vpc.needs),
            )
        )
    return rest


def _hub_service(
    state: PlanState,
    region: RegionData,
    hub_vpc: VpcNeeds,
    spokes: Sequence[VpcNeeds],
    service: str,
    clients: Sequence[aws.Instance],
    hub_dns: tuple[str, ...],
) -> None:
    """One service in the hub: its endpoint, the hosted zone, routes and egress."""
    hub_id = hub_vpc.vpc_id
    users = [v for v in (hub_vpc, *spokes) if service in v.needs]
    findings = [f for v in users for f in v.findings(service)]
    codes = {f.code for f in findings}
    made = interface_endpoint(
        state,
        region,
        hub_id,
        service,
        clients=clients,
        findings=findings,
        codes=codes,
        dns_deps=hub_dns,
        private_dns=False,
    )
    if made is None:
        return
    endpoint, subnets, groups, deps = made
    for user in users:
        state.reach[(region.account, region.region, user.vpc_id, service)] = (
            region,
            endpoint,
            tuple(subnets),
        )
    existing = existing_interface(region, hub_id, endpoint_service_name(region.region, service))
    hub_private = existing is not None and existing.private_dns_enabled
    zone_vpcs = [v for v in spokes if service in v.needs]
    if service in hub_vpc.needs and not hub_private:
        zone_vpcs.insert(0, hub_vpc)
    _zone(state, region, service, endpoint, zone_vpcs, deps)
    for spoke in spokes:
        if service not in spoke.needs:
            continue
        routes(state, region, spoke, hub_id, subnets, spoke.findings(service))
        spoke_clients = sorted(spoke.instances.values(), key=lambda i: i.instance_id)
        cidr = first_cidr(region.vpcs[hub_id])
        if cidr:
            egress(
                state,
                region,
                spoke_clients,
                Place(net=network(cidr)),
                what=f"the hub VPC {hub_id} ({cidr})",
                findings=spoke.findings(service),
                cidr=cidr,
            )
    if service in hub_vpc.needs:
        egress_to_endpoint(
            state,
            region,
            sorted(hub_vpc.instances.values(), key=lambda i: i.instance_id),
            hub_vpc.findings(service),
            subnets,
            groups,
            deps,
        )


def _zone(
    state: PlanState,
    region: RegionData,
    service: str,
    endpoint: str,
    vpcs: Sequence[VpcNeeds],
    deps: tuple[str, ...],
) -> None:
    """A private hosted zone for the service name, alias to the hub endpoint, on the VPCs."""
    host = service_host(region, service, state.partition)
    if host is None or not vpcs:
        return
    findings = [f for v in vpcs for f in v.findings(service)]
    account = state.estate.account_data(region.account)
    existing = next((z for z in account.private_zones if z.domain == normalize_name(host)), None)
    if existing is None:
        state.add(
            CreatePrivateHostedZone(
                id=f"zone/{host}",
                account=region.account,
                region=region.region,
                vpc_id=None,
                zone_name=host,
                service=service,
                endpoint_id=endpoint,
                vpc_ids=tuple(v.vpc_id for v in vpcs),
                depends_on=deps,
                monthly_cost=state.costs.hosted_zone,
                summary=f"create private hosted zone {host} (alias to the hub {service} endpoint) for {', '.join(v.vpc_id for v in vpcs)}",
            ),
            findings,
        )
        return
    zid = existing.zone.zone_id
    records = existing.records
    if isinstance(records, Gap) or not any(
        normalize_name(r.name) == normalize_name(host) for r in records
    ):
        state.manual.add(
            "PHZ_SHADOWS_SERVICE",
            zid,
            f"private hosted zone {host} ({zid}) exists without a usable record for {host}",
            sorted({f.instance for f in findings}),
            f"Add an alias record for {host} in {zid} to the hub endpoint.",
        )
        return
    associated = {z.vpc_id for z in existing.vpcs} if not isinstance(existing.vpcs, Gap) else set()
    for vpc in vpcs:
        if vpc.vpc_id in associated:
            continue
        state.add(
            AssociateHostedZone(
                id=f"zone-association/{zid}/{vpc.vpc_id}",
                account=region.account,
                region=region.region,
                vpc_id=vpc.vpc_id,
                zone_id=zid,
                zone_name=host,
                summary=f"associate private hosted zone {host} ({zid}) with {vpc.vpc_id}",
            ),
            vpc.findings(service),
        )
