"""Reachability of one service from one instance (requirements.md §3), as a `ServiceResult`.

Order: DNS, then route / security groups / network ACLs (to every endpoint network
interface until one works, the instance's Availability Zone first), then the
endpoint policy, then the role's permissions. The first failing step is the
reason; every step is a hop.

The steps live by job in their own modules; `reach_service` here puts them together:

- `path_context`: `ServiceNeed` and `PathContext` (the per-check caches);
- `network_stage`: steps 1-4 (DNS and the network leg), the same for every role;
- `endpoint_interfaces`: the leg to an interface endpoint's network interfaces;
- `s3_path`: gateway endpoint checks, why S3 is not private, a bucket in another Region;
- `call_requests`: the calls of a service as IAM requests;
- `policy_hops`: steps 5-6, the endpoint policy and the role's permissions.
"""

from __future__ import annotations

import msgspec

from ssmreach.analysis.call_requests import requests_for
from ssmreach.analysis.identity import Identity
from ssmreach.analysis.network import Leg, Node
from ssmreach.analysis.network_stage import NetworkStage, network_stage
from ssmreach.analysis.path_context import PathContext, ServiceNeed
from ssmreach.analysis.policy_hops import endpoint_policy_hop, iam_hop
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.s3_path import bucket_region_hop, output_region_hop
from ssmreach.analysis.services import endpoint_service_name
from ssmreach.analysis.verdict import Outcome, ServiceResult, Severity, Verdict


def _verdict(leg: Leg, private: bool) -> Verdict:
    if leg.outcome is Outcome.FAIL:
        return Verdict.BLOCKED
    if leg.outcome is Outcome.UNKNOWN:
        return Verdict.UNKNOWN
    return Verdict.PRIVATE if private else Verdict.INTERNET


def _policy_part(
    ctx: PathContext, node: Node, identity: Identity, need: ServiceNeed, stage: NetworkStage
) -> Leg:
    """Steps 5-6 (the endpoint policy, then the role), as a leg of their own: the same
    for every instance that calls the same endpoint with the same credentials and needs,
    from the same account and Region (their requests are equal: condition keys name the
    endpoint, its VPC and owner, the account, the Region, the role; an instance's ARN
    counts as any instance's unless a policy names it), so decided once for them all."""
    endpoint = stage.endpoint
    iid = node.instance.instance_id
    key = (
        endpoint.vpc_endpoint_id if endpoint is not None else None,
        stage.private,
        identity.kind,
        identity.role_arn,
        need,
        node.own.account,
        node.own.region,
        iid if iid in ctx.policies.named_instances else None,
    )
    part = ctx.policy_parts.get(key)
    if part is None:
        part = Leg()
        requests = requests_for(ctx, node, need, identity, endpoint)
        if endpoint is not None:
            endpoint_policy_hop(
                part, ctx, endpoint, requests, s3=need.service == "s3", aws_owned=need.aws_owned
            )
        if part.outcome is not Outcome.FAIL:
            iam_hop(part, ctx, node.own, need, identity, requests, through_endpoint=stage.private)
        ctx.policy_parts[key] = part
    return part


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
    if leg.outcome is not Outcome.FAIL:
        leg.join(_policy_part(ctx, node, identity, need, stage))
    if need.bucket_region is not None:
        bucket_region_hop(leg, node, need, stage.endpoint)
    if need.region_mismatches:
        output_region_hop(leg, need)
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
