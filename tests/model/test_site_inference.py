"""Sites inferred from AWS data: VPN static routes, propagated VPC routes to a virtual
private gateway, transit gateway routes to VPN and Direct Connect attachments."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

import msgspec

from builders import EstateBuilder
from ssmreach.model.estate import Estate
from ssmreach.model.raw import OperationKey, RawOk
from ssmreach.model.reader import parse_snapshot
from ssmreach.model.site_inference import infer_site, infer_sites
from ssmreach.model.sites import Site, SiteEntry, SiteFound, site_of

VPN = "vpn-0aaaaaaaaaaaaaaa1"
TGW_VPN = "vpn-0bbbbbbbbbbbbbbb2"
VGW = "vgw-0ccccccccccccccc3"
DX_VGW = "vgw-0ddddddddddddddd4"
DX = "5f294f92-bafb-4011-916d-9b0b00000001"


def _estate(b: EstateBuilder, extra: dict[tuple[str, str, str], Any]) -> Estate:
    raw = b.raw()
    files = dict(raw.files)
    for (where, service, op), body in extra.items():
        region = b.region if where == "region" else "global"
        files[OperationKey(b.account, region, service, op)] = RawOk(msgspec.json.encode(body))
    return parse_snapshot(dataclasses.replace(raw, files=files))


def _hybrid_estate() -> Estate:
    b = EstateBuilder()
    vpc = b.vpc("10.1.0.0/16")
    sn = b.subnet(vpc, "10.1.1.0/24", "a")
    rtb = b.route_table(vpc, [sn])
    b.add_route(rtb, "10.200.0.0/16", VGW)  # static, to the VPN's gateway
    b.table(rtb)["Routes"].append(
        {
            "DestinationCidrBlock": "10.201.0.0/16",
            "GatewayId": VGW,
            "State": "active",
            "Origin": "EnableVgwRoutePropagation",
        }
    )
    b.table(rtb)["Routes"].append(
        {
            "DestinationCidrBlock": "172.16.0.0/12",
            "GatewayId": DX_VGW,
            "State": "active",
            "Origin": "EnableVgwRoutePropagation",
        }
    )
    tgw, table, _ = b.transit_gateway({vpc: "10.1.0.0/16"})
    for att, kind, resource, cidr in (
        ("tgw-attach-0eeeeeeeeeeeeeee5", "vpn", TGW_VPN, "192.168.0.0/16"),
        ("tgw-attach-0fffffffffffffff6", "direct-connect-gateway", DX, "10.50.0.0/16"),
    ):
        b.tgw_attachments.append(
            {
                "TransitGatewayAttachmentId": att,
                "TransitGatewayId": tgw,
                "ResourceType": kind,
                "ResourceId": resource,
                "State": "available",
            }
        )
        b.tgw_routes[table].append(
            {
                "DestinationCidrBlock": cidr,
                "Type": "propagated",
                "State": "active",
                "TransitGatewayAttachments": [
                    {
                        "ResourceId": resource,
                        "TransitGatewayAttachmentId": att,
                        "ResourceType": kind,
                    }
                ],
            }
        )
    vpns = {
        "VpnConnections": [
            {
                "VpnConnectionId": VPN,
                "VpnGatewayId": VGW,
                "State": "available",
                "Options": {"StaticRoutesOnly": True},
                "Routes": [{"DestinationCidrBlock": "10.200.0.0/16", "State": "available"}],
                "Tags": [{"Key": "Name", "Value": "dc-frankfurt"}],
            },
            {
                "VpnConnectionId": TGW_VPN,
                "TransitGatewayId": tgw,
                "State": "available",
                "Options": {"RemoteIpv4NetworkCidr": "0.0.0.0/0"},
                "Routes": [],
            },
        ]
    }
    vgws = {
        "VpnGateways": [
            {
                "VpnGatewayId": g,
                "State": "available",
                "VpcAttachments": [{"VpcId": vpc, "State": "attached"}],
            }
            for g in (VGW, DX_VGW)
        ]
    }
    dx = {
        "directConnectGateways": [
            {"directConnectGatewayId": DX, "directConnectGatewayState": "available"}
        ]
    }
    associations = [
        {
            "Request": {"directConnectGatewayId": DX},
            "Response": {
                "directConnectGatewayAssociations": [
                    {
                        "directConnectGatewayId": DX,
                        "associationState": "associated",
                        "associatedGateway": {"id": DX_VGW, "type": "virtualPrivateGateway"},
                        # what AWS advertises to the site: never a site CIDR
                        "allowedPrefixesToDirectConnectGateway": [{"cidr": "10.1.0.0/16"}],
                    }
                ]
            },
        }
    ]
    return _estate(
        b,
        {
            ("region", "ec2", "DescribeVpnConnections"): vpns,
            ("region", "ec2", "DescribeVpnGateways"): vgws,
            ("global", "directconnect", "DescribeDirectConnectGateways"): dx,
            ("global", "directconnect", "DescribeDirectConnectGatewayAssociations"): associations,
        },
    )


def _cidrs(site: Site) -> set[str]:
    return {str(c) for c in site.cidrs}


def test_one_site_per_way_in_each_with_its_cidrs_and_evidence() -> None:
    sites = infer_sites(_hybrid_estate())
    assert sites.inferred and sites.source is None
    by_name = {s.name: s for s in sites.sites}
    assert set(by_name) == {"dc-frankfurt", TGW_VPN, DX_VGW, "tgw-attach-0fffffffffffffff6"}
    assert all(s.inferred and s.account == "111122223333" for s in sites.sites)

    # the static-route VPN takes its gateway's static and propagated routes too
    fra = by_name["dc-frankfurt"]
    assert _cidrs(fra) == {"10.200.0.0/16", "10.201.0.0/16"}
    assert fra.via == (SiteEntry("vpn", VPN), SiteEntry("vgw", VGW))
    assert any("propagated route 10.201.0.0/16" in e for e in fra.evidence)
    # a VPN on a transit gateway: its BGP routes there (0.0.0.0/0 is no site CIDR)
    tgw_vpn = by_name[TGW_VPN]
    assert _cidrs(tgw_vpn) == {"192.168.0.0/16"}
    assert SiteEntry("tgw_attachment", "tgw-attach-0eeeeeeeeeeeeeee5") in tgw_vpn.via
    # a gateway with Direct Connect: its propagated routes, not the allowed prefixes
    dx_vgw = by_name[DX_VGW]
    assert _cidrs(dx_vgw) == {"172.16.0.0/12"}
    assert dx_vgw.via == (SiteEntry("vgw", DX_VGW), SiteEntry("dx_gateway", DX))
    dx_tgw = by_name["tgw-attach-0fffffffffffffff6"]
    assert _cidrs(dx_tgw) == {"10.50.0.0/16"} and SiteEntry("dx_gateway", DX) in dx_tgw.via
    assert sites.notes == ()

    found = site_of(sites, "10.201.3.4")
    assert isinstance(found, SiteFound) and found.site is fra


def test_a_declared_site_with_infer_takes_the_cidrs_of_its_entries() -> None:
    declared = Site(
        "colo",
        (ipaddress.ip_network("10.99.0.0/16"),),
        via=(SiteEntry("dx_gateway", DX),),
        infer=True,
    )
    done = infer_site(_hybrid_estate(), declared)
    assert _cidrs(done) == {"10.99.0.0/16", "172.16.0.0/12", "10.50.0.0/16"}
    assert not done.inferred and done.evidence
    assert infer_site(
        _hybrid_estate(), dataclasses.replace(declared, infer=False)
    ) == dataclasses.replace(declared, infer=False)


def test_a_missing_read_is_a_note_not_a_silent_no_site() -> None:
    b = EstateBuilder()
    b.vpc("10.1.0.0/16")
    sites = infer_sites(b.estate())  # no DescribeVpnConnections file at all
    assert sites.sites == ()
    assert any("ec2:DescribeVpnConnections is not in the snapshot" in n for n in sites.notes)
