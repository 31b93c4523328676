"""Reachability of one service from one instance (requirements.md §3), as a `ServiceResult`.

Order: DNS, then route / security groups / network ACLs (to every endpoint network
interface until one works, the instance's Availability Zone first), then the
endpoint policy, then the role's permissions. The first failing step is the
reason; every step is a hop.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from ssmreach.analysis.addresses import Place, network, public_service
from ssmreach.analysis.dns import DnsAnswer, gap_reason, resolve
from ssmreach.analysis.features import SERVICE_ACTIONS
from ssmreach.analysis.iam_fixes import iam_fix
from ssmreach.analysis.identity import (
    Identity,
    PolicyCache,
    RolePolicies,
    instance_arn,
    request_keys,
)
from ssmreach.analysis.kms import key_access, parse_key_policy
from ssmreach.analysis.network import (
    Leg,
    Node,
    Target,
    check_own_subnet,
    endpoint_groups,
    internet_leg,
    path_to_target,
)
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.resources import CallResources
from ssmreach.analysis.services import endpoint_service_name, service_host
from ssmreach.analysis.verdict import Hop, Outcome, Reason, ServiceResult, Severity, Verdict
from ssmreach.model import aws
from ssmreach.model.estate import Estate, Gap, KmsKey, RegionData
from ssmreach.policy.document import Policy, PolicyParseError, parse_policy, referenced_keys
from ssmreach.policy.evaluate import (
    Decision,
    Evaluation,
    RequestContext,
    evaluate_identity,
    evaluate_resource_policy,
)


@dataclass(frozen=True, slots=True)
class ServiceNeed:
    """One service a feature needs, with the resources its calls touch."""

    service: str
    buckets: tuple[str, ...] | None = None  # s3: AWS-owned buckets (None: names unknown)
    s3_action: str = "s3:GetObject"
    resources: CallResources | None = None  # what the actions are called on (None: `*`)
    key_id: str | None = None  # kms: the key as the Session Manager preferences name it
    # s3: the Region of the user's bucket when it is not the node's (or why it is not known)
    bucket_region: str | Gap | None = None


class PathContext:
    """Per-check state: the estate, the partition and caches of pure results."""

    def __init__(self, estate: Estate, named_instances: frozenset[str] = frozenset()) -> None:
        self.estate = estate
        self.partition = estate.partition or "aws"
        self.policies = PolicyCache(named_instances)
        self._resource_evaluations: dict[tuple[object, ...], Evaluation] = {}
        self._dns: dict[tuple[str, str], DnsAnswer] = {}
        self._endpoint_policies: dict[str, Policy | str | None] = {}
        self._endpoint_keys: dict[str, frozenset[str] | None] = {}
        self._key_policies: dict[str, Policy | str | Gap] = {}

    def key_policy(self, key: KmsKey) -> Policy | str | Gap:
        """The parsed key policy of a KMS key (see kms.parse_key_policy), parsed once."""
        cached = self._key_policies.get(key.arn)
        if cached is None:
            cached = self._key_policies[key.arn] = parse_key_policy(key)
        return cached

    def resolve(self, region: RegionData, vpc: aws.Vpc, host: str, service_name: str) -> DnsAnswer:
        key = (vpc.vpc_id, host)
        answer = self._dns.get(key)
        if answer is None:
            answer = self._dns[key] = resolve(self.estate, region, vpc, host, service_name)
        return answer

    def evaluate_endpoint_policy(
        self, endpoint: aws.VpcEndpoint, policy: Policy, req: RequestContext
    ) -> Evaluation:
        eid = endpoint.vpc_endpoint_id
        if eid not in self._endpoint_keys:
            self._endpoint_keys[eid] = referenced_keys([policy])
        key = (eid, *self.policies.request_key(req, self._endpoint_keys[eid]))
        result = self._resource_evaluations.get(key)
        if result is None:
            result = evaluate_resource_policy(policy, req, gateway=endpoint.is_gateway)
            self._resource_evaluations[key] = result
        return result

    def endpoint_policy(self, endpoint: aws.VpcEndpoint) -> Policy | str | None:
        """The parsed endpoint policy; None = full access (no policy); str = why it is unreadable."""
        key = endpoint.vpc_endpoint_id
        if key not in self._endpoint_policies:
            if not endpoint.policy_document:
                self._endpoint_policies[key] = None
            else:
                try:
                    self._endpoint_policies[key] = parse_policy(
                        endpoint.policy_document, f"endpoint policy of {key}"
                    )
                except PolicyParseError as exc:
                    self._endpoint_policies[key] = str(exc)
        return self._endpoint_policies[key]


def _verdict(leg: Leg, private: bool) -> Verdict:
    if leg.outcome is Outcome.FAIL:
        return Verdict.BLOCKED
    if leg.outcome is Outcome.UNKNOWN:
        return Verdict.UNKNOWN
    return Verdict.PRIVATE if private else Verdict.INTERNET


def _requests(
    ctx: PathContext, node: Node, need: ServiceNeed, identity: Identity, via: aws.VpcEndpoint | None
) -> list[RequestContext]:
    role_arn = identity.role_arn
    keys, absent = request_keys(node.region, role_arn, instance_ip=node.ip, via_endpoint=via)
    out: list[RequestContext] = []
    if need.service == "s3":
        for bucket in need.buckets or ():
            out.append(
                RequestContext(
                    action=need.s3_action,
                    resource=f"arn:{ctx.partition}:s3:::{bucket}/*",
                    principal_arn=role_arn,
                    principal_account=node.region.account,
                    keys=keys,
                    absent_keys=absent,
                )
            )
        return out
    for action in SERVICE_ACTIONS.get(need.service, ()):
        if action == "ssm:UpdateInstanceInformation":
            resources: tuple[str, ...] = (instance_arn(node.instance, node.region, ctx.partition),)
        elif need.resources is not None:
            resources = need.resources.for_action(action)
        else:
            resources = ("*",)
        for resource in resources:
            out.append(
                RequestContext(
                    action=action,
                    resource=resource,
                    principal_arn=role_arn,
                    principal_account=node.region.account,
                    keys=keys,
                    absent_keys=absent,
                )
            )
    return out


def _shown(resource: str) -> str:
    """How a request's resource reads in a message: the instance's own ARN reads as such,
    so that one message serves every instance of a group."""
    return "the instance's ARN" if ":instance/i-" in resource else resource


_INSTANCE_ID_IN_ARN = re.compile(r"instance/i-[0-9a-f]+")
_INSTANCE_ARN_TEXT = re.compile(r"arn:[\w-]+:ec2:[\w-]+:\d+:instance/i-[0-9a-f]+")


def _shown_text(text: str, resource: str) -> str:
    return (
        _INSTANCE_ARN_TEXT.sub("the instance's ARN", text) if ":instance/i-" in resource else text
    )


def _quote(evaluation: Evaluation) -> str:
    if evaluation.statement is None:
        return ""
    sid = evaluation.statement.sid or f"#{evaluation.statement.index}"
    return f" (statement {sid} of {evaluation.policy}: {evaluation.statement.source})"


def _endpoint_policy_hop(
    leg: Leg,
    ctx: PathContext,
    endpoint: aws.VpcEndpoint,
    requests: Sequence[RequestContext],
    *,
    s3: bool,
) -> None:
    eid = endpoint.vpc_endpoint_id
    policy = ctx.endpoint_policy(endpoint)
    if policy is None:
        leg.add(
            Hop("endpoint-policy", eid, Outcome.PASS, f"{eid} has the default policy (full access)")
        )
        return
    if isinstance(policy, str):
        msg = f"the policy of {eid} cannot be read: {policy}"
        leg.add(
            Hop("endpoint-policy", eid, Outcome.UNKNOWN, msg),
            reason("DATA_MISSING", Severity.WARNING, eid, msg),
        )
        return
    if s3 and not requests:
        msg = f"the AWS-owned bucket names for this Region are not known, so the policy of {eid} cannot be checked"
        leg.add(
            Hop("endpoint-policy", eid, Outcome.UNKNOWN, msg),
            reason("DATA_MISSING", Severity.WARNING, eid, msg),
        )
        return
    unknown: Evaluation | None = None
    for req in requests:
        result = ctx.evaluate_endpoint_policy(endpoint, policy, req)
        if result.decision is Decision.ALLOW:
            continue
        if result.decision is Decision.UNKNOWN:
            unknown = unknown or result
            continue
        target = req.resource if s3 else req.action
        msg = f"the policy of {eid} does not allow {req.action} on {_shown(req.resource)}: {_shown_text(result.explanation, req.resource)}{_quote(result)}"
        code = "S3_BUCKET_NOT_ALLOWED" if s3 else "ENDPOINT_POLICY_DENIED"
        fix = (
            f"Allow s3:GetObject on {target} in the policy of {eid} (one statement listing the AWS-owned buckets of the Region)."
            if s3
            else f"Allow {req.action} in the policy of {eid} for the instance role (or Principal *)."
        )
        leg.add(
            Hop("endpoint-policy", eid, Outcome.FAIL, msg),
            reason(code, Severity.ERROR, eid, msg, fix),
        )
        return
    if unknown is not None:
        keys = ", ".join(unknown.unknown_keys) or "a condition"
        msg = f"whether the policy of {eid} allows the call depends on {keys}, which the snapshot cannot decide: {_shown_text(unknown.explanation, requests[0].resource)}"
        code = "S3_BUCKET_NOT_ALLOWED" if s3 else "ENDPOINT_POLICY_DENIED"
        leg.add(
            Hop("endpoint-policy", eid, Outcome.UNKNOWN, msg),
            reason(
                code,
                Severity.WARNING,
                eid,
                msg,
                "Confirm with `ssmreach probe` on a node, or simplify the policy condition.",
            ),
        )
        return
    what = (
        f"s3:GetObject on {len(requests)} AWS-owned bucket(s)"
        if s3
        else ", ".join(r.action for r in requests)
    )
    leg.add(Hop("endpoint-policy", eid, Outcome.PASS, f"the policy of {eid} allows {what}"))


def _key_hop(
    leg: Leg,
    ctx: PathContext,
    region: RegionData,
    key_id: str,
    role: RolePolicies,
    requests: Sequence[RequestContext],
) -> None:
    """kms:Decrypt on the Session Manager key: the key's state, key policy, grants and the
    role's IAM policies together (kms.py)."""
    name = role.role.role_name
    key = region.kms_key(key_id)
    if isinstance(key, Gap):
        for req in requests:
            denied = ctx.policies.evaluate(role, req)
            if denied.decision is Decision.DENY:
                leg.finding(
                    "iam",
                    role.role.arn,
                    Outcome.FAIL,
                    "IAM_ACTION_DENIED",
                    f"role {name} denies kms:Decrypt on {req.resource}: {denied.explanation}",
                    iam_fix(role.role, req.action, req.resource, denied=True),
                )
                return
        leg.finding(
            "key-policy",
            key_id,
            Outcome.UNKNOWN,
            key.code,
            f"whether role {name} may decrypt with the Session Manager key {key_id} cannot be decided: {key.describe()}",
            "Collect the snapshot with kms:DescribeKey, kms:GetKeyPolicy and kms:ListGrants allowed (ssmreach permissions).",
        )
        return
    base = next((r for r in requests if r.resource == key.arn), None)
    if base is None:  # the described key's ARN is what the requests are built on
        base = RequestContext("kms:Decrypt", key.arn, role.role.arn, region.account)
    # The agent calls KMS itself: no AWS service calls on its behalf (kms:ViaService).
    request = dataclasses.replace(
        base,
        keys={**base.keys, "kms:calleraccount": (region.account,)},
        absent_keys=base.absent_keys | {"kms:viaservice", "kms:grantisforawsresource"},
    )
    boundary = evaluate_identity((role.boundary,), request) if role.boundary is not None else None
    access = key_access(
        key, ctx.key_policy(key), request, ctx.policies.evaluate(role, request), boundary, name
    )
    if access.outcome is Outcome.PASS or access.code is None:
        leg.add(Hop("key-policy", key.arn, access.outcome, access.message))
        return
    on_role = access.code == "IAM_ACTION_DENIED"
    fix = access.fix
    if on_role and fix is None:
        fix = iam_fix(role.role, "kms:Decrypt", key.arn, denied=False)
    leg.finding(
        "key-policy",
        key.arn,
        access.outcome,
        access.code,
        access.message,
        fix,
        blame=role.role.arn if on_role else None,
    )


