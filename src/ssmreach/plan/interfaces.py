"""Interface endpoints: the VPC DNS attributes they need, their subnets, and a new endpoint or
the fixes to an existing one (private DNS, security groups, policy) (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from ssmreach.analysis.network import endpoint_groups
from ssmreach.analysis.services import endpoint_service_name, service_offered
from ssmreach.model import aws
from ssmreach.model.estate import Gap, RegionData
from ssmreach.plan.changes import (
    CreateInterfaceEndpoint,
    Finding,
    ModifyEndpointPrivateDns,
    SetEndpointPolicy,
    SetVpcAttribute,
    ref,
)
from ssmreach.plan.groups import add_endpoint_group, endpoint_group
from ssmreach.plan.needs import VpcNeeds
from ssmreach.plan.policies import extend_policy, interface_policy, service_statement
from ssmreach.plan.shared import admits, existing_interface, ipv6_only, subnet_of
from ssmreach.plan.state import PlanState

Made = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]
"""(endpoint id or reference, its subnets, the groups instances should reach, change ids
that must come first)"""


def dns_attributes(state: PlanState, vpc: VpcNeeds, interface: bool) -> tuple[str, ...]:
    """Turn on the VPC DNS attributes that are false (hostnames only for `interface`)."""
    region, vpc_id = vpc.region, vpc.vpc_id
    ids: list[str] = []
    for attribute, code, needed in (
        ("enableDnsSupport", "VPC_DNS_SUPPORT_DISABLED", True),
        ("enableDnsHostnames", "VPC_DNS_HOSTNAMES_DISABLED", interface),
    ):
        value = region.vpc_attributes.get((vpc_id, attribute))
        if isinstance(value, Gap) or value is None or value or not needed:
            continue
        findings = [
            f for s in vpc.needs for f in vpc.findings(s) if f.code in (code, "ENDPOINT_MISSING")
        ]
        ids.append(
            state.add(
                SetVpcAttribute(
                    id=f"vpc-attribute/{vpc_id}/{attribute}",
                    account=region.account,
                    region=region.region,
                    vpc_id=vpc_id,
                    attribute=attribute,  # type: ignore[arg-type]
                    summary=f"set {attribute} to true on {vpc_id}",
                ),
                findings,
            )
        )
    return tuple(ids)


def choose_subnets(
    region: RegionData,
    vpc_id: str,
    azs: Sequence[str],
    service_name: str,
    *,
    dual_stack: bool = False,
) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """One subnet per AZ (subnets hosting endpoints first; with `dual_stack`, subnets with
    IPv4 and IPv6 CIDRs before all others): (subnets, AZs, skipped AZs)."""
    detail = region.endpoint_services.get(service_name)
    offered = set(detail.availability_zones) if detail and detail.availability_zones else None
    hosting = {
        s
        for ep in region.endpoints_by_vpc.get(vpc_id, ())
        if ep.is_interface
        for s in ep.subnet_ids
    }
    with_instances = {i.subnet_id for i in region.instances if i.vpc_id == vpc_id}
    subnets: list[str] = []
    chosen_azs: list[str] = []
    skipped: list[str] = []
    for az in azs:
        if offered is not None and az not in offered:
            skipped.append(az)
            continue
        candidates = sorted(
            (
                s
                for s in region.subnets.values()
                if s.vpc_id == vpc_id and s.availability_zone == az
            ),
            key=lambda s: (
                dual_stack and not (s.cidr_block and s.ipv6_cidrs),
                s.subnet_id not in hosting,
                s.subnet_id not in with_instances,
                s.subnet_id,
            ),
        )
        if candidates:
            subnets.append(candidates[0].subnet_id)
            chosen_azs.append(az)
    return tuple(subnets), tuple(chosen_azs), skipped


def interface_endpoint(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    service: str,
    *,
    clients: Sequence[aws.Instance],
    findings: Sequence[Finding],
    codes: set[str],
    dns_deps: tuple[str, ...],
    private_dns: bool,
) -> Made | None:
    """Make sure the VPC has a working endpoint for `service`.

    Returns (endpoint id or reference, its subnets, the group instances should reach,
    change ids that must come first), or None when a person has to act.
    """
    name = endpoint_service_name(region.region, service)
    ids = sorted({f.instance for f in findings})
    if service_offered(region, service) is False:
        state.manual.add(
            "ENDPOINT_MISSING",
            vpc_id,
            f"{region.region} does not offer {name} (DescribeVpcEndpointServices)",
            ids,
        )
        return None
    existing = existing_interface(region, vpc_id, name)
    if existing is None:
        return _create(
            state, region, vpc_id, service, name, clients, findings, dns_deps, private_dns
        )
    return _reuse(
        state, region, vpc_id, existing, service, clients, findings, codes, dns_deps, private_dns
    )


def _create(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    service: str,
    name: str,
    clients: Sequence[aws.Instance],
    findings: Sequence[Finding],
    dns_deps: tuple[str, ...],
    private_dns: bool,
) -> Made | None:
    """A new interface endpoint in the clients' AZs, with the endpoint group."""
    ids = sorted({f.instance for f in findings})
    subnets, chosen, skipped = _endpoint_subnets(region, vpc_id, name, clients)
    ip_type = _address_type(state, region, vpc_id, name, clients, subnets)
    if ip_type is _NONE_SERVES:
        return None
    if not subnets:
        state.manual.add(
            "ENDPOINT_MISSING",
            vpc_id,
            f"no subnet of {vpc_id} is in an Availability Zone that offers {name}",
            ids,
        )
        return None
    if skipped:
        state.manual.add(
            "ENDPOINT_OTHER_AZ",
            vpc_id,
            f"{name} is not offered in {', '.join(skipped)}: instances there reach the endpoint in another AZ",
            [
                i.instance_id
                for i in clients
                if (s := subnet_of(region, i)) and s.availability_zone in skipped
            ],
        )
    group, group_deps = endpoint_group(state, region, vpc_id, clients)
    change_id = state.add(
        CreateInterfaceEndpoint(
            id=f"endpoint/{vpc_id}/{service}",
            account=region.account,
            region=region.region,
            vpc_id=vpc_id,
            service=service,
            service_name=name,
            subnet_ids=subnets,
            availability_zones=chosen,
            security_group_ids=(group,),
            private_dns=private_dns,
            policy=interface_policy(service),
            ip_address_type=ip_type,
            dns_record_ip_type=ip_type,
            depends_on=tuple(dict.fromkeys(group_deps + dns_deps)),
            monthly_cost=state.costs.interface_endpoint(region.region, len(chosen)),
            summary=f"create the {service} interface endpoint in {vpc_id} ({', '.join(chosen)}), private DNS {'on' if private_dns else 'off'}"
            + (f", IP address type and DNS records {ip_type}" if ip_type else ""),
        ),
        findings,
    )
    return ref(change_id), subnets, (group,), (change_id,)


