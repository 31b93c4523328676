"""The per-VPC design: each VPC gets its own interface endpoints (private DNS on), the S3
gateway endpoint and the egress rules to them (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from ssmreach.analysis.network import endpoint_groups
from ssmreach.analysis.services import endpoint_service_name
from ssmreach.model import aws
from ssmreach.model.estate import Gap, RegionData
from ssmreach.plan.gateway import s3_gateway
from ssmreach.plan.groups import add_endpoint_group, egress_to_endpoint, endpoint_group
from ssmreach.plan.interfaces import dns_attributes, interface_endpoint
from ssmreach.plan.needs import VpcNeeds
from ssmreach.plan.plan import VpcDesign
from ssmreach.plan.shared import INTERFACE_ORDER, admits, existing_interface
from ssmreach.plan.state import PlanState


def per_vpc(state: PlanState, vpc: VpcNeeds) -> None:
    region, vpc_id = vpc.region, vpc.vpc_id
    interface = [s for s in INTERFACE_ORDER if s in vpc.needs]
    dns_deps = dns_attributes(state, vpc, bool(interface))
    clients = sorted(vpc.instances.values(), key=lambda i: i.instance_id)
    for service in interface:
        made = interface_endpoint(
            state,
            region,
            vpc_id,
            service,
            clients=clients,
            findings=vpc.findings(service),
            codes=vpc.codes(service),
            dns_deps=dns_deps,
            private_dns=True,
        )
        if made is None:
            continue
        endpoint, subnets, groups, deps = made
        state.reach[(region.account, region.region, vpc_id, service)] = (
            region,
            endpoint,
            tuple(subnets),
        )
        egress_to_endpoint(state, region, clients, vpc.findings(service), subnets, groups, deps)
    if interface:
        _sibling_endpoints(state, region, vpc_id, clients, skip=interface)
    if "s3" in vpc.needs:
        s3_gateway(state, vpc)
    state.designs.append(
        VpcDesign(
            account=region.account,
            region=region.region,
            vpc_id=vpc_id,
            role="per-vpc",
            instances=tuple(sorted(vpc.instances)),
            services=tuple(s for s in (*INTERFACE_ORDER, "s3") if s in vpc.needs),
        )
    )


def _sibling_endpoints(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    clients: Sequence[aws.Instance],
    skip: Sequence[str],
) -> None:
    """Existing ssm/ssmmessages/ec2messages endpoints that refuse the instances get the
    endpoint group too (judgement): agents fall back to ec2messages while ssmmessages has
    never connected, so an endpoint that answers DNS but drops the connection is a trap.
    Adding a group costs nothing and removes nothing."""
    for service in ("ssm", "ssmmessages", "ec2messages"):
        if service in skip:
            continue
        existing = existing_interface(region, vpc_id, endpoint_service_name(region.region, service))
        if existing is None or existing.state.lower() != "available":
            continue
        groups = endpoint_groups(region, existing)
        if isinstance(groups, Gap) or all(admits(region, groups, i) for i in clients):
            continue
        group, group_deps = endpoint_group(state, region, vpc_id, clients)
        if group in {g.group_id for g in existing.groups}:
            continue
        eid = existing.vpc_endpoint_id
        add_endpoint_group(
            state,
            region,
            vpc_id,
            eid,
            service,
            group,
            group_deps,
            f"{service}, which the agent may fall back to",
            [],
        )