def _aws_bucket_grant_hop(
    leg: Leg,
    ctx: PathContext,
    role: RolePolicies,
    requests: Sequence[RequestContext],
    *,
    through_endpoint: bool,
) -> None:
    """s3:GetObject on the AWS-owned buckets: asked of the role only through an endpoint."""
    name = role.role.role_name
    if not through_endpoint:
        # The AWS-owned buckets are public: over the internet path the agent reads them
        # without a grant; the SSM docs ask for it only when endpoints are used.
        leg.add(
            Hop(
                "iam",
                role.role.arn,
                Outcome.PASS,
                "the AWS-owned buckets are read over the internet path, which needs no grant in the role",
            )
        )
        return
    missing = [r for r in requests if ctx.policies.evaluate(role, r).decision is not Decision.ALLOW]
    if missing:
        msg = (
            f"role {name} does not grant s3:GetObject on {', '.join(r.resource for r in missing[:3])}"
            + (" ..." if len(missing) > 3 else "")
            + " (the SSM docs ask for it when endpoints are used)"
        )
        leg.reasons.append(
            reason(
                "IAM_S3_GRANT_MISSING",
                Severity.WARNING,
                role.role.arn,
                msg,
                f"Grant s3:GetObject on the AWS-owned buckets of the Region to role {name}.",
            )
        )
        leg.hops.append(
            Hop(
                "iam",
                role.role.arn,
                Outcome.PASS,
                msg + "; the agent still reads these public buckets",
            )
        )
    else:
        leg.add(
            Hop(
                "iam",
                role.role.arn,
                Outcome.PASS,
                f"role {name} grants s3:GetObject on the buckets",
            )
        )


