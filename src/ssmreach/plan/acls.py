"""Network-ACL changes: allow entries in the ACLs that deny the paths the plan leaves the
instances with (see `nacl_rules`); the ACL causes it cannot plan stay manual (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ssmreach.analysis.addresses import Place, network
from ssmreach.analysis.engine import ephemeral_ports
from ssmreach.analysis.routing import route_table_for
from ssmreach.analysis.services import endpoint_service_name
from ssmreach.model import aws
from ssmreach.model.estate import RegionData
from ssmreach.plan import nacl_rules
from ssmreach.plan.changes import is_ref
from ssmreach.plan.needs import VpcNeeds
from ssmreach.plan.shared import INTERFACE_ORDER, NACL_CODES, s3_prefix_place, subnet_of
from ssmreach.plan.state import PlanState


def network_acls(state: PlanState, vpcs: Iterable[VpcNeeds]) -> None:
    """Allow entries in the network ACLs that deny the paths the plan leaves the
    instances with (see `nacl_rules`); NACL causes it cannot plan stay manual."""
    planner = nacl_rules.NaclPlanner()
    handled: set[str] = set()
    unhandled: set[str] = set()
    for vpc in sorted(vpcs, key=lambda v: (v.region.account, v.region.region, v.vpc_id)):
        # S3 first: its 0.0.0.0/0 entries also carry the endpoints' replies
        for service in ("s3", *INTERFACE_ORDER):
            for iid, need in sorted(vpc.needs.get(service, {}).items()):
                planned = _planned_path(
                    state, planner, vpc.region, vpc.vpc_id, service, need.instance
                )
                if planned is None:
                    unhandled.add(iid)
                    continue
                handled.add(iid)
                region, crossings = planned
                findings = [f for f in need.findings if f.code in NACL_CODES] or need.findings
                for problem in planner.allow(region, crossings, findings):
                    state.manual.add(
                        problem.code, problem.acl_id, problem.message, [iid], problem.fix
                    )
    for change, fixed in planner.planned():
        state.add(change, fixed)
    for iid, reasons in sorted(state.nacl_reasons.items()):
        if iid in handled and iid not in unhandled:
            continue
        for r in reasons:
            state.manual.add(
                r.code, r.resource, f"{r.message} ({NACL_CODES[r.code]})", [iid], r.fix
            )


def _planned_path(
    state: PlanState,
    planner: nacl_rules.NaclPlanner,
    region: RegionData,
    vpc_id: str,
    service: str,
    instance: aws.Instance,
) -> tuple[RegionData, list[nacl_rules.Crossing]] | None:
    """The NACL crossings of the path `instance` takes to `service` after the plan: to
    the endpoint's subnet (the best one, as the engine picks it), or to S3 through the
    gateway endpoint. None when the plan leaves no such path."""
    subnet = subnet_of(region, instance)
    ip = instance.private_ip_address
    if subnet is None or not ip or not subnet.cidr_block or subnet.ipv6_only:
        return None  # IPv6-only: network ACL entries are left to a person
    client = Place(net=network(ip), label="the instance")
    ephemeral = ephemeral_ports(_own_region(state, region, instance), instance)
    if service == "s3":
        if route_table_for(region, subnet.subnet_id, vpc_id) is None:
            return None
        return region, nacl_rules.gateway_crossings(subnet, _s3_place(region), ephemeral)
    reach = state.reach.get((region.account, region.region, vpc_id, service))
    if reach is None:
        return None
    _, endpoint, subnets = reach  # the same account and Region (hub members share them)
    targets = _endpoint_targets(region, endpoint, subnets)
    if not targets:
        return None
    az = (
        instance.placement.availability_zone
        if instance.placement and instance.placement.availability_zone
        else subnet.availability_zone
    )
    targets.sort(key=lambda t: (t.subnet.availability_zone != az, t.subnet.subnet_id))
    options = [nacl_rules.endpoint_crossings(subnet, client, ephemeral, t) for t in targets]
    chosen = next((o for o in options if planner.passes(region, o)), options[0])
    return region, chosen


def _own_region(state: PlanState, region: RegionData, instance: aws.Instance) -> RegionData:
    """The data of the instance's own account, whose DescribeInstanceInformation names its
    platform: `region` is the VPC owner's for a participant's instance in a shared VPC."""
    if instance.instance_id in region.instance_information:
        return region
    for other in state.estate.regions.values():
        if other.region == region.region and instance.instance_id in other.instance_information:
            return other
    return region


def _s3_place(region: RegionData) -> Place:
    name = endpoint_service_name(region.region, "s3")
    place = s3_prefix_place(region, name)
    if place is None:
        return Place(public=True, aws_service=name, label=f"public s3 addresses ({name})")
    return place


def _endpoint_targets(
    region: RegionData, endpoint: str, subnets: Sequence[str]
) -> list[nacl_rules.Target]:
    """Where an endpoint's network interfaces are: those in the snapshot (subnet and
    address), else its subnets (a planned endpoint: addresses not known yet)."""
    targets: list[nacl_rules.Target] = []
    existing = None if is_ref(endpoint) else region.endpoints.get(endpoint)
    for eni_id in existing.network_interface_ids if existing else ():
        eni = region.network_interfaces.get(eni_id)
        subnet = region.subnets.get(eni.subnet_id or "") if eni else None
        if eni is None or subnet is None or not subnet.cidr_block:
            continue
        ip = eni.private_ip_address or (
            eni.private_ip_addresses[0].private_ip_address if eni.private_ip_addresses else None
        )
        targets.append(
            nacl_rules.Target(subnet, Place(net=network(ip or subnet.cidr_block), label=eni_id))
        )
    if not targets:
        for subnet_id in subnets:
            subnet = None if is_ref(subnet_id) else region.subnets.get(subnet_id)
            if subnet is not None and subnet.cidr_block:
                targets.append(
                    nacl_rules.Target(
                        subnet, Place(net=network(subnet.cidr_block), label=subnet.subnet_id)
                    )
                )
    return targets
