"""The hybrid reads, collected and read back: VPN connections and gateways and Resolver
endpoints through in-process moto; activations, the activation tier, a hybrid node's
record and Direct Connect from recorded answers (moto 5 implements none of them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from collect.collect_helpers import FakeHttp, aws_env, error_answer, moto, session_factory  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION
from ssmreach.collect import collect_snapshot
from ssmreach.model.estate import Gap
from ssmreach.model.hybrid import ACTIVATION_TIER_SETTING
from ssmreach.model.raw import GLOBAL, OperationKey, RawOk
from ssmreach.model.reader import parse_snapshot

ANSWERS: dict[str, Any] = json.loads((Path(__file__).parent / "hybrid_answers.json").read_text())
DX_GATEWAY = "5f294f92-bafb-4011-916d-9b0bEXAMPLE"


def _body(params: dict[str, Any]) -> dict[str, Any]:
    raw = params.get("body") or b"{}"
    return dict(json.loads(raw.decode() if isinstance(raw, bytes) else raw))


def _answer(value: dict[str, Any]) -> Callable[..., tuple[FakeHttp, dict[str, Any]]]:
    return lambda **_: (FakeHttp(200), json.loads(json.dumps(value)))


def _setting(params: dict[str, Any], **_: Any) -> tuple[FakeHttp, dict[str, Any]]:
    asked = _body(params).get("SettingId")
    name = "ActivationTier" if asked == ACTIVATION_TIER_SETTING else "DefaultHostManagement"
    return FakeHttp(200), json.loads(json.dumps(ANSWERS[name]))


def _dx_associations(params: dict[str, Any], **_: Any) -> tuple[FakeHttp, dict[str, Any]]:
    assert _body(params) == {"directConnectGatewayId": DX_GATEWAY, "maxResults": 100}
    return FakeHttp(200), json.loads(
        json.dumps(ANSWERS["DescribeDirectConnectGatewayAssociations"])
    )


RECORDED: dict[str, Callable[..., Any]] = {
    "before-call.ssm.DescribeActivations": _answer(ANSWERS["DescribeActivations"]),
    "before-call.ssm.GetServiceSetting": _setting,
    "before-call.ssm.DescribeInstanceInformation": _answer(
        {"InstanceInformationList": [ANSWERS["HybridNode"]]}
    ),
    "before-call.ssm.ListAssociations": _answer({"Associations": []}),
    "before-call.directconnect.DescribeDirectConnectGateways": _answer(
        ANSWERS["DescribeDirectConnectGateways"]
    ),
    "before-call.directconnect.DescribeDirectConnectGatewayAssociations": _dx_associations,
}


def _network() -> dict[str, str]:
    """A VPC with a virtual private gateway, a static-route VPN and an inbound and an
    outbound Resolver endpoint."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=REGION + az)["Subnet"][
            "SubnetId"
        ]
        for cidr, az in (("10.1.1.0/24", "a"), ("10.1.2.0/24", "b"))
    ]
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.1", BgpAsn=65000)
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    vpn = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
        VpnGatewayId=vgw,
        Options={"StaticRoutesOnly": True},
    )["VpnConnection"]["VpnConnectionId"]
    sg = ec2.create_security_group(GroupName="dns", Description="dns", VpcId=vpc)["GroupId"]
    resolver = boto3.client("route53resolver", region_name=REGION)
    ids = {}
    for direction in ("INBOUND", "OUTBOUND"):
        ids[direction] = resolver.create_resolver_endpoint(
            CreatorRequestId=direction,
            Name=direction.lower(),  # moto sorts a listing of two by name: None fails
            SecurityGroupIds=[sg],
            Direction=direction,
            IpAddresses=[{"SubnetId": s} for s in subnets],
        )["ResolverEndpoint"]["Id"]
    return {"vpc": vpc, "vgw": vgw, "vpn": vpn, **ids}


def _file(result: Any, service: str, operation: str, region: str = REGION) -> Any:
    raw = result.raw.files[OperationKey(ACCOUNT, region, service, operation)]
    assert isinstance(raw, RawOk), raw
    return json.loads(raw.body)