def _iam_hop(
    leg: Leg,
    ctx: PathContext,
    region: RegionData,
    need: ServiceNeed,
    identity: Identity,
    requests: Sequence[RequestContext],
    *,
    through_endpoint: bool,
) -> None:
    role = identity.role
    if role is None:
        return
    name = role.role.role_name
    if need.service == "s3" and need.s3_action == "s3:GetObject":
        _aws_bucket_grant_hop(leg, ctx, role, requests, through_endpoint=through_endpoint)
        return
    if need.service == "kms" and need.key_id is not None:
        _key_hop(leg, ctx, region, need.key_id, role, requests)
        return
    if need.resources is not None and need.resources.unknown:
        msg = f"whether role {name} may call {', '.join(SERVICE_ACTIONS.get(need.service, ()))} cannot be decided: {need.resources.unknown}"
        leg.finding(
            "iam",
            role.role.arn,
            Outcome.UNKNOWN,
            "DATA_MISSING",
            msg,
            "Name the key by its key ARN or key id in the Session Manager preferences, or confirm with the IAM policy simulator.",
        )
        return
    decided = [(req, ctx.policies.evaluate(role, req)) for req in requests]
    for req, result in decided:
        if result.decision is Decision.ALLOW:
            continue
        if result.decision is Decision.NO_ALLOW and any(
            other.action == req.action and r.decision is Decision.ALLOW for other, r in decided
        ):
            # Another form of the resource, which AWS may check instead, is allowed; an
            # explicit deny of any form still stands.
            continue
        if result.decision is Decision.UNKNOWN:
            msg = (
                f"whether role {name} may call {req.action} cannot be decided: {result.explanation}"
            )
            leg.finding(
                "iam",
                role.role.arn,
                Outcome.UNKNOWN,
                "IAM_ACTION_DENIED",
                msg,
                "Confirm with IAM policy simulator, or simplify the condition.",
            )
            return
        msg = f"role {name} does not allow {req.action} on {_shown(req.resource)}: {_shown_text(result.explanation, req.resource)}{_quote(result)}"
        leg.add(
            Hop("iam", role.role.arn, Outcome.FAIL, msg),
            reason(
                "IAM_ACTION_DENIED",
                Severity.ERROR,
                role.role.arn,
                msg,
                iam_fix(
                    role.role,
                    req.action,
                    _INSTANCE_ID_IN_ARN.sub("instance/*", req.resource),
                    denied=result.decision is Decision.DENY,
                ),
            ),
        )
        return
    actions = ", ".join(sorted({r.action for r in requests}))
    if need.resources is not None:
        actions += f" on {', '.join(sorted({r.resource for r in requests}))}"
    leg.add(Hop("iam", role.role.arn, Outcome.PASS, f"role {name} allows {actions}"))


