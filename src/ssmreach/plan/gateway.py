"""The S3 gateway endpoint: a new one on the instances' route tables, or the missing tables
and bucket statement for an existing one, and egress to the S3 prefix list (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from ssmreach.analysis.engine import session_preferences
from ssmreach.analysis.routing import route_table_for
from ssmreach.analysis.services import endpoint_service_name
from ssmreach.model import aws
from ssmreach.model.estate import RegionData
from ssmreach.plan.changes import (
    AssociateGatewayRouteTables,
    CreateGatewayEndpoint,
    Finding,
    SetEndpointPolicy,
)
from ssmreach.plan.groups import egress
from ssmreach.plan.needs import VpcNeeds
from ssmreach.plan.policies import extend_policy, plan_buckets, s3_gateway_policy, s3_statement
from ssmreach.plan.shared import GONE, ipv6_only, s3_prefix_place
from ssmreach.plan.state import PlanState

# the causes an association of the instances' route tables with the gateway fixes
_ROUTED = (
    "GATEWAY_ENDPOINT_NOT_ROUTED",
    "ENDPOINT_MISSING",
    "INTERNET_PATH",
    "NO_PUBLIC_IP",
    "NAT_NO_INTERNET",
    "NO_ROUTE",
)


# the causes an allow statement for the AWS-owned buckets fixes (a data perimeter's
# exemption, as AWS's data-perimeter examples write it)
_NOT_ALLOWED = {"S3_BUCKET_NOT_ALLOWED", "PERIMETER_DENIES_AWS_BUCKETS"}


def s3_gateway(state: PlanState, vpc: VpcNeeds) -> None:
    region, vpc_id = vpc.region, vpc.vpc_id
    name = endpoint_service_name(region.region, "s3")
    needs = list(vpc.needs.get("s3", {}).values())
    v6 = sorted(n.instance.instance_id for n in needs if ipv6_only(region, n.instance))
    if v6:
        # The agent asks s3.REGION.amazonaws.com, which answers IPv4 only: a gateway
        # endpoint does not carry an IPv6-only instance's requests (S3 user guide,
        # "Dual-stack endpoints"; PrivateLink guide, "DNS record IP type").
        state.manual.add(
            "IPV6_ONLY_NO_PATH",
            vpc_id,
            f"S3 for the IPv6-only subnets of {vpc_id}: create an S3 interface endpoint ({name}) with the dualstack IP address type, DNS record IP type dualstack and private DNS, or turn on DNS64 and route 64:ff9b::/96 to a NAT gateway",
            v6,
        )
        needs = [n for n in needs if n.instance.instance_id not in v6]
        if not needs:
            return
    findings = [f for f in vpc.findings("s3") if f.instance not in v6]
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
            if ep.is_gateway and ep.service_name == name and ep.state.lower() not in GONE
        ),
        key=lambda ep: ep.vpc_endpoint_id,
    )
    buckets = plan_buckets(region.region, state.options.features)
    deps: tuple[str, ...] = ()
    if not gateways:
        if not tables:
            return
        deps = (_create(state, region, vpc_id, name, tables, buckets, findings),)
    else:
        deps = _extend(state, region, vpc_id, gateways[0], tables, buckets, vpc)
    place = s3_prefix_place(region, name)
    if place is None or place.prefix_list_id is None:
        return
    egress(
        state,
        region,
        (n.instance for n in needs),
        place,
        what=f"the S3 prefix list {place.prefix_list_id}",
        findings=findings,
        prefix_list=place.prefix_list_id,
        deps=deps,
    )


def _create(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    name: str,
    tables: Sequence[str],
    buckets: tuple[str, ...],
    findings: Sequence[Finding],
) -> str:
    prefs = session_preferences(region)
    extra = (
        (prefs.s3_bucket,)
        if prefs.s3_bucket and "session-manager" in state.options.features
        else ()
    )
    return state.add(
        CreateGatewayEndpoint(
            id=f"gateway/{vpc_id}/s3",
            account=region.account,
            region=region.region,
            vpc_id=vpc_id,
            service_name=name,
            route_table_ids=tuple(tables),
            policy=s3_gateway_policy(
                tuple(dict.fromkeys(buckets + extra)), region.account, state.partition
            ),
            summary=f"create the S3 gateway endpoint in {vpc_id} on {', '.join(tables)}",
        ),
        findings,
    )


def _extend(
    state: PlanState,
    region: RegionData,
    vpc_id: str,
    gateway: aws.VpcEndpoint,
    tables: Sequence[str],
    buckets: tuple[str, ...],
    vpc: VpcNeeds,
) -> tuple[str, ...]:
    """The existing gateway on the missing route tables, its policy extended to the buckets."""
    findings = vpc.findings("s3")
    eid = gateway.vpc_endpoint_id
    deps: tuple[str, ...] = ()
    missing = [t for t in tables if t not in gateway.route_table_ids]
    if missing:
        deps += (
            state.add(
                AssociateGatewayRouteTables(
                    id=f"gateway-routes/{eid}",
                    account=region.account,
                    region=region.region,
                    vpc_id=vpc_id,
                    endpoint_id=eid,
                    route_table_ids=tuple(missing),
                    summary=f"associate {eid} (S3) with {', '.join(missing)}",
                ),
                [f for f in findings if f.code in _ROUTED],
            ),
        )
    if not (_NOT_ALLOWED & set(vpc.codes("s3"))) or not buckets:
        return deps
    policy = extend_policy(gateway.policy_document, s3_statement(buckets, state.partition))
    if policy is None:
        state.manual.add(
            "S3_BUCKET_NOT_ALLOWED",
            eid,
            f"the policy of {eid} is not readable JSON; it cannot be extended",
            sorted({f.instance for f in findings}),
        )
    else:
        state.add(
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
            [f for f in findings if f.code in _NOT_ALLOWED],
        )
    return deps
