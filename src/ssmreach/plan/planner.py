"""From a check result to a plan: the smallest set of changes that makes instances PRIVATE.

Pure: `make_plan(estate, result, options)` reads the estate and the check result and
returns a `Plan`; it never calls AWS. The rules are requirements.md §4:

- Per VPC with checked instances whose features are not PRIVATE, in the instance
  subnets' Availability Zones (one subnet per AZ, subnets that already host endpoints
  first; AZs the service does not offer per DescribeVpcEndpointServices are skipped):
  interface endpoints only for the services that are not reached privately, with
  private DNS on. ssmmessages carries Run Command for agents 3.1.821.0 and newer;
  ec2messages is planned only for nodes that need it (older agents, Windows Server
  2012 and older, Nano Server) and only where the Region offers it.
- One endpoint security group per VPC allowing TCP 443 from the instance subnets. An
  existing non-default group that already admits every instance is reused; a group
  from an earlier plan (`ssmreach-endpoints`) gets the missing CIDRs.
- The S3 gateway endpoint on the instances' route tables, or the missing tables
  associated with an existing one.
- Endpoint policies allowing the features' actions (see `policies`); an existing
  policy that denies gets one statement added, never replaced.
- Egress rules (443 to the endpoint group, 443 to the S3 prefix list) on instance
  groups that restrict egress; the VPC DNS attributes when they are false.
- Reuse: an endpoint with private DNS off is modified; an endpoint whose groups do
  not admit the instances gets the endpoint group added. Nothing is deleted.
- Network ACLs that deny the planned paths get allow entries (`nacl_rules`): subnet
  CIDRs between instance and endpoint subnets, 0.0.0.0/0 to S3 through the gateway
  endpoint, numbered before the entry that denies; never a replacement.
- Causes a change of this kind cannot fix (no instance profile, IAM denies, IMDS off,
  custom DNS, forwarding rules, a network ACL with no free rule number, ...) become
  `ManualStep`s.

With `hub`, interface endpoints live in the hub VPC with private DNS off, and one
private hosted zone per service name (alias to the hub endpoint) is associated with
every spoke; routes between spokes and hub are checked both ways, and missing ones are
planned through an existing peering connection or transit gateway (or listed as
manual steps when there is none). S3 stays a gateway endpoint per VPC: gateway
endpoints do not work across peering or transit gateways.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import msgspec

from ssmreach.analysis import security_groups
from ssmreach.analysis.addresses import Place, network
from ssmreach.analysis.engine import (
    CheckOptions,
    agent_facts,
    check_estate,
    ephemeral_ports,
    session_preferences,
)
from ssmreach.analysis.features import DEFAULT_FEATURES, channel_options
from ssmreach.analysis.network import endpoint_groups
from ssmreach.analysis.reasons import CATALOGUE, codes_where
from ssmreach.analysis.routing import route_table_for, select_route
from ssmreach.analysis.services import endpoint_service_name, service_host, service_offered
from ssmreach.analysis.verdict import CheckResult, Reason, Severity, Verdict
from ssmreach.errors import UsageError
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, Gap, RegionData, normalize_name
from ssmreach.plan import nacl_rules
from ssmreach.plan.changes import (
    AssociateGatewayRouteTables,
    AssociateHostedZone,
    AuthorizeEgress,
    AuthorizeIngress,
    Change,
    CreateGatewayEndpoint,
    CreateInterfaceEndpoint,
    CreatePrivateHostedZone,
    CreateRoute,
    CreateSecurityGroup,
    Finding,
    ModifyEndpointPrivateDns,
    ModifyEndpointSecurityGroups,
    SetEndpointPolicy,
    SetVpcAttribute,
    is_ref,
    ref,
)
from ssmreach.plan.plan import ManualStep, Plan, Pricing, Scope, VpcDesign, fingerprint
from ssmreach.plan.policies import (
    extend_policy,
    interface_policy,
    plan_buckets,
    s3_gateway_policy,
    s3_statement,
    service_statement,
)
from ssmreach.pricing import PriceTable, price_table

__all__ = ["ENDPOINT_GROUP_NAME", "MANUAL_CODES", "PlanOptions", "make_plan"]

ENDPOINT_GROUP_NAME = "ssmreach-endpoints"
INTERFACE_ORDER = ("ssm", "ssmmessages", "ec2messages", "ec2", "kms", "logs")
_GONE = ("deleted", "deleting", "failed", "rejected", "expired")

MANUAL_CODES: dict[str, str] = {r.code: r.manual for r in CATALOGUE if r.manual}
"""Reason codes a plan never fixes by itself, with why a person is needed (the catalogue)."""

MANUAL_ON_PRIVATE = codes_where("manual_on_private")
"""Manual codes a plan lists even when the result is PRIVATE today."""

NACL_CODES: dict[str, str] = {r.code: r.nacl for r in CATALOGUE if r.nacl}
"""Reason codes the plan fixes with network ACL entries where it knows the path after the
plan (`nacl_rules`); the rest stay manual steps, with why."""


@dataclass(frozen=True, slots=True)
class PlanOptions:
    features: tuple[str, ...] = DEFAULT_FEATURES
    instances: tuple[str, ...] = ()  # empty: every instance of the estate
    hub: str | None = None  # hub-and-spoke: the VPC that holds the interface endpoints
    prices: PriceTable | None = None


@dataclass(slots=True)
class _Need:
    """One instance that does not reach one service privately."""

    instance: aws.Instance
    findings: list[Finding]


@dataclass(slots=True)
class _Vpc:
    region: RegionData
    vpc_id: str
    instances: dict[str, aws.Instance] = field(default_factory=dict)  # every checked one
    needs: dict[str, dict[str, _Need]] = field(default_factory=dict)  # service -> instance -> need

    def need(self, service: str, instance: aws.Instance) -> _Need:
        by_instance = self.needs.setdefault(service, {})
        found = by_instance.get(instance.instance_id)
        if found is None:
            found = by_instance[instance.instance_id] = _Need(instance, [])
        return found

    def findings(self, service: str) -> list[Finding]:
        return [f for n in self.needs.get(service, {}).values() for f in n.findings]

    def codes(self, service: str) -> set[str]:
        return {f.code for f in self.findings(service)}


def _preferred_channel(region: RegionData, instance: aws.Instance) -> str:
    options = channel_options(agent_facts(region, instance), service_offered(region, "ec2messages"))
    return options[0] if options else "ssmmessages"


def _subnet_of(region: RegionData, instance: aws.Instance) -> aws.Subnet | None:
    return region.subnets.get(instance.subnet_id or "")


class _Planner:
    def __init__(self, estate: Estate, options: PlanOptions) -> None:
        self.estate = estate
        self.options = options
        self.prices = options.prices or price_table()
        self.partition = estate.partition or "aws"
        self.changes: dict[str, Change] = {}
        self.fixes: dict[str, set[Finding]] = defaultdict(set)
        self.manual: dict[tuple[str, str | None, str], tuple[str | None, set[str]]] = {}
        self.designs: list[VpcDesign] = []
        self.approximate = False
        self._groups: dict[str, tuple[str, tuple[str, ...]]] = {}
        # (account, region, client VPC, service) -> (region, endpoint or reference, subnets)
        self._reach: dict[tuple[str, str, str, str], tuple[RegionData, str, tuple[str, ...]]] = {}
        self._nacl = nacl_rules.NaclPlanner()
        self._nacl_reasons: dict[str, list[Reason]] = defaultdict(list)  # instance -> reasons
        self._nacl_handled: set[str] = set()
        self._nacl_unhandled: set[str] = set()

    # -- bookkeeping ------------------------------------------------------------------------
    def add(self, change: Change, fixes: Iterable[Finding] = ()) -> str:
        if change.id not in self.changes:
            self.changes[change.id] = change
        self.fixes[change.id].update(fixes)
        return change.id

    def add_manual(
        self,
        code: str,
        resource: str | None,
        message: str,
        instances: Iterable[str],
        fix: str | None = None,
    ) -> None:
        key = (code, resource, message)
        entry = self.manual.get(key)
        if entry is None:
            entry = self.manual[key] = (fix, set())
        entry[1].update(instances)

    def _manual_finding(self, r: Reason, instance: str) -> None:
        """A finding only a person can act on, with why (MANUAL_CODES)."""
        self.add_manual(
            r.code, r.resource, f"{r.message} ({MANUAL_CODES[r.code]})", [instance], r.fix
        )

    # -- findings -> needs ------------------------------------------------------------------
    def collect(self, result: CheckResult) -> dict[tuple[str, str, str], _Vpc]:
        vpcs: dict[tuple[str, str, str], _Vpc] = {}
        features = set(self.options.features)
        for fr in result.results:
            if fr.feature not in features:
                continue
            region = self.estate.regions.get((fr.account, fr.region))
            if region is None or not fr.vpc:
                continue
            instance = next((i for i in region.instances if i.instance_id == fr.instance), None)
            if instance is None:
                continue
            vpc = vpcs.setdefault(
                (fr.account, fr.region, fr.vpc), _Vpc(region=region, vpc_id=fr.vpc)
            )
            vpc.instances[instance.instance_id] = instance
            if fr.verdict is Verdict.PRIVATE:
                # A working path can still carry a step a person must take (an agent update).
                for r in fr.reasons:
                    if r.code in MANUAL_ON_PRIVATE:
                        self._manual_finding(r, fr.instance)
                continue
            for r in fr.reasons:
                if r.code in NACL_CODES and r.severity is not Severity.INFO:
                    self._nacl_reasons[fr.instance].append(r)
                if r.code in MANUAL_CODES and r.severity is not Severity.INFO:
                    self._manual_finding(r, fr.instance)
            for sr in fr.services:
                if sr.verdict is Verdict.PRIVATE:
                    continue
                codes = [r.code for r in sr.reasons if r.severity is not Severity.INFO]
                fixable = [c for c in codes if c not in MANUAL_CODES]
                if codes and not fixable:
                    continue  # only a person can fix this service's path
                service = sr.service
                if service in ("ssmmessages", "ec2messages"):
                    service = _preferred_channel(region, instance)
                need = vpc.need(service, instance)
                for code in fixable or ["INTERNET_PATH"]:
                    need.findings.append(Finding(fr.instance, fr.feature, code))
        return vpcs

    # -- shared helpers ------------------------------------------------------------------
    def _dns_attributes(self, vpc: _Vpc, interface: bool) -> tuple[str, ...]:
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
                f
                for s in vpc.needs
                for f in vpc.findings(s)
                if f.code in (code, "ENDPOINT_MISSING")
            ]
            ids.append(
                self.add(
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

    def _admits(
        self, region: RegionData, groups: Sequence[aws.SecurityGroup], instance: aws.Instance
    ) -> bool:
        if not instance.private_ip_address:
            return False
        place = Place(
            net=network(instance.private_ip_address), groups=frozenset(instance.group_ids)
        )
        decision = security_groups.evaluate(
            groups, egress=False, peer=place, prefix_lists=region.prefix_lists
        )
        return decision.outcome.value == "pass"

    def endpoint_group(
        self, region: RegionData, vpc_id: str, instances: Sequence[aws.Instance]
    ) -> tuple[str, tuple[str, ...]]:
        """The one endpoint security group of the VPC: (group id or reference, change ids)."""
        cached = self._groups.get(vpc_id)
        if cached is not None:
            return cached
        in_vpc = [g for g in region.security_groups.values() if g.vpc_id == vpc_id]
        cidrs_all = sorted(
            {
                s.cidr_block
                for i in instances
                if (s := _subnet_of(region, i)) is not None and s.cidr_block
            }
        )
        ours = next((g for g in in_vpc if g.group_name == ENDPOINT_GROUP_NAME), None)
        if ours is None:
            attached = {
                g.group_id
                for ep in region.endpoints_by_vpc.get(vpc_id, ())
                if ep.is_interface and ep.state.lower() not in _GONE
                for g in ep.groups
            }
            default = region.default_security_group.get(vpc_id)
            for group in sorted(
                (g for g in in_vpc if g.group_id in attached and g.group_id != default),
                key=lambda g: g.group_id,
            ):
                if all(self._admits(region, [group], i) for i in instances):
                    self._groups[vpc_id] = (group.group_id, ())
                    return self._groups[vpc_id]
        deps: list[str] = []
        if ours is None:
            create_id = self.add(
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
                    s.cidr_block
                    for i in instances
                    if not self._admits(region, [ours], i)
                    and (s := _subnet_of(region, i)) is not None
                    and s.cidr_block
                }
            )
        if missing:
            deps.append(
                self.add(
                    AuthorizeIngress(
                        id=f"ingress/{vpc_id}/endpoints/{'+'.join(missing)}",
                        account=region.account,
                        region=region.region,
                        vpc_id=vpc_id,
                        group_id=group_id,
                        cidrs=tuple(missing),
                        depends_on=tuple(deps),
                        summary=f"allow TCP 443 from {', '.join(missing)} into the endpoint group",
                    )
                )
            )
        self._groups[vpc_id] = (group_id, tuple(deps))
        return self._groups[vpc_id]

    def choose_subnets(
        self, region: RegionData, vpc_id: str, azs: Sequence[str], service_name: str
    ) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
        """One subnet per AZ (subnets hosting endpoints first): (subnets, AZs, skipped AZs)."""
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
                    s.subnet_id not in hosting,
                    s.subnet_id not in with_instances,
                    s.subnet_id,
                ),
            )
            if candidates:
                subnets.append(candidates[0].subnet_id)
                chosen_azs.append(az)
        return tuple(subnets), tuple(chosen_azs), skipped

    def _cost(self, region: str, azs: int) -> float:
        if self.prices.endpoint(region).approximate:
            self.approximate = True
        return self.prices.interface_endpoint_monthly(region, azs)

    def _egress(
        self,
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
        """443 to the destination for instance groups that restrict egress."""
        for instance in instances:
            groups = [
                region.security_groups[g] for g in instance.group_ids if g in region.security_groups
            ]
            if len(groups) != len(instance.group_ids) or not groups:
                continue
            decision = security_groups.evaluate(
                groups, egress=True, peer=place, prefix_lists=region.prefix_lists
            )
            if decision.outcome.value != "fail":
                continue
            first = groups[0].group_id
            target = group or prefix_list or cidr or "?"
            mine = [f for f in findings if f.instance == instance.instance_id]
            self.add(
                AuthorizeEgress(
                    id=f"egress/{first}/{target}",
                    account=region.account,
                    region=region.region,
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

    # -- interface endpoints ---------------------------------------------------------------
    def _existing_interface(
        self, region: RegionData, vpc_id: str, service_name: str
    ) -> aws.VpcEndpoint | None:
        found = [
            ep
            for ep in region.endpoints_by_vpc.get(vpc_id, ())
            if ep.is_interface and ep.service_name == service_name and ep.state.lower() not in _GONE
        ]
        found.sort(key=lambda ep: (not ep.private_dns_enabled, ep.vpc_endpoint_id))
        return found[0] if found else None

    def interface_endpoint(
        self,
        region: RegionData,
        vpc_id: str,
        service: str,
        *,
        clients: Sequence[aws.Instance],
        findings: Sequence[Finding],
        codes: set[str],
        dns_deps: tuple[str, ...],
        private_dns: bool,
    ) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None:
        """Make sure the VPC has a working endpoint for `service`.

        Returns (endpoint id or reference, its subnets, the group instances should reach,
        change ids that must come first), or None when a person has to act.
        """
        name = endpoint_service_name(region.region, service)
        ids = sorted({f.instance for f in findings})
        if service_offered(region, service) is False:
            self.add_manual(
                "ENDPOINT_MISSING",
                vpc_id,
                f"{region.region} does not offer {name} (DescribeVpcEndpointServices)",
                ids,
            )
            return None
        existing = self._existing_interface(region, vpc_id, name)
        if existing is None:
            azs = sorted(
                {
                    s.availability_zone
                    for i in clients
                    if (s := _subnet_of(region, i)) is not None and s.availability_zone
                }
            )
            subnets, chosen, skipped = self.choose_subnets(region, vpc_id, azs, name)
            if not subnets and azs:
                # the instances' AZs are not offered: any AZ of the VPC the service offers
                others = sorted(
                    {
                        s.availability_zone
                        for s in region.subnets.values()
                        if s.vpc_id == vpc_id and s.availability_zone
                    }
                )
                subnets, chosen, _ = self.choose_subnets(region, vpc_id, others[:2], name)
            if not subnets:
                self.add_manual(
                    "ENDPOINT_MISSING",
                    vpc_id,
                    f"no subnet of {vpc_id} is in an Availability Zone that offers {name}",
                    ids,
                )
                return None
            if skipped:
                self.add_manual(
                    "ENDPOINT_OTHER_AZ",
                    vpc_id,
                    f"{name} is not offered in {', '.join(skipped)}: instances there reach the endpoint in another AZ",
                    [
                        i.instance_id
                        for i in clients
                        if (s := _subnet_of(region, i)) and s.availability_zone in skipped
                    ],
                )
            group, group_deps = self.endpoint_group(region, vpc_id, clients)
            change_id = self.add(
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
                    depends_on=tuple(dict.fromkeys(group_deps + dns_deps)),
                    monthly_cost=self._cost(region.region, len(chosen)),
                    summary=f"create the {service} interface endpoint in {vpc_id} ({', '.join(chosen)}), private DNS {'on' if private_dns else 'off'}",
                ),
                findings,
            )
            return ref(change_id), subnets, (group,), (change_id,)
        eid = existing.vpc_endpoint_id
        if existing.state.lower() != "available":
            self.add_manual(
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
                self.add(
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
        groups = endpoint_groups(region, existing)
        reach: tuple[str, ...] = tuple(g.group_id for g in existing.groups) or tuple(
            g.group_id for g in (groups if not isinstance(groups, Gap) else ())
        )
        if isinstance(groups, Gap):
            self.add_manual("DATA_MISSING", eid, groups.describe(), ids)
        elif not all(self._admits(region, groups, i) for i in clients):
            group, group_deps = self.endpoint_group(region, vpc_id, clients)
            if group not in reach:
                deps.append(
                    self._add_endpoint_group(
                        region,
                        vpc_id,
                        eid,
                        service,
                        group,
                        group_deps,
                        service,
                        [f for f in findings if f.code == "SG_INGRESS_DENIED"],
                    )
                )
                for dep in group_deps:
                    self.fixes[dep].update(f for f in findings if f.code == "SG_INGRESS_DENIED")
            else:
                deps.extend(group_deps)
                for dep in group_deps:
                    self.fixes[dep].update(f for f in findings if f.code == "SG_INGRESS_DENIED")
            reach = (group,)
        if "ENDPOINT_POLICY_DENIED" in codes:
            policy = extend_policy(existing.policy_document, service_statement(service))
            if policy is None:
                self.add_manual(
                    "ENDPOINT_POLICY_DENIED",
                    eid,
                    f"the policy of {eid} is not readable JSON; it cannot be extended",
                    ids,
                )
            else:
                deps.append(
                    self.add(
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
                )
        return eid, existing.subnet_ids, reach, tuple(deps)

    # -- S3 gateway --------------------------------------------------------------------------
    def s3_gateway(self, vpc: _Vpc) -> None:
        region, vpc_id = vpc.region, vpc.vpc_id
        needs = list(vpc.needs.get("s3", {}).values())
        findings = vpc.findings("s3")
        codes = vpc.codes("s3")
        name = endpoint_service_name(region.region, "s3")
        tables = sorted(
            {
                t
                for n in needs
                if (t := route_table_for(region, n.instance.subnet_id or "", vpc_id)) is not None
            }
        )
        gateways = sorted(
            (
                ep
                for ep in region.endpoints_by_vpc.get(vpc_id, ())
                if ep.is_gateway and ep.service_name == name and ep.state.lower() not in _GONE
            ),
            key=lambda ep: ep.vpc_endpoint_id,
        )
        buckets = plan_buckets(region.region, self.options.features)
        deps: tuple[str, ...] = ()
        if not gateways:
            if not tables:
                return
            prefs = session_preferences(region)
            extra = (
                (prefs.s3_bucket,)
                if prefs.s3_bucket and "session-manager" in self.options.features
                else ()
            )
            change_id = self.add(
                CreateGatewayEndpoint(
                    id=f"gateway/{vpc_id}/s3",
                    account=region.account,
                    region=region.region,
                    vpc_id=vpc_id,
                    service_name=name,
                    route_table_ids=tuple(tables),
                    policy=s3_gateway_policy(
                        tuple(dict.fromkeys(buckets + extra)), region.account, self.partition
                    ),
                    summary=f"create the S3 gateway endpoint in {vpc_id} on {', '.join(tables)}",
                ),
                findings,
            )
            deps = (change_id,)
        else:
            gateway = gateways[0]
            eid = gateway.vpc_endpoint_id
            missing = [t for t in tables if t not in gateway.route_table_ids]
            if missing:
                deps += (
                    self.add(
                        AssociateGatewayRouteTables(
                            id=f"gateway-routes/{eid}",
                            account=region.account,
                            region=region.region,
                            vpc_id=vpc_id,
                            endpoint_id=eid,
                            route_table_ids=tuple(missing),
                            summary=f"associate {eid} (S3) with {', '.join(missing)}",
                        ),
                        [
                            f
                            for f in findings
                            if f.code
                            in (
                                "GATEWAY_ENDPOINT_NOT_ROUTED",
                                "ENDPOINT_MISSING",
                                "INTERNET_PATH",
                                "NO_PUBLIC_IP",
                                "NAT_NO_INTERNET",
                                "NO_ROUTE",
                            )
                        ],
                    ),
                )
            if "S3_BUCKET_NOT_ALLOWED" in codes and buckets:
                policy = extend_policy(
                    gateway.policy_document, s3_statement(buckets, self.partition)
                )
                if policy is None:
                    self.add_manual(
                        "S3_BUCKET_NOT_ALLOWED",
                        eid,
                        f"the policy of {eid} is not readable JSON; it cannot be extended",
                        sorted({f.instance for f in findings}),
                    )
                else:
                    self.add(
                        SetEndpointPolicy(
                            id=f"endpoint-policy/{eid}",
                            account=region.account,
                            region=region.region,
                            vpc_id=vpc_id,
                            endpoint_id=eid,
                            service="s3",
                            policy=policy,
                            previous_policy=gateway.policy_document,
                            summary=f"allow s3:GetObject on the AWS-owned buckets in the policy of {eid}",
                        ),
                        [f for f in findings if f.code == "S3_BUCKET_NOT_ALLOWED"],
                    )
        prefix = next((p for p in region.prefix_lists.values() if p.name == name), None)
        if prefix is None:
            return
        cidrs = (
            tuple(n for n in (network(c) for c in prefix.cidrs or ()) if n)
            if prefix.cidrs
            else None
        )
        place = Place(
            prefix_list_id=prefix.prefix_list_id,
            prefix_list_cidrs=cidrs,
            aws_service=name,
            label=f"{prefix.prefix_list_id} ({name})",
        )
        self._egress(
            region,
            (n.instance for n in needs),
            place,
            what=f"the S3 prefix list {prefix.prefix_list_id}",
            findings=findings,
            prefix_list=prefix.prefix_list_id,
            deps=deps,
        )

    # -- per VPC -----------------------------------------------------------------------------
    def per_vpc(self, vpc: _Vpc) -> None:
        region, vpc_id = vpc.region, vpc.vpc_id
        interface = [s for s in INTERFACE_ORDER if s in vpc.needs]
        dns_deps = self._dns_attributes(vpc, bool(interface))
        clients = sorted(vpc.instances.values(), key=lambda i: i.instance_id)
        for service in interface:
            made = self.interface_endpoint(
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
            self._reach[(region.account, region.region, vpc_id, service)] = (
                region,
                endpoint,
                tuple(subnets),
            )
            self._egress_to_endpoint(region, clients, vpc.findings(service), subnets, groups, deps)
        if interface:
            self._sibling_endpoints(region, vpc_id, clients, skip=interface)
        if "s3" in vpc.needs:
            self.s3_gateway(vpc)
        self.designs.append(
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
        self, region: RegionData, vpc_id: str, clients: Sequence[aws.Instance], skip: Sequence[str]
    ) -> None:
        """Existing ssm/ssmmessages/ec2messages endpoints that refuse the instances get the
        endpoint group too (judgement): agents fall back to ec2messages while ssmmessages has
        never connected, so an endpoint that answers DNS but drops the connection is a trap.
        Adding a group costs nothing and removes nothing."""
        for service in ("ssm", "ssmmessages", "ec2messages"):
            if service in skip:
                continue
            existing = self._existing_interface(
                region, vpc_id, endpoint_service_name(region.region, service)
            )
            if existing is None or existing.state.lower() != "available":
                continue
            groups = endpoint_groups(region, existing)
            if isinstance(groups, Gap) or all(self._admits(region, groups, i) for i in clients):
                continue
            group, group_deps = self.endpoint_group(region, vpc_id, clients)
            if group in {g.group_id for g in existing.groups}:
                continue
            eid = existing.vpc_endpoint_id
            self._add_endpoint_group(
                region,
                vpc_id,
                eid,
                service,
                group,
                group_deps,
                f"{service}, which the agent may fall back to",
                [],
            )

    def _add_endpoint_group(
        self,
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
        return self.add(
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

    def _egress_to_endpoint(
        self,
        region: RegionData,
        clients: Sequence[aws.Instance],
        findings: Sequence[Finding],
        subnets: Sequence[str],
        groups: Sequence[str],
        deps: tuple[str, ...],
    ) -> None:
        subnet = region.subnets.get(subnets[0]) if subnets else None
        net = network(subnet.cidr_block) if subnet and subnet.cidr_block else None
        place = Place(net=net, groups=frozenset(g for g in groups if not is_ref(g)))
        group = next((g for g in groups), None)
        self._egress(
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

    # -- hub and spoke -------------------------------------------------------------------------
    def hub(self, hub_id: str, vpcs: dict[tuple[str, str, str], _Vpc]) -> list[_Vpc]:
        """Plan the hub design for the VPCs in the hub's account and Region; return the rest."""
        home = self.estate.vpc_home.get(hub_id)
        region = self.estate.region_of_vpc(hub_id)
        if home is None or region is None or hub_id not in region.vpcs:
            raise UsageError(f"--hub {hub_id}: no such VPC in the snapshot")
        members = {k: v for k, v in vpcs.items() if (k[0], k[1]) == home}
        rest = [v for k, v in vpcs.items() if (k[0], k[1]) != home]
        hub_vpc = members.get((home[0], home[1], hub_id)) or _Vpc(region=region, vpc_id=hub_id)
        spokes = [v for k, v in sorted(members.items()) if k[2] != hub_id]
        everyone = [hub_vpc, *spokes]
        interface = [s for s in INTERFACE_ORDER if any(s in v.needs for v in everyone)]
        clients = sorted(
            (i for v in everyone for i in v.instances.values()), key=lambda i: i.instance_id
        )
        hub_dns = self._dns_attributes(hub_vpc, False)
        for vpc in spokes:
            # Spokes resolve through private hosted zones, which need both DNS attributes.
            self._dns_attributes(vpc, True)
        # endpoint subnets in the hub: the clients' AZs where the hub has subnets
        for service in interface:
            users = [v for v in everyone if service in v.needs]
            findings = [f for v in users for f in v.findings(service)]
            codes = {f.code for f in findings}
            made = self.interface_endpoint(
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
                continue
            endpoint, subnets, groups, deps = made
            for user in users:
                self._reach[(region.account, region.region, user.vpc_id, service)] = (
                    region,
                    endpoint,
                    tuple(subnets),
                )
            existing = self._existing_interface(
                region, hub_id, endpoint_service_name(region.region, service)
            )
            hub_private = existing is not None and existing.private_dns_enabled
            zone_vpcs = [v for v in spokes if service in v.needs]
            if service in hub_vpc.needs and not hub_private:
                zone_vpcs.insert(0, hub_vpc)
            self._zone(region, service, endpoint, zone_vpcs, deps)
            for spoke in spokes:
                if service not in spoke.needs:
                    continue
                self._routes(region, spoke, hub_id, subnets, spoke.findings(service))
                spoke_clients = sorted(spoke.instances.values(), key=lambda i: i.instance_id)
                hub_vpc_obj = region.vpcs[hub_id]
                cidr = hub_vpc_obj.cidr_block or (
                    hub_vpc_obj.cidrs[0] if hub_vpc_obj.cidrs else None
                )
                if cidr:
                    self._egress(
                        region,
                        spoke_clients,
                        Place(net=network(cidr)),
                        what=f"the hub VPC {hub_id} ({cidr})",
                        findings=spoke.findings(service),
                        cidr=cidr,
                    )
            if service in hub_vpc.needs:
                self._egress_to_endpoint(
                    region,
                    sorted(hub_vpc.instances.values(), key=lambda i: i.instance_id),
                    hub_vpc.findings(service),
                    subnets,
                    groups,
                    deps,
                )
        for vpc in everyone:
            if "s3" in vpc.needs:
                self.s3_gateway(vpc)
            self.designs.append(
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

    def _zone(
        self,
        region: RegionData,
        service: str,
        endpoint: str,
        vpcs: Sequence[_Vpc],
        deps: tuple[str, ...],
    ) -> None:
        host = service_host(region, service, self.partition)
        if host is None or not vpcs:
            return
        findings = [f for v in vpcs for f in v.findings(service)]
        account = self.estate.account_data(region.account)
        existing = next(
            (z for z in account.private_zones if z.domain == normalize_name(host)), None
        )
        if existing is None:
            self.add(
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
                    monthly_cost=self.prices.hosted_zone_per_month,
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
            self.add_manual(
                "PHZ_SHADOWS_SERVICE",
                zid,
                f"private hosted zone {host} ({zid}) exists without a usable record for {host}",
                sorted({f.instance for f in findings}),
                f"Add an alias record for {host} in {zid} to the hub endpoint.",
            )
            return
        associated = (
            {z.vpc_id for z in existing.vpcs} if not isinstance(existing.vpcs, Gap) else set()
        )
        for vpc in vpcs:
            if vpc.vpc_id in associated:
                continue
            self.add(
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

    def _connection(self, region: RegionData, a: str, b: str) -> str | None:
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

    def _routes(
        self,
        region: RegionData,
        spoke: _Vpc,
        hub_id: str,
        hub_subnets: Sequence[str],
        findings: Sequence[Finding],
    ) -> None:
        """Routes spoke -> hub endpoint subnets and back; missing ones become changes."""
        hub = region.vpcs[hub_id]
        spoke_vpc = region.vpcs.get(spoke.vpc_id)
        if spoke_vpc is None:
            return
        hub_cidr = hub.cidr_block or (hub.cidrs[0] if hub.cidrs else None)
        spoke_cidr = spoke_vpc.cidr_block or (spoke_vpc.cidrs[0] if spoke_vpc.cidrs else None)
        if not hub_cidr or not spoke_cidr:
            return
        connection = self._connection(region, spoke.vpc_id, hub_id)
        ids = sorted({f.instance for f in findings})
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
            route_table = region.route_tables.get(table_id)
            if route_table is None:
                continue
            choice = select_route(region, route_table, Place(net=network(destination)))
            target = choice.route.target if choice.route else None
            if target and (
                target == connection
                or (
                    connection is None
                    and choice.route is not None
                    and isinstance(region.target_of(choice.route), rt.Peering | rt.TransitGateway)
                )
            ):
                continue
            if connection is None:
                self.add_manual(
                    "NO_ROUTE",
                    table_id,
                    f"{table_id} has no route to {destination} and {spoke.vpc_id} is not connected to the hub {hub_id} (no active peering connection or shared transit gateway)",
                    ids,
                    f"Connect {spoke.vpc_id} and {hub_id} (peering or transit gateway), then plan again.",
                )
                continue
            if (
                choice.route is not None
                and not isinstance(region.target_of(choice.route), rt.Local)
                and network(choice.route.destination) == network(destination)
            ):
                self.add_manual(
                    "NO_ROUTE",
                    table_id,
                    f"{table_id} sends {destination} to {target}, not to {connection}",
                    ids,
                )
                continue
            self.add(
                CreateRoute(
                    id=f"route/{table_id}/{destination}",
                    account=region.account,
                    region=region.region,
                    vpc_id=owner,
                    route_table_id=table_id,
                    destination_cidr=destination,
                    target=connection,
                    summary=f"route {destination} through {connection} in {table_id}",
                ),
                [f for f in findings if f.code in ("NO_ROUTE", "NO_RETURN_ROUTE")] or findings,
            )

    # -- network ACLs ------------------------------------------------------------------------
    def network_acls(self, vpcs: Iterable[_Vpc]) -> None:
        """Allow entries in the network ACLs that deny the paths the plan leaves the
        instances with (see `nacl_rules`); NACL causes it cannot plan stay manual."""
        for vpc in sorted(vpcs, key=lambda v: (v.region.account, v.region.region, v.vpc_id)):
            # S3 first: its 0.0.0.0/0 entries also carry the endpoints' replies
            for service in ("s3", *INTERFACE_ORDER):
                for iid, need in sorted(vpc.needs.get(service, {}).items()):
                    planned = self._planned_path(vpc.region, vpc.vpc_id, service, need.instance)
                    if planned is None:
                        self._nacl_unhandled.add(iid)
                        continue
                    self._nacl_handled.add(iid)
                    region, crossings = planned
                    findings = [f for f in need.findings if f.code in NACL_CODES] or need.findings
                    for problem in self._nacl.allow(region, crossings, findings):
                        self.add_manual(
                            problem.code, problem.acl_id, problem.message, [iid], problem.fix
                        )
        for change, fixed in self._nacl.planned():
            self.add(change, fixed)
        for iid, reasons in sorted(self._nacl_reasons.items()):
            if iid in self._nacl_handled and iid not in self._nacl_unhandled:
                continue
            for r in reasons:
                self.add_manual(
                    r.code, r.resource, f"{r.message} ({NACL_CODES[r.code]})", [iid], r.fix
                )

    def _planned_path(
        self, region: RegionData, vpc_id: str, service: str, instance: aws.Instance
    ) -> tuple[RegionData, list[nacl_rules.Crossing]] | None:
        """The NACL crossings of the path `instance` takes to `service` after the plan: to
        the endpoint's subnet (the best one, as the engine picks it), or to S3 through the
        gateway endpoint. None when the plan leaves no such path."""
        subnet = _subnet_of(region, instance)
        ip = instance.private_ip_address
        if subnet is None or not ip or not subnet.cidr_block:
            return None
        client = Place(net=network(ip), label="the instance")
        ephemeral = ephemeral_ports(region, instance)
        if service == "s3":
            if route_table_for(region, subnet.subnet_id, vpc_id) is None:
                return None
            return region, nacl_rules.gateway_crossings(subnet, self._s3_place(region), ephemeral)
        reach = self._reach.get((region.account, region.region, vpc_id, service))
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
        chosen = next((o for o in options if self._nacl.passes(region, o)), options[0])
        return region, chosen

    def _s3_place(self, region: RegionData) -> Place:
        name = endpoint_service_name(region.region, "s3")
        prefix = next((p for p in region.prefix_lists.values() if p.name == name), None)
        if prefix is None:
            return Place(public=True, aws_service=name, label=f"public s3 addresses ({name})")
        cidrs = (
            tuple(n for n in (network(c) for c in prefix.cidrs or ()) if n)
            if prefix.cidrs
            else None
        )
        return Place(
            prefix_list_id=prefix.prefix_list_id,
            prefix_list_cidrs=cidrs,
            aws_service=name,
            label=f"{prefix.prefix_list_id} ({name})",
        )

    # -- result ----------------------------------------------------------------------------
    def plan(self, result: CheckResult) -> Plan:
        vpcs = self.collect(result)
        rest = list(vpcs.values())
        if self.options.hub:
            rest = self.hub(self.options.hub, vpcs)
        for vpc in sorted(rest, key=lambda v: (v.region.account, v.region.region, v.vpc_id)):
            if vpc.needs:
                self.per_vpc(vpc)
        self.network_acls(vpcs.values())
        changes = _ordered(
            [
                msgspec.structs.replace(c, fixes=tuple(sorted(self.fixes.get(c.id, ()))))
                for c in self.changes.values()
            ]
        )
        manual = tuple(
            ManualStep(
                code=code, resource=resource, instances=tuple(sorted(ids)), message=message, fix=fix
            )
            for (code, resource, message), (fix, ids) in sorted(
                self.manual.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])
            )
        )
        scope_map: dict[tuple[str, str], set[str]] = defaultdict(set)
        for (account, region_name, vpc_id), _vpc in vpcs.items():
            scope_map[(account, region_name)].add(vpc_id)
        if self.options.hub:
            home = self.estate.vpc_home[self.options.hub]
            scope_map[home].add(self.options.hub)
        scope = tuple(
            Scope(account=a, region=r, vpc_ids=tuple(sorted(v)))
            for (a, r), v in sorted(scope_map.items())
        )
        print_fp = fingerprint(self.estate, scope)
        total = round(sum(c.monthly_cost for c in changes), 2)
        plan_id = _plan_id(print_fp, changes)
        tables = self.prices
        return Plan(
            id=plan_id,
            source=self.estate.source,
            snapshot_created=self.estate.created,
            fingerprint=print_fp,
            scope=scope,
            features=tuple(self.options.features),
            design="hub" if self.options.hub else "per-vpc",
            hub_vpc=self.options.hub,
            vpcs=tuple(sorted(self.designs, key=lambda d: (d.account, d.region, d.vpc_id))),
            changes=changes,
            manual=manual,
            monthly_cost=total,
            pricing=Pricing(sources=tables.sources, date=tables.date, approximate=self.approximate),
        )


_KIND_ORDER = {
    "SetVpcAttribute": 0,
    "CreateSecurityGroup": 1,
    "AuthorizeIngress": 2,
    "CreateInterfaceEndpoint": 3,
    "ModifyEndpointPrivateDns": 4,
    "ModifyEndpointSecurityGroups": 5,
    "SetEndpointPolicy": 6,
    "CreateGatewayEndpoint": 7,
    "AssociateGatewayRouteTables": 8,
    "AddNetworkAclEntry": 9,
    "AuthorizeEgress": 10,
    "CreateRoute": 11,
    "CreatePrivateHostedZone": 12,
    "AssociateHostedZone": 13,
}


def _ordered(changes: list[Change]) -> tuple[Change, ...]:
    """Dependency order (a change after everything it depends on), stable by kind and id."""
    by_id = {c.id: c for c in changes}
    fixed: list[Change] = []
    for change in changes:
        deps = tuple(
            dict.fromkeys(d for d in (*change.depends_on, *change.references()) if d in by_id)
        )
        fixed.append(msgspec.structs.replace(change, depends_on=deps))
    pending = sorted(
        fixed, key=lambda c: (c.account, c.region, _KIND_ORDER[type(c).__name__], c.id)
    )
    done: set[str] = set()
    out: list[Change] = []
    while pending:
        for change in pending:
            if all(d in done for d in change.depends_on):
                out.append(change)
                done.add(change.id)
                pending.remove(change)
                break
        else:  # a cycle cannot happen (dependencies point at earlier kinds); keep going anyway
            out.extend(pending)
            break
    return tuple(out)


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


def _plan_id(print_fp: str, changes: Sequence[Change]) -> str:
    import hashlib

    digest = hashlib.sha256(print_fp.encode())
    for change in changes:
        digest.update(msgspec.json.encode(change))
    return "plan-" + digest.hexdigest()[:12]


def make_plan(
    estate: Estate, result: CheckResult | None = None, options: PlanOptions | None = None
) -> Plan:
    """The plan for `estate` (and its check result, computed when not given)."""
    options = options or PlanOptions()
    if result is None:
        result = check_estate(
            estate, CheckOptions(features=options.features, instances=options.instances)
        )
    elif options.instances:
        wanted = set(options.instances)
        result = _filter(result, wanted)
    return _Planner(estate, options).plan(result)


def _filter(result: CheckResult, wanted: set[str]) -> CheckResult:
    import dataclasses

    return dataclasses.replace(
        result, results=tuple(r for r in result.results if r.instance in wanted)
    )