def _targets(
    node: Node, region: RegionData, endpoint: aws.VpcEndpoint, only: Sequence[str] = ()
) -> list[Target] | Gap:
    groups = endpoint_groups(region, endpoint)
    if isinstance(groups, Gap):
        return groups
    targets: list[Target] = []
    for eni_id in endpoint.network_interface_ids:
        if only and eni_id not in only:
            continue
        eni = region.network_interfaces.get(eni_id)
        if eni is None or not eni.subnet_id:
            continue
        ip = eni.private_ip_address or (
            eni.private_ip_addresses[0].private_ip_address if eni.private_ip_addresses else None
        )
        subnet = region.subnets.get(eni.subnet_id)
        net = (
            network(ip)
            if ip
            else (network(subnet.cidr_block) if subnet and subnet.cidr_block else None)
        )
        targets.append(
            Target(
                region=region,
                vpc_id=endpoint.vpc_id,
                subnet_id=eni.subnet_id,
                az=eni.availability_zone or (subnet.availability_zone if subnet else None),
                place=Place(
                    net=net,
                    groups=frozenset(g.group_id for g in groups),
                    label=f"{eni_id} ({ip or 'address unknown'})",
                ),
                groups=groups,
                label=eni_id,
                owner=endpoint.vpc_endpoint_id,
            )
        )
    if not targets:
        # Interfaces not in the snapshot: fall back to the endpoint's subnets (their CIDRs).
        for subnet_id in endpoint.subnet_ids:
            subnet = region.subnets.get(subnet_id)
            if subnet is None or not subnet.cidr_block:
                continue
            targets.append(
                Target(
                    region=region,
                    vpc_id=endpoint.vpc_id,
                    subnet_id=subnet_id,
                    az=subnet.availability_zone,
                    place=Place(
                        net=network(subnet.cidr_block),
                        groups=frozenset(g.group_id for g in groups),
                        label=f"{endpoint.vpc_endpoint_id} in {subnet_id}",
                    ),
                    groups=groups,
                    label=f"{endpoint.vpc_endpoint_id} in {subnet_id}",
                    owner=endpoint.vpc_endpoint_id,
                )
            )
    return sorted(targets, key=lambda t: (t.az != node.az, t.subnet_id))


