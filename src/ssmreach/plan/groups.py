"""Security-group changes: the one endpoint group per VPC, adding it to existing endpoints,
and egress rules on instance groups that restrict egress (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ssmreach.analysis import security_groups
from ssmreach.analysis.addresses import Place, network
from ssmreach.model import aws
from ssmreach.model.estate import RegionData
from ssmreach.plan.changes import (
    AuthorizeEgress,
    AuthorizeIngress,
    CreateSecurityGroup,
    Finding,
    ModifyEndpointSecurityGroups,
    is_ref,
    ref,
)
from ssmreach.plan.shared import ENDPOINT_GROUP_NAME, GONE, admits, ipv6_only, subnet_of
from ssmreach.plan.state import PlanState


def endpoint_group(
    state: PlanState, region: RegionData, vpc_id: str, instances: Sequence[aws.Instance]
) -> tuple[str, tuple[str, ...]]:
    """The one endpoint security group of the VPC: (group id or reference, change ids)."""
    cached = state.groups.get(vpc_id)
    if cached is not None:
        return cached
    in_vpc = [g for g in region.security_groups.values() if g.vpc_id == vpc_id]
    cidrs_all = sorted(
        {
            s.source_cidr
            for i in instances
            if (s := subnet_of(region, i)) is not None and s.source_cidr
        }
    )
    ours = next((g for g in in_vpc if g.group_name == ENDPOINT_GROUP_NAME), None)
    if ours is None:
        reused = _reusable_group(region, vpc_id, in_vpc, instances)
        if reused is not None:
            state.groups[vpc_id] = (reused, ())
            return state.groups[vpc_id]
    deps: list[str] = []
    if ours is None:
        create_id = state.add(
            CreateSecurityGroup(
                id=f"security-group/{vpc_id}/endpoints",
                account=region.account,
                region=region.region,
                vpc_id=vpc_id,
                group_name=ENDPOINT_GROUP_NAME,
                description="ssmreach: HTTPS from SSM managed instances to VPC endpoints",
                summary=f"create security group {ENDPOINT_GROUP_NAME} in {vpc_id}",
            )
        )
        group_id = ref(create_id)
        deps.append(create_id)
        missing = cidrs_all
    else:
        group_id = ours.group_id
        missing = sorted(
            {
                s.source_cidr
                for i in instances
                if not admits(region, [ours], i)
                and (s := subnet_of(region, i)) is not None
                and s.source_cidr
            }
        )
    if missing:
        deps.append(_ingress(state, region, vpc_id, group_id, missing, tuple(deps)))
    state.groups[vpc_id] = (group_id, tuple(deps))
    return state.groups[vpc_id]


def _reusable_group(
    region: RegionData,
    vpc_id: str,
    in_vpc: Sequence[aws.SecurityGroup],
    instances: Sequence[aws.Instance],
) -> str | None:
    """A non-default group already on an interface endpoint that admits every instance."""
    attached = {
        g.group_id
        for ep in region.endpoints_by_vpc.get(vpc_id, ())
        if ep.is_interface and ep.state.lower() not in GONE
        for g in ep.groups
    }
    default = region.default_security_group.get(vpc_id)
    for group in sorted(
        (g for g in in_vpc if g.group_id in attached and g.group_id != default),
        key=lambda g: g.group_id,
    ):
        if all(admits(region, [group], i) for i in instances):
            return group.group_id
    return None


def _ingress(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    group_id: str,
    missing: Sequence[str],
    deps: tuple[str, ...],
) -> str:
    return state.add(
        AuthorizeIngress(
            id=f"ingress/{vpc_id}/endpoints/{'+'.join(missing)}",
            account=region.account,
            region=region.region,
            vpc_id=vpc_id,
            group_id=group_id,
            cidrs=tuple(missing),
            depends_on=deps,
            summary=f"allow TCP 443 from {', '.join(missing)} into the endpoint group",
        )
    )


def add_endpoint_group(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    eid: str,
    service: str,
    group: str,
    group_deps: tuple[str, ...],
    what: str,
    fixes: Sequence[Finding],
) -> str:
    """Add the endpoint security group to an existing endpoint (never replacing its groups)."""
    return state.add(
        ModifyEndpointSecurityGroups(
            id=f"endpoint-groups/{eid}",
            account=region.account,
            region=region.region,
            vpc_id=vpc_id,
            endpoint_id=eid,
            service=service,
            add_group_ids=(group,),
            depends_on=group_deps,
            summary=f"add the endpoint security group to {eid} ({what})",
        ),
        fixes,
    )


def _group_owner(state: PlanState, region: RegionData, instance: aws.Instance) -> RegionData:
    """The data that holds all of the instance's security groups: the VPC's own, or (for an
    instance of a participant in a shared VPC) the participant account's in the same Region;
    `region` when no data holds them all."""
    wanted = set(instance.group_ids)
    if wanted <= region.security_groups.keys():
        return region
    for (_, name), data in state.estate.regions.items():
        if name == region.region and wanted <= data.security_groups.keys():
            return data
    return region


def egress(
    state: PlanState,
    region: RegionData,
    instances: Iterable[aws.Instance],
    place: Place,
    *,
    what: str,
    findings: Sequence[Finding],
    group: str | None = None,
    prefix_list: str | None = None,
    cidr: str | None = None,
    deps: tuple[str, ...] = (),
) -> None:
    """443 to the destination for instance groups that restrict egress. The change goes to
    the account that owns the groups: a participant's own, in a subnet shared with it."""
    for instance in instances:
        owner = _group_owner(state, region, instance)
        if not instance.group_ids or not set(instance.group_ids) <= owner.security_groups.keys():
            continue  # groups not in the snapshot: the check said UNKNOWN, nothing to plan
        groups = [owner.security_groups[g] for g in instance.group_ids]
        decision = security_groups.evaluate(
            groups, egress=True, peer=place, prefix_lists=region.prefix_lists
        )
        if decision.outcome.value != "fail":
            continue
        first = groups[0].group_id
        target = group or prefix_list or cidr or "?"
        mine = [f for f in findings if f.instance == instance.instance_id]
        state.add(
            AuthorizeEgress(
                id=f"egress/{first}/{target}",
                account=owner.account,
                region=owner.region,
                vpc_id=instance.vpc_id,
                group_id=first,
                destination_group_ids=(group,) if group else (),
                prefix_list_ids=(prefix_list,) if prefix_list else (),
                cidrs=(cidr,) if cidr else (),
                depends_on=deps,
                summary=f"allow TCP 443 from {first} to {what}",
            ),
            mine,
        )


def egress_to_endpoint(
    state: PlanState,
    region: RegionData,
    clients: Sequence[aws.Instance],
    findings: Sequence[Finding],
    subnets: Sequence[str],
    groups: Sequence[str],
    deps: tuple[str, ...],
) -> None:
    """443 from the clients to the endpoint (its group, and its first subnet, in the
    clients' address family)."""
    subnet = region.subnets.get(subnets[0]) if subnets else None
    v6 = bool(clients) and all(ipv6_only(region, i) for i in clients)
    cidr = (subnet.ipv6_cidrs[0] if subnet.ipv6_cidrs else None) if v6 and subnet else None
    cidr = cidr if v6 else (subnet.cidr_block if subnet else None)
    net = network(cidr) if cidr else None
    place = Place(net=net, groups=frozenset(g for g in groups if not is_ref(g)))
    group = next((g for g in groups), None)
    egress(
        state,
        region,
        clients,
        place,
        what="the endpoint security group",
        findings=[
            f
            for f in findings
            if f.code in ("SG_EGRESS_DENIED", "ENDPOINT_MISSING", "INTERNET_PATH")
        ],
        group=group,
        deps=deps,
    )
