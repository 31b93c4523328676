"""Steps 1-4 of a service path (requirements.md §3) from one network position: DNS, then
route, security groups and network ACLs, to the endpoint DNS names or to the service's
public addresses. The result (`NetworkStage`) is the same for every role, so the engine
computes it once per network position and service.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ssmreach.analysis import ipv6_path
from ssmreach.analysis.addresses import Place, network, public_service
from ssmreach.analysis.dns import DnsAnswer, gap_reason
from ssmreach.analysis.endpoint_interfaces import endpoint_for_addresses, endpoint_leg
from ssmreach.analysis.network import Leg, Node, internet_leg
from ssmreach.analysis.path_context import PathContext
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.s3_path import gateway_checks, s3_why_not_private
from ssmreach.analysis.services import endpoint_service_name, service_host
from ssmreach.analysis.verdict import Hop, Outcome, Reason, ServiceResult, Severity, Verdict
from ssmreach.model import aws
from ssmreach.model.estate import Gap, RegionData


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
        found = endpoint_for_addresses(ctx.estate, dns.addresses)
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
        leg = _gated(node, dns) or endpoint_leg(ctx, node, dns, enis)
    elif dns.kind == "endpoint":
        endpoint = dns.endpoint
        leg = _gated(node, dns) or endpoint_leg(ctx, node, dns)
    else:
        why_not_private = list(dns.reasons)
        place = _public_place(region, service, service_name)
        if node.ipv6_only:
            leg = ipv6_path.public_leg(ctx.estate, node, service, service_name, place)
        else:
            leg = internet_leg(ctx.estate, node, place)
        if leg.gateway_endpoint is not None:
            endpoint = leg.gateway_endpoint
            leg.private = True
            gateway_checks(leg, node, place)
        elif service == "s3" and target_region is None:
            # (for a bucket in another Region no local endpoint could serve it: the bucket
            # hop says so, S3_BUCKET_OTHER_REGION, not a missing endpoint)
            why_not_private.extend(s3_why_not_private(node, service_name))
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


def _gated(node: Node, dns: DnsAnswer) -> Leg | None:
    """For an instance in an IPv6-only subnet: why the endpoint cannot take its request."""
    return ipv6_path.endpoint_gate(node, dns) if node.ipv6_only else None


def _public_place(region: RegionData, service: str, service_name: str) -> Place:
    """Where the service's public addresses are: for S3 the Region's prefix list."""
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