def _endpoint_leg(
    ctx: PathContext, node: Node, dns: DnsAnswer, only_enis: Sequence[str] = ()
) -> Leg:
    endpoint = dns.endpoint
    region = dns.endpoint_region
    assert endpoint is not None and region is not None
    eid = endpoint.vpc_endpoint_id
    leg = Leg()
    if endpoint.state.lower() != "available":
        msg = f"{eid} is {endpoint.state}, not available"
        leg.finding(
            "endpoint",
            eid,
            Outcome.FAIL,
            "ENDPOINT_NOT_AVAILABLE",
            msg,
            f"Find out why {eid} is {endpoint.state}, then fix or recreate it.",
        )
        return leg
    if endpoint.is_interface and not endpoint.subnet_ids and not endpoint.network_interface_ids:
        # No subnet, no network interface: the endpoint has no address to connect to.
        msg = f"{eid} has no subnet (and so no network interface): nothing answers at its addresses"
        leg.finding(
            "endpoint",
            eid,
            Outcome.FAIL,
            "ENDPOINT_NO_SUBNETS",
            msg,
            f"Add a subnet in each Availability Zone of the instances to {eid} (aws ec2 modify-vpc-endpoint --vpc-endpoint-id {eid} --add-subnet-ids ...).",
        )
        return leg
    targets = _targets(node, region, endpoint, only_enis)
    if isinstance(targets, Gap):
        leg.add(Hop("endpoint", eid, Outcome.UNKNOWN, targets.describe()), gap_reason(targets, eid))
        return leg
    if not targets:
        msg = f"{eid} has no network interface in the snapshot"
        leg.add(
            Hop("endpoint", eid, Outcome.UNKNOWN, msg),
            reason("DATA_MISSING", Severity.WARNING, eid, msg),
        )
        return leg
    legs = [(t, path_to_target(ctx.estate, node, t)) for t in targets]
    passing = [(t, lg) for t, lg in legs if lg.outcome is Outcome.PASS]
    if passing:
        target, chosen = passing[0]
        if node.az and target.az != node.az:
            msg = (
                f"{eid} has no working network interface in {node.az}, where the instance runs; "
                f"traffic crosses to {target.az}"
            )
            chosen.reasons.append(
                reason(
                    "ENDPOINT_OTHER_AZ",
                    Severity.WARNING,
                    eid,
                    msg,
                    f"Add a subnet in {node.az} to {eid}.",
                )
            )
    else:
        unknown = [(t, lg) for t, lg in legs if lg.outcome is Outcome.UNKNOWN]
        target, chosen = unknown[0] if unknown else legs[0]
    chosen.via = eid
    chosen.private = True
    return chosen


