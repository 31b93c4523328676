"""Hybrid nodes parsed once into a type; VPN records checked; the VPN secrets dropped."""

from __future__ import annotations

import json

import msgspec
import pytest

from ssmreach.collect.calls import without_vpn_secrets
from ssmreach.model import aws
from ssmreach.model import hybrid as hy
from ssmreach.model.validate import first_problem


def _info(**fields: object) -> aws.InstanceInformation:
    return msgspec.json.decode(json.dumps(fields), type=aws.InstanceInformation)


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"InstanceId": "mi-0123456789abcdef0", "ResourceType": "ManagedInstance"}, "hybrid"),
        ({"InstanceId": "i-0123456789abcdef0", "ResourceType": "EC2Instance"}, "ec2"),
        # the type says so, whatever the id looks like
        ({"InstanceId": "i-0123456789abcdef0", "ResourceType": "ManagedInstance"}, "hybrid"),
        # no ResourceType (a hand-made snapshot): the documented mi- id pattern
        ({"InstanceId": "mi-0123456789abcdef0"}, "hybrid"),
        ({"InstanceId": "mi-123"}, "ec2"),
        ({"InstanceId": "i-0123456789abcdef0"}, "ec2"),
    ],
)
def test_node_kind_comes_from_the_resource_type(record: dict[str, str], kind: str) -> None:
    assert hy.node_kind(_info(**record)) == kind


def test_hybrid_nodes_keep_only_hybrid_records_with_their_facts() -> None:
    records = {
        "i-0123456789abcdef0": _info(InstanceId="i-0123456789abcdef0", ResourceType="EC2Instance"),
        "mi-0123456789abcdef0": _info(
            InstanceId="mi-0123456789abcdef0",
            ResourceType="ManagedInstance",
            IPAddress="10.200.4.20",
            IamRole="SSMServiceRole",
            ActivationId="a-1",
            PlatformType="Windows",
            ComputerName="db.corp",
            SourceType="Microsoft.Compute/virtualMachines",
        ),
    }
    [node] = hy.hybrid_nodes(records).values()
    assert node == hy.HybridNode(
        node_id="mi-0123456789abcdef0",
        address="10.200.4.20",
        activation_id="a-1",
        iam_role="SSMServiceRole",
        ping_status=None,
        agent_version=None,
        platform_type="Windows",
        platform_name=None,
        source_type="Microsoft.Compute/virtualMachines",
        name="db.corp",
    )


def _vpns(doc: object) -> hy.DescribeVpnConnections:
    return msgspec.json.decode(json.dumps(doc), type=hy.DescribeVpnConnections)


def test_vpn_static_cidrs_and_tunnel_state() -> None:
    [vpn] = _vpns(
        {
            "VpnConnections": [
                {
                    "VpnConnectionId": "vpn-1",
                    "Routes": [
                        {"DestinationCidrBlock": "10.200.0.0/16", "State": "available"},
                        {"DestinationCidrBlock": "10.201.0.0/16", "State": "deleted"},
                    ],
                    "VgwTelemetry": [{"Status": "DOWN"}, {"Status": "DOWN"}],
                }
            ]
        }
    ).vpn_connections
    assert vpn.static_cidrs == ("10.200.0.0/16",)
    assert vpn.tunnels_down


def test_a_vpn_route_that_is_no_cidr_is_a_problem() -> None:
    doc = _vpns(
        {
            "VpnConnections": [
                {"VpnConnectionId": "vpn-1", "Routes": [{"DestinationCidrBlock": "10.2"}]}
            ]
        }
    )
    problem = first_problem(doc)
    assert problem is not None and "vpn-1" in problem and "prefix length" in problem


def test_an_empty_object_is_not_an_empty_list() -> None:
    with pytest.raises(msgspec.ValidationError):
        _vpns({})


def test_the_vpn_secrets_are_dropped_and_the_rest_kept() -> None:
    answer = {
        "VpnConnections": [
            {
                "VpnConnectionId": "vpn-1",
                "CustomerGatewayConfiguration": "<pre_shared_key>secret</pre_shared_key>",
                "Options": {
                    "StaticRoutesOnly": True,
                    "TunnelOptions": [{"OutsideIpAddress": "52.0.0.1", "PreSharedKey": "secret"}],
                },
            }
        ]
    }
    kept = without_vpn_secrets(answer)
    assert "secret" not in json.dumps(kept)
    [vpn] = kept["VpnConnections"]
    assert vpn["Options"] == {
        "StaticRoutesOnly": True,
        "TunnelOptions": [{"OutsideIpAddress": "52.0.0.1"}],
    }
