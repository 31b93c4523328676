"""Route targets are parsed once, in the model, into a type; nothing else reads id prefixes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Gap

GATEWAY = aws.VpcEndpoint(
    vpc_endpoint_id="vpce-0gw",
    vpc_endpoint_type="Gateway",
    vpc_id="vpc-1",
    service_name="com.amazonaws.us-east-1.s3",
    state="available",
)
GWLB = aws.VpcEndpoint(
    vpc_endpoint_id="vpce-0lb",
    vpc_endpoint_type="GatewayLoadBalancer",
    vpc_id="vpc-1",
    service_name="com.amazonaws.vpce.us-east-1.vpce-svc-1",
    subnet_ids=("subnet-insp",),
    state="available",
)
FACTS = rt.TargetFacts(
    endpoints={"vpce-0gw": GATEWAY, "vpce-0lb": GWLB},
    endpoints_gap=None,
    nat_gateways={
        "nat-pub": aws.NatGateway(nat_gateway_id="nat-pub", subnet_id="subnet-pub"),
        "nat-priv": aws.NatGateway(
            nat_gateway_id="nat-priv", subnet_id="subnet-priv", connectivity_type="private"
        ),
    },
    network_interfaces={
        "eni-fw": aws.NetworkInterface(
            network_interface_id="eni-fw",
            subnet_id="subnet-fw",
            description="VPC Endpoint Interface vpce-0firewall",
        ),
        "eni-app": aws.NetworkInterface(network_interface_id="eni-app", subnet_id="subnet-app"),
    },
    instance_subnets={"i-0nat": "subnet-natinst"},
)


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (aws.Route(gateway_id="local", state="active"), rt.Local()),
        (aws.Route(gateway_id="igw-1", state="active"), rt.InternetGateway("igw-1")),
        (aws.Route(gateway_id="vgw-1", state="active"), rt.VirtualPrivateGateway("vgw-1")),
        (aws.Route(gateway_id="vpce-0gw", state="active"), rt.GatewayEndpoint("vpce-0gw", GATEWAY)),
        (
            aws.Route(gateway_id="vpce-0lb", state="active"),
            rt.Appliance(
                "vpce-0lb", "gwlb-endpoint", "subnet-insp", "Gateway Load Balancer endpoint"
            ),
        ),
        (
            aws.Route(gateway_id="vpce-0firewall", state="active"),
            rt.Appliance("vpce-0firewall", "firewall-endpoint", "subnet-fw", "firewall endpoint"),
        ),
        (
            aws.Route(gateway_id="vpce-0other", state="active"),
            rt.Appliance("vpce-0other", "firewall-endpoint", None, "firewall endpoint"),
        ),
        (aws.Route(nat_gateway_id="nat-pub", state="active"), rt.NatGateway("nat-pub", "public")),
        (
            aws.Route(nat_gateway_id="nat-priv", state="active"),
            rt.NatGateway("nat-priv", "private"),
        ),
        (aws.Route(nat_gateway_id="nat-gone", state="active"), rt.NatGateway("nat-gone", None)),
        (aws.Route(transit_gateway_id="tgw-1", state="active"), rt.TransitGateway("tgw-1")),
        (aws.Route(vpc_peering_connection_id="pcx-1", state="active"), rt.Peering("pcx-1")),
        (
            aws.Route(network_interface_id="eni-app", instance_id="i-0nat", state="active"),
            rt.Appliance(
                "eni-app", "network-interface", "subnet-app", "network interface (appliance)"
            ),
        ),
        (
            aws.Route(instance_id="i-0nat", state="active"),
            rt.Appliance("i-0nat", "instance", "subnet-natinst", "instance (appliance)"),
        ),
        (
            aws.Route(egress_only_internet_gateway_id="eigw-1", state="active"),
            rt.EgressOnlyInternetGateway("eigw-1"),
        ),
        (
            aws.Route(local_gateway_id="lgw-1", state="active"),
            rt.OtherGateway("lgw-1", "local gateway (Outposts)"),
        ),
        (
            aws.Route(carrier_gateway_id="cagw-1", state="active"),
            rt.OtherGateway("cagw-1", "carrier gateway (Wavelength)"),
        ),
        (
            aws.Route(core_network_arn="arn:aws:networkmanager::1:core-network/c", state="active"),
            rt.OtherGateway("arn:aws:networkmanager::1:core-network/c", "Cloud WAN core network"),
        ),
        (aws.Route(state="active"), rt.UnknownTarget("unknown")),
        (aws.Route(gateway_id="xyz-1", state="active"), rt.UnknownTarget("xyz-1")),
    ],
)
def test_each_target_field_parses_to_its_type(route: aws.Route, expected: rt.RouteTarget) -> None:
    assert rt.parse_route_target(route, FACTS) == expected


def test_a_vpce_target_is_unknown_when_the_endpoints_were_not_read() -> None:
    gap = Gap("1", "us-east-1", "ec2", "DescribeVpcEndpoints", "denied")
    facts = rt.TargetFacts({}, gap, {}, {}, {})
    got = rt.parse_route_target(aws.Route(gateway_id="vpce-0x", state="active"), facts)
    assert got == rt.UnknownTarget("vpce-0x", gap, "VPC endpoint")


def test_blackhole_state_wins_over_the_target() -> None:
    from ssmreach.model.estate import RegionData

    region = RegionData("1", "us-east-1", route_targets={"igw-1": rt.InternetGateway("igw-1")})
    assert region.target_of(aws.Route(gateway_id="igw-1", state="active")) == rt.InternetGateway(
        "igw-1"
    )
    assert region.target_of(aws.Route(gateway_id="igw-1", state="blackhole")) == rt.Blackhole(
        "igw-1"
    )


SRC = Path(__file__).resolve().parents[2] / "src" / "ssmreach"
# Prefixes of resource ids whose kind decides a verdict or a change.
_ID_PREFIX = re.compile(r"^(vpce|igw|eigw|nat|pcx|tgw|eni|vgw|lgw|cagw|i|mi)-$")


def _prefix_reads(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "startswith"
        ):
            for arg in node.args:
                values = arg.elts if isinstance(arg, ast.Tuple) else [arg]
                if any(
                    isinstance(v, ast.Constant)
                    and isinstance(v.value, str)
                    and _ID_PREFIX.match(v.value)
                    for v in values
                ):
                    lines.append(node.lineno)
    return lines


def test_no_code_outside_the_model_reads_a_kind_off_an_id_prefix() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("model", "demo"):
            continue  # the model parses kinds; the demo builds ids
        offenders += [f"{rel}:{line}" for line in _prefix_reads(ast.parse(path.read_text()))]
    assert not offenders, "id prefixes read outside the model: " + ", ".join(offenders)


def test_the_meta_test_sees_a_prefix_read() -> None:
    assert _prefix_reads(ast.parse('x.startswith("vpce-")\ny.startswith(("pcx-", "tgw-"))')) == [
        1,
        2,
    ]