@dataclass(frozen=True, slots=True)
class NetworkStage:
    """Steps 1-4 of one service from one network position: the same for every role."""

    host: str | None
    final: ServiceResult | None  # set when the path ends before any policy step
    hops: tuple[Hop, ...] = ()
    reasons: tuple[Reason, ...] = ()
    outcome: Outcome = Outcome.PASS
    via: str | None = None
    private: bool = False  # through an interface or gateway endpoint
    endpoint: aws.VpcEndpoint | None = None
    why_not_private: tuple[Reason, ...] = ()


def network_stage(
    ctx: PathContext, node: Node, service: str, target_region: str | None = None
) -> NetworkStage:
    """DNS, route, security groups and network ACLs from `node` to `service` (of
    `target_region` when that is not the node's: a bucket in another Region)."""
    region = node.region
    host = service_host(region, service, ctx.partition)
    if target_region is not None:
        host = f"{service}.{target_region}.amazonaws.com" if ctx.partition == "aws" else None
    if host is None:
        gap = region.gap("DescribeVpcEndpointServices") or Gap(
            region.account, region.region, "ec2", "DescribeVpcEndpointServices", "missing"
        )
        r = gap_reason(gap, None)
        hop = Hop("dns", None, Outcome.UNKNOWN, r.message)
        return NetworkStage(None, ServiceResult(service, None, Verdict.UNKNOWN, None, (r,), (hop,)))
    service_name = endpoint_service_name(target_region or region.region, service)
    dns = ctx.resolve(region, node.vpc, host, service_name)
    if dns.kind in ("unknown", "fail", "nxdomain"):
        verdict = Verdict.UNKNOWN if dns.kind == "unknown" else Verdict.BLOCKED
        return NetworkStage(
            host, ServiceResult(service, host, verdict, None, dns.reasons, (dns.hop,))
        )
    why_not_private: list[Reason] = []
    endpoint: aws.VpcEndpoint | None = None
    if dns.kind == "addresses":
        found = _endpoint_for_addresses(ctx.estate, dns.addresses)
        if found is None:
            msg = f"{host} resolves to {', '.join(dns.addresses)}, which is no endpoint in the snapshot"
            final = ServiceResult(
                service,
                host,
                Verdict.UNKNOWN,
                None,
                (reason("EGRESS_UNMODELED", Severity.WARNING, dns.zone, msg),),
                (dns.hop, Hop("route", None, Outcome.UNKNOWN, msg)),
            )
            return NetworkStage(host, final)
        endpoint, ep_region, enis = found
        dns = dataclasses.replace(dns, endpoint=endpoint, endpoint_region=ep_region)
        leg = _endpoint_leg(ctx, node, dns, enis)
    elif dns.kind == "endpoint":
        endpoint = dns.endpoint
        leg = _endpoint_leg(ctx, node, dns)
    else:
        why_not_private = list(dns.reasons)
        place = _public_place(region, service, service_name)
        leg = internet_leg(ctx.estate, node, place)
        if leg.gateway_endpoint is not None:
            endpoint = leg.gateway_endpoint
            leg.private = True
            _gateway_checks(leg, node, place)
        elif service == "s3":
            why_not_private.extend(_s3_why_not_private(node, service_name))
        else:
            endpoint = None
    private = leg.private
    return NetworkStage(
        host=host,
        final=None,
        hops=(dns.hop, *leg.hops),
        reasons=tuple(leg.reasons),
        outcome=leg.outcome,
        via=leg.via,
        private=private,
        endpoint=endpoint if private else None,
        why_not_private=tuple(why_not_private),
    )


