"""End-to-end: routes to inspection appliances and other typed targets (never a false PRIVATE)."""

from __future__ import annotations

from builders import EstateBuilder, tcp
from scenario import codes, one_vpc, result_for, run
from ssmreach.analysis.verdict import FeatureResult, Reason, Verdict


def _reason(result: FeatureResult, code: str) -> Reason:
    return next(r for r in result.reasons if r.code == code)


def _inspected_internet(
    firewall: bool, *, onward_subnet: bool = True
) -> tuple[EstateBuilder, str, str]:
    """No interface endpoints; 0.0.0.0/0 goes to an inspection endpoint, then a NAT gateway."""
    e = one_vpc(endpoints=False)
    inspection = e.b.subnet(e.vpc, "10.0.50.0/24", "a")
    _nat, _ = e.b.internet_via_nat(e.vpc, e.b.route_table(e.vpc, [inspection]), "10.0.100.0/24")
    if firewall:
        appliance = e.b.firewall_endpoint(e.vpc, inspection if onward_subnet else None)
    else:
        appliance = e.b.gwlb_endpoint(e.vpc, inspection)
    e.b.add_route(e.rtb, "0.0.0.0/0", appliance)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    return e.b, iid, appliance


def test_default_route_to_a_gateway_load_balancer_endpoint_is_unknown_not_private() -> None:
    b, iid, gwlb = _inspected_internet(firewall=False)
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    found = _reason(r, "EGRESS_UNMODELED")
    assert found.resource == gwlb
    assert "Gateway Load Balancer endpoint" in found.message
    # The onward path from the endpoint's subnet is named: its route table sends it to the NAT.
    assert "NAT gateway" in found.message
    hops = r.services[0].hops
    assert [h.step for h in hops][:3] == ["dns", "route", "appliance"]


def test_default_route_to_a_firewall_endpoint_is_unknown_and_names_the_onward_path() -> None:
    b, iid, fw = _inspected_internet(firewall=True)
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    found = _reason(r, "EGRESS_UNMODELED")
    assert found.resource == fw
    assert "firewall endpoint" in found.message
    assert "NAT gateway" in found.message


def test_firewall_endpoint_without_a_known_subnet_is_unknown() -> None:
    b, iid, _fw = _inspected_internet(firewall=True, onward_subnet=False)
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    assert "onward path is unknown" in _reason(r, "EGRESS_UNMODELED").message


def test_s3_through_an_inspection_default_route_is_not_private() -> None:
    """The gateway endpoint path needs the prefix-list route; a default route to a vpce- is
    not it, whatever the id looks like."""
    b, iid, _ = _inspected_internet(firewall=False)
    for feature in ("agent-update", "patch-manager"):
        assert result_for(b, iid, feature).verdict is Verdict.UNKNOWN


def test_vpce_target_with_endpoints_not_collected_is_unknown_naming_the_read() -> None:
    b, iid, _ = _inspected_internet(firewall=False)
    b.omitted.add("DescribeVpcEndpoints")
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    assert any(
        "DescribeVpcEndpoints" in x.message for x in r.reasons if x.code == "DATA_MISSING"
    ), r.reasons


def test_a_default_route_to_an_s3_gateway_endpoint_is_not_the_gateway_path() -> None:
    """A gateway endpoint only carries its service's prefix list (a route AWS would not
    create; a hand-edited or third-party snapshot may hold it)."""
    e = one_vpc(endpoints=False)
    gateway = e.b.s3_gateway(e.vpc, [])
    e.b.add_route(e.rtb, "0.0.0.0/0", gateway)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is not Verdict.PRIVATE
    assert r.verdict is Verdict.UNKNOWN
    assert "EGRESS_UNMODELED" in codes(r)


def test_nat_gateway_whose_subnet_routes_through_a_firewall_is_unknown_not_blocked() -> None:
    """NAT gateway first, then AWS Network Firewall, then the internet gateway."""
    e = one_vpc(endpoints=False)
    public = e.b.subnet(e.vpc, "10.0.100.0/24", "a")
    fw_subnet = e.b.subnet(e.vpc, "10.0.60.0/24", "a")
    fw = e.b.firewall_endpoint(e.vpc, fw_subnet)
    e.b.route_table(e.vpc, [public], [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": fw}])
    igw = e.b.igw(e.vpc)
    e.b.route_table(e.vpc, [fw_subnet], [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw}])
    nat = e.b.nat(public)
    e.b.add_route(e.rtb, "0.0.0.0/0", nat)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    assert "NAT_NO_INTERNET" not in codes(r)
    assert _reason(r, "EGRESS_UNMODELED").resource == fw


def test_spoke_route_to_the_hub_through_an_inspection_endpoint_is_unknown_not_no_route() -> None:
    b = EstateBuilder()
    hub = b.vpc("10.1.0.0/16")
    hub_sn = b.subnet(hub, "10.1.1.0/24", "a")
    b.route_table(hub, [hub_sn])
    hub_sg = b.sg(hub, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/8")])
    spoke = b.vpc("10.2.0.0/16")
    app = b.subnet(spoke, "10.2.1.0/24", "a")
    inspection = b.subnet(spoke, "10.2.9.0/24", "a")
    spoke_rtb = b.route_table(spoke, [app])
    tgw, _, _ = b.transit_gateway({hub: "10.1.0.0/16", spoke: "10.2.0.0/16"})
    b.route_table(
        spoke, [inspection], [{"DestinationCidrBlock": "10.1.0.0/16", "TransitGatewayId": tgw}]
    )
    fw = b.firewall_endpoint(spoke, inspection)
    b.add_route(spoke_rtb, "10.1.0.0/16", fw)
    b.hub_endpoints(hub, [hub_sn], [hub_sg], [spoke])
    iid = b.instance("spoke-app", app, [b.sg(spoke, "app")], b.role("ssm-core"))
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    assert "NO_ROUTE" not in codes(r)
    found = _reason(r, "EGRESS_UNMODELED")
    assert found.resource == fw
    assert tgw in found.message


def test_route_to_an_appliance_interface_names_the_interface() -> None:
    e = one_vpc(endpoints=False)
    appliance_subnet = e.b.subnet(e.vpc, "10.0.70.0/24", "a")
    eni = e.b.gwlb_endpoint(e.vpc, appliance_subnet)  # for an interface in that subnet
    eni_id = next(x["NetworkInterfaceId"] for x in e.b.enis if x["SubnetId"] == appliance_subnet)
    e.b.endpoints = [x for x in e.b.endpoints if x["VpcEndpointId"] != eni]
    e.b.add_route(e.rtb, "0.0.0.0/0", eni_id)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    found = _reason(r, "EGRESS_UNMODELED")
    assert found.resource == eni_id
    assert appliance_subnet in found.message


def test_whole_estate_has_no_private_result_through_an_appliance() -> None:
    b, _, _ = _inspected_internet(firewall=False)
    assert all(r.verdict is not Verdict.PRIVATE for r in run(b).results)