_NONE_SERVES = "none"  # no endpoint of the service serves any of the clients


def _address_type(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    name: str,
    clients: Sequence[aws.Instance],
    subnets: Sequence[str],
) -> str | None:
    """The IP address type (and DNS record IP type) a new endpoint needs: None (AWS's
    default, ipv4) unless a client is in an IPv6-only subnet; then dualstack when every
    endpoint subnet has IPv4 and IPv6 CIDRs, ipv6 when every one is IPv6-only (PrivateLink
    guide, "IP address types"). Where neither works, or the service lists no ipv6 in
    SupportedIpAddressTypes, the endpoint stays ipv4 and a person is told why;
    `_NONE_SERVES` when it would then serve no client at all."""
    v6 = sorted(i.instance_id for i in clients if ipv6_only(region, i))
    if not v6 or not subnets:
        return None
    detail = region.endpoint_services.get(name)
    types = detail.supported_ip_address_types if detail is not None else None
    if types is not None and "ipv6" not in (t.lower() for t in types):
        if not state.manual.has("SERVICE_NO_IPV6", name):
            state.manual.add(
                "SERVICE_NO_IPV6",
                name,
                f"{name} lists IP address types {', '.join(types) or 'none'}: no endpoint of it serves the IPv6-only subnets; turn on DNS64 and route 64:ff9b::/96 to a NAT gateway",
                v6,
            )
        return _NONE_SERVES if len(v6) == len(clients) else None
    chosen = [region.subnets[s] for s in subnets if s in region.subnets]
    if chosen and all(s.ipv6_only for s in chosen):
        return "ipv6"
    if chosen and all(s.cidr_block and s.ipv6_cidrs for s in chosen):
        return "dualstack"
    state.manual.add(
        "ENDPOINT_IPV4_ONLY",
        vpc_id,
        f"the endpoint subnets {', '.join(subnets)} of {name} are not all dual-stack (or all IPv6-only): add IPv6 CIDRs to them, then create the endpoint with the dualstack IP address type",
        v6,
    )
    return None