def reach_service(
    ctx: PathContext,
    node: Node,
    identity: Identity,
    need: ServiceNeed,
    stage: NetworkStage | None = None,
) -> ServiceResult:
    """How `node` reaches `need.service`: verdict, hops and reasons (steps 1-6)."""
    stage = stage or network_stage(ctx, node, need.service)
    if stage.final is not None:
        return stage.final
    leg = Leg(
        hops=list(stage.hops), reasons=list(stage.reasons), outcome=stage.outcome, via=stage.via
    )
    requests = _requests(ctx, node, need, identity, stage.endpoint)
    if leg.outcome is not Outcome.FAIL and stage.endpoint is not None:
        _endpoint_policy_hop(leg, ctx, stage.endpoint, requests, s3=need.service == "s3")
    if leg.outcome is not Outcome.FAIL:
        _iam_hop(leg, ctx, node.region, need, identity, requests, through_endpoint=stage.private)
    if need.bucket_region is not None:
        _bucket_region_hop(leg, node, need, stage)
    via = stage.via
    verdict = _verdict(leg, stage.private)
    reasons = list(leg.reasons)
    if verdict is Verdict.INTERNET:
        service_name = endpoint_service_name(node.region.region, need.service)
        reasons.append(
            reason(
                "INTERNET_PATH",
                Severity.INFO,
                via,
                f"{stage.host} is reached over the internet through {via}",
                f"Add the {service_name} endpoint to {node.vpc.vpc_id} to keep this traffic private.",
            )
        )
    # Why the path is not private is the error only when the network path itself fails;
    # when the role or a policy is what blocks, the missing endpoint is a warning.
    network_failed = stage.outcome is Outcome.FAIL
    severity = Severity.ERROR if verdict is Verdict.BLOCKED and network_failed else Severity.WARNING
    reasons = [
        msgspec.structs.replace(r, severity=severity) for r in stage.why_not_private
    ] + reasons
    return ServiceResult(need.service, stage.host, verdict, via, tuple(reasons), tuple(leg.hops))


