"""The hybrid reads of one Region (and Direct Connect, once per account) into the model.

Like the families of `region_reads`, each read that is absent or failed becomes a `Gap`
under its operation (`Reads.gaps`); one failed call of a call list (one Resolver
endpoint's addresses, one Direct Connect gateway's associations) is a `Gap` in place of
that call's answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ssmreach.model import aws
from ssmreach.model import hybrid as hy
from ssmreach.model.estate import Gap
from ssmreach.model.region_reads import Reads

__all__ = ["direct_connect", "region_hybrid"]


def _activation_tier(reads: Reads, settings: Mapping[str, str | Gap]) -> str | Gap | None:
    """The activation tier the snapshot read; None when `GetServiceSetting` did not ask for
    it (a snapshot of an older ssmreach, or one made by hand)."""
    found = settings.get(hy.ACTIVATION_TIER_SETTING)
    if found is not None or "GetServiceSetting" not in reads.gaps:
        return found
    return dataclasses.replace(reads.gaps["GetServiceSetting"], request=hy.ACTIVATION_TIER_SETTING)


def _resolver_endpoints(reads: Reads) -> dict[str, hy.ResolverEndpointInfo]:
    listed = reads.get("route53resolver", "ListResolverEndpoints", hy.ListResolverEndpoints)
    if listed is None:
        return {}
    calls = (
        reads.get("route53resolver", "ListResolverEndpointIpAddresses", list[hy.EndpointIpsCall])
        if any(e.inbound for e in listed.resolver_endpoints)
        else ()
    )
    by_id = {c.request.resolver_endpoint_id: c for c in calls or ()}
    found: dict[str, hy.ResolverEndpointInfo] = {}
    for endpoint in listed.resolver_endpoints:
        call = by_id.get(endpoint.id)
        addresses: tuple[hy.ResolverEndpointIp, ...] | Gap
        if call is not None and call.error is not None:
            addresses = reads.call_gap(
                "route53resolver", "ListResolverEndpointIpAddresses", endpoint.id, call.error
            )
        elif call is not None and call.response is not None:
            addresses = call.response.ip_addresses
        else:
            whole = reads.gaps.get("ListResolverEndpointIpAddresses")
            addresses = (
                dataclasses.replace(whole, request=endpoint.id)
                if whole is not None
                else Gap(
                    reads.account,
                    reads.region,
                    "route53resolver",
                    "ListResolverEndpointIpAddresses",
                    "missing",
                    "the collector reads the addresses of inbound endpoints only"
                    if not endpoint.inbound
                    else "",
                    endpoint.id,
                )
            )
        found[endpoint.id] = hy.ResolverEndpointInfo(endpoint, addresses)
    return found


def region_hybrid(
    reads: Reads,
    information: Mapping[str, aws.InstanceInformation],
    settings: Mapping[str, str | Gap],
) -> hy.HybridData:
    """Hybrid nodes (from the managed-node records already read), activations, the
    activation tier, VPN connections and gateways, and Resolver endpoints."""
    activations = reads.get("ssm", "DescribeActivations", hy.DescribeActivations)
    vpns = reads.get("ec2", "DescribeVpnConnections", hy.DescribeVpnConnections)
    vgws = reads.get("ec2", "DescribeVpnGateways", hy.DescribeVpnGateways)
    return hy.HybridData(
        nodes=hy.hybrid_nodes(information),
        activations={
            a.activation_id: a for a in (activations.activation_list if activations else ())
        },
        activation_tier=_activation_tier(reads, settings),
        vpn_connections={
            v.vpn_connection_id: v
            for v in (vpns.vpn_connections if vpns else ())
            if v.state not in ("deleting", "deleted")
        },
        vpn_gateways={
            g.vpn_gateway_id: g
            for g in (vgws.vpn_gateways if vgws else ())
            if g.state not in ("deleting", "deleted")
        },
        resolver_endpoints=_resolver_endpoints(reads),
    )


def direct_connect(reads: Reads) -> dict[str, hy.DirectConnectGatewayInfo]:
    """The account's Direct Connect gateways (a global read) with their associations."""
    listed = reads.get(
        "directconnect", "DescribeDirectConnectGateways", hy.DescribeDirectConnectGateways
    )
    if listed is None:
        return {}
    calls = reads.get(
        "directconnect", "DescribeDirectConnectGatewayAssociations", list[hy.DxAssociationsCall]
    )
    by_id = {c.request.direct_connect_gateway_id: c for c in calls or ()}
    op = "DescribeDirectConnectGatewayAssociations"
    found: dict[str, hy.DirectConnectGatewayInfo] = {}
    for gateway in listed.direct_connect_gateways:
        if gateway.direct_connect_gateway_state in ("deleting", "deleted"):
            continue
        gid = gateway.direct_connect_gateway_id
        call = by_id.get(gid)
        associations: tuple[hy.DirectConnectGatewayAssociation, ...] | Gap
        if call is not None and call.error is not None:
            associations = reads.call_gap("directconnect", op, gid, call.error)
        elif call is not None and call.response is not None:
            associations = call.response.direct_connect_gateway_associations
        else:
            whole = reads.gaps.get(op)
            associations = (
                dataclasses.replace(whole, request=gid)
                if whole is not None
                else Gap(reads.account, reads.region, "directconnect", op, "missing", request=gid)
            )
        found[gid] = hy.DirectConnectGatewayInfo(gateway, associations)
    return found