def _endpoint_subnets(
    region: RegionData, vpc_id: str, name: str, clients: Sequence[aws.Instance]
) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """Subnets in the clients' AZs; when none is offered, any two AZs of the VPC that are."""
    azs = sorted(
        {
            s.availability_zone
            for i in clients
            if (s := subnet_of(region, i)) is not None and s.availability_zone
        }
    )
    dual = any(ipv6_only(region, i) for i in clients)
    subnets, chosen, skipped = choose_subnets(region, vpc_id, azs, name, dual_stack=dual)
    if not subnets and azs:
        # the instances' AZs are not offered: any AZ of the VPC the service offers
        others = sorted(
            {
                s.availability_zone
                for s in region.subnets.values()
                if s.vpc_id == vpc_id and s.availability_zone
            }
        )
        subnets, chosen, _ = choose_subnets(region, vpc_id, others[:2], name, dual_stack=dual)
    return subnets, chosen, skipped


def _reuse(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    existing: aws.VpcEndpoint,
    service: str,
    clients: Sequence[aws.Instance],
    findings: Sequence[Finding],
    codes: set[str],
    dns_deps: tuple[str, ...],
    private_dns: bool,
) -> Made | None:
    """An existing endpoint: private DNS on, the endpoint group added, the policy extended."""
    name = endpoint_service_name(region.region, service)
    eid = existing.vpc_endpoint_id
    ids = sorted({f.instance for f in findings})
    if existing.state.lower() != "available":
        state.manual.add(
            "ENDPOINT_NOT_AVAILABLE",
            eid,
            f"{eid} ({name}) is {existing.state}, not available",
            ids,
            f"Find out why {eid} is {existing.state}, then fix or recreate it.",
        )
        return None
    deps: list[str] = []
    if private_dns and not existing.private_dns_enabled:
        deps.append(
            state.add(
                ModifyEndpointPrivateDns(
                    id=f"private-dns/{eid}",
                    account=region.account,
                    region=region.region,
                    vpc_id=vpc_id,
                    endpoint_id=eid,
                    service=service,
                    depends_on=dns_deps,
                    summary=f"turn on private DNS for {eid} ({service})",
                ),
                [f for f in findings if f.code in ("PRIVATE_DNS_DISABLED", "INTERNET_PATH")],
            )
        )
    reach = _reuse_groups(state, region, vpc_id, existing, service, clients, findings, deps)
    if "ENDPOINT_POLICY_DENIED" in codes:
        policy_id = _extend_policy(state, region, vpc_id, existing, service, findings)
        if policy_id is not None:
            deps.append(policy_id)
    return eid, existing.subnet_ids, reach, tuple(deps)


def _reuse_groups(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    existing: aws.VpcEndpoint,
    service: str,
    clients: Sequence[aws.Instance],
    findings: Sequence[Finding],
    deps: list[str],
) -> tuple[str, ...]:
    """The groups instances should reach on the endpoint; the endpoint group is added (its
    change ids go to `deps`) when the endpoint's groups do not admit every client."""
    eid = existing.vpc_endpoint_id
    ids = sorted({f.instance for f in findings})
    groups = endpoint_groups(region, existing)
    reach: tuple[str, ...] = tuple(g.group_id for g in existing.groups) or tuple(
        g.group_id for g in (groups if not isinstance(groups, Gap) else ())
    )
    if isinstance(groups, Gap):
        state.manual.add("DATA_MISSING", eid, groups.describe(), ids)
    elif not all(admits(region, groups, i) for i in clients):
        group, group_deps = endpoint_group(state, region, vpc_id, clients)
        denied = [f for f in findings if f.code == "SG_INGRESS_DENIED"]
        if group not in reach:
            deps.append(
                add_endpoint_group(
                    state, region, vpc_id, eid, service, group, group_deps, service, denied
                )
            )
        else:
            deps.extend(group_deps)
        for dep in group_deps:
            state.fixes[dep].update(denied)
        reach = (group,)
    return reach


def _extend_policy(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    existing: aws.VpcEndpoint,
    service: str,
    findings: Sequence[Finding],
) -> str | None:
    """One allow statement added to a policy that denies (never replaced)."""
    eid = existing.vpc_endpoint_id
    policy = extend_policy(existing.policy_document, service_statement(service))
    if policy is None:
        state.manual.add(
            "ENDPOINT_POLICY_DENIED",
            eid,
            f"the policy of {eid} is not readable JSON; it cannot be extended",
            sorted({f.instance for f in findings}),
        )
        return None
    return state.add(
        SetEndpointPolicy(
            id=f"endpoint-policy/{eid}",
            account=region.account,
            region=region.region,
            vpc_id=vpc_id,
            endpoint_id=eid,
            service=service,
            policy=policy,
            previous_policy=existing.policy_document,
            summary=f"add an allow statement for the SSM agent's {service} actions to the policy of {eid}",
        ),
        [f for f in findings if f.code == "ENDPOINT_POLICY_DENIED"],
    )