def _bucket_region_hop(leg: Leg, node: Node, need: ServiceNeed, stage: NetworkStage) -> None:
    """The user's bucket is in another Region (or its Region is not known): a gateway
    endpoint serves only requests to its own Region ("Gateway endpoints for Amazon S3":
    "Gateway endpoints support ... only in the same Region"), so the request needs a path
    to that Region's public S3 addresses (the stage was computed for them)."""
    bucket = (need.buckets or ("?",))[0]
    here = node.region.region
    if isinstance(need.bucket_region, Gap):
        if stage.endpoint is not None and stage.endpoint.is_gateway:
            gap = need.bucket_region
            leg.finding(
                "bucket-region",
                bucket,
                Outcome.UNKNOWN,
                gap.code,
                f"the session log bucket {bucket} is reached through the gateway endpoint "
                f"{stage.endpoint.vpc_endpoint_id}, which serves only buckets in {here}, and the "
                f"bucket's Region is not known: {gap.describe()}",
                "Collect the snapshot with s3:GetBucketLocation allowed.",
            )
        return
    other = need.bucket_region
    if leg.outcome is Outcome.FAIL:
        leg.reasons.append(
            reason(
                "S3_BUCKET_OTHER_REGION",
                Severity.ERROR,
                bucket,
                f"the session log bucket {bucket} is in {other}, the node in {here}: gateway "
                f"endpoints serve only their own Region, and {node.vpc.vpc_id} has no path to "
                f"{other}'s S3",
                f"Log sessions to a bucket in {here}, or give the instances a NAT path to S3 in {other}.",
            )
        )
    else:
        leg.add(
            Hop("bucket-region", bucket, Outcome.PASS, f"{bucket} is in {other}"),
            reason(
                "S3_BUCKET_OTHER_REGION",
                Severity.WARNING,
                bucket,
                f"the session log bucket {bucket} is in {other}, the node in {here}: a gateway "
                "endpoint cannot carry the request, which leaves the VPC by its other path",
                f"Log sessions to a bucket in {here} to keep the traffic private.",
            ),
        )


def _public_place(region: RegionData, service: str, service_name: str) -> Place:
    if service == "s3":
        for info in region.prefix_lists.values():
            if info.name == service_name:
                cidrs = (
                    tuple(n for n in (network(c) for c in info.cidrs or ()) if n)
                    if info.cidrs
                    else None
                )
                return Place(
                    prefix_list_id=info.prefix_list_id,
                    prefix_list_cidrs=cidrs,
                    aws_service=service_name,
                    label=f"{info.prefix_list_id} ({service_name})",
                )
    return public_service(service_name, label=f"public {service} addresses")


def _gateway_checks(leg: Leg, node: Node, place: Place) -> None:
    """S3 through a gateway endpoint: the instance's own security groups and NACL must let it out."""
    check_own_subnet(leg, node, place, "to the S3 prefix list")


def _s3_why_not_private(node: Node, service_name: str) -> list[Reason]:
    gateways = [
        ep
        for ep in node.region.endpoints_by_vpc.get(node.vpc.vpc_id, ())
        if ep.service_name == service_name and ep.is_gateway
    ]
    rtb = node.region.subnet_route_table.get(
        node.subnet.subnet_id
    ) or node.region.main_route_table.get(node.vpc.vpc_id)
    if rtb is None:
        # The route table is not in the snapshot: the route hop says so; presume none here.
        return []
    if gateways:
        ep = gateways[0]
        return [
            reason(
                "GATEWAY_ENDPOINT_NOT_ROUTED",
                Severity.WARNING,
                ep.vpc_endpoint_id,
                f"S3 gateway endpoint {ep.vpc_endpoint_id} is not associated with {rtb}, the route table of {node.subnet.subnet_id}",
                f"Associate {ep.vpc_endpoint_id} with {rtb}.",
            )
        ]
    return [
        reason(
            "ENDPOINT_MISSING",
            Severity.WARNING,
            node.vpc.vpc_id,
            f"no S3 gateway endpoint serves {node.vpc.vpc_id}",
            f"Create an S3 gateway endpoint in {node.vpc.vpc_id} associated with {rtb}.",
        )
    ]


def _endpoint_for_addresses(
    estate: Estate, addresses: Sequence[str]
) -> tuple[aws.VpcEndpoint, RegionData, tuple[str, ...]] | None:
    wanted = set(addresses)
    for data in estate.regions.values():
        for ep in data.endpoints.values():
            enis = tuple(
                eid
                for eid in ep.network_interface_ids
                if (eni := data.network_interfaces.get(eid)) is not None
                and eni.private_ip_address in wanted
            )
            if enis:
                return ep, data, enis
    return None