@pytest.mark.usefixtures("moto")
def test_the_hybrid_reads_are_collected_and_read_back() -> None:
    made = _network()
    result = collect_snapshot([REGION], session_factory=session_factory(RECORDED))
    assert "directconnect:DescribeDirectConnectGatewayAssociations" not in result.stats.failed

    # The VPN's secrets never reach the snapshot.
    [vpn] = _file(result, "ec2", "DescribeVpnConnections")["VpnConnections"]
    assert vpn["VpnConnectionId"] == made["vpn"]
    assert "CustomerGatewayConfiguration" not in vpn
    assert "pre_shared_key" not in json.dumps(_file(result, "ec2", "DescribeVpnConnections"))
    # Only the inbound endpoint's addresses are read (one call).
    calls = _file(result, "route53resolver", "ListResolverEndpointIpAddresses")
    assert [c["Request"] for c in calls] == [{"ResolverEndpointId": made["INBOUND"]}]

    estate = parse_snapshot(result.raw)
    hybrid = estate.regions[(ACCOUNT, REGION)].hybrid
    assert set(hybrid.vpn_connections) == {made["vpn"]}
    assert hybrid.vpn_gateways[made["vgw"]].attached_vpcs == (made["vpc"],)
    [inbound] = hybrid.inbound_resolvers(made["vpc"])
    assert inbound.endpoint.id == made["INBOUND"] and len(inbound.ips) == 2
    outbound = hybrid.resolver_endpoints[made["OUTBOUND"]]
    assert (
        isinstance(outbound.addresses, Gap)
        and "inbound endpoints only" in outbound.addresses.detail
    )
    assert hybrid.activation_tier == "standard"
    assert hybrid.activations["9a1b2c3d-0000-4111-8222-333344445555"].expired
    [node] = hybrid.nodes.values()
    assert (node.node_id, node.address, node.iam_role) == (
        "mi-0123456789abcdef0",
        "10.200.4.20",
        "SSMServiceRole",
    )
    [dx] = estate.accounts[ACCOUNT].direct_connect_gateways.values()
    assert not isinstance(dx.associations, Gap)
    [association] = dx.associations
    assert association.associated_gateway is not None
    assert association.associated_gateway.type == "transitGateway"
    assert [p.cidr for p in association.allowed_prefixes_to_direct_connect_gateway] == [
        "10.0.0.0/16"
    ]
    assert OperationKey(ACCOUNT, GLOBAL, "directconnect", "DescribeDirectConnectGateways") in (
        result.raw.files
    )


@pytest.mark.usefixtures("moto")
@pytest.mark.parametrize(
    ("event", "operation"),
    [
        ("before-call.ssm.DescribeActivations", "DescribeActivations"),
        ("before-call.ec2.DescribeVpnConnections", "DescribeVpnConnections"),
        ("before-call.ec2.DescribeVpnGateways", "DescribeVpnGateways"),
        ("before-call.route53resolver.ListResolverEndpoints", "ListResolverEndpoints"),
    ],
)
def test_a_denied_hybrid_read_is_a_gap(event: str, operation: str) -> None:
    _network()
    handlers = {**RECORDED, event: error_answer("AccessDeniedException", "not allowed", 400)}
    result = collect_snapshot([REGION], session_factory=session_factory(handlers))
    region = parse_snapshot(result.raw).regions[(ACCOUNT, REGION)]
    gap = region.gap(operation)
    assert gap is not None and gap.kind == "denied" and gap.code == "READ_DENIED"


@pytest.mark.usefixtures("moto")
def test_denied_direct_connect_and_activation_tier_are_gaps() -> None:
    handlers = {
        **RECORDED,
        "before-call.directconnect.DescribeDirectConnectGateways": error_answer(
            "DirectConnectClientException", "not authorized", 400
        ),
        "before-call.ssm.GetServiceSetting": error_answer("AccessDeniedException"),
    }
    result = collect_snapshot([REGION], session_factory=session_factory(handlers))
    estate = parse_snapshot(result.raw)
    account = estate.accounts[ACCOUNT]
    assert account.direct_connect_gateways == {}
    assert account.gap("DescribeDirectConnectGateways") is not None
    tier = estate.regions[(ACCOUNT, REGION)].hybrid.activation_tier
    assert isinstance(tier, Gap) and tier.kind == "denied"
    assert tier.request == ACTIVATION_TIER_SETTING
