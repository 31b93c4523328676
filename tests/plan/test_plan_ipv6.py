"""Plans for instances in IPv6-only subnets: endpoints of the IP address type that serves
them, IPv6 rules, and what stays with a person; carried out, the check agrees."""

from __future__ import annotations

import json
import re

from analysis.test_ipv6 import Ipv6Estate, _estate, _node
from builders import EstateBuilder
from plan.simulate import after
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.verdict import Verdict
from ssmreach.export.cloudformation import template_for
from ssmreach.export.terraform import render_terraform
from ssmreach.plan import Plan, PlanOptions, make_plan
from ssmreach.plan import changes as c

CORE = PlanOptions(features=("core", "run-command"))


def _plan(e: Ipv6Estate) -> Plan:
    return make_plan(e.b.estate(), options=CORE)


def _endpoints(plan: Plan) -> list[c.CreateInterfaceEndpoint]:
    return [ch for ch in plan.changes if isinstance(ch, c.CreateInterfaceEndpoint)]


def test_new_endpoints_are_dualstack_and_the_group_admits_the_ipv6_subnet() -> None:
    e = _estate()
    iid = _node(e)
    plan = _plan(e)
    endpoints = _endpoints(plan)
    assert {ch.service for ch in endpoints} == {"ssm", "ssmmessages"}
    assert {(ch.ip_address_type, ch.dns_record_ip_type) for ch in endpoints} == {
        ("dualstack", "dualstack")
    }
    assert all(ch.subnet_ids == (e.ep_a,) for ch in endpoints)  # the dual-stack subnet
    ingress = [ch for ch in plan.changes if isinstance(ch, c.AuthorizeIngress)]
    assert [ch.cidrs for ch in ingress] == [("2600:1f18:1234:5601::/64",)]
    estate = after(e.b.raw(), plan)
    result = check_estate(estate, CheckOptions(features=("core", "run-command")))
    assert {r.verdict for r in result.results if r.instance == iid} == {Verdict.PRIVATE}


def test_ipv4_instances_keep_the_default_address_type() -> None:
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16", ipv6_cidr="2600:1f18:1234:5600::/56")
    app = b.subnet(vpc, "10.0.1.0/24", ipv6_cidr="2600:1f18:1234:5601::/64")
    b.route_table(vpc, [app])
    b.instance("v4", app, [b.sg(vpc, "app")], b.role("r"))
    plan = make_plan(b.estate(), options=CORE)
    assert {ch.ip_address_type for ch in _endpoints(plan)} == {None}


def test_a_service_without_ipv6_is_a_manual_step() -> None:
    e = _estate()
    e.b.service_ip_types = {"ssm": ["ipv4"], "ssmmessages": ["ipv4", "ipv6"]}
    iid = _node(e)
    plan = _plan(e)
    by_service = {ch.service: ch.ip_address_type for ch in _endpoints(plan)}
    assert by_service == {"ssmmessages": "dualstack"}  # an IPv4 ssm endpoint serves no one
    steps = [s for s in plan.manual if s.code == "SERVICE_NO_IPV6"]
    assert len(steps) == 1 and iid in steps[0].instances


def test_endpoint_subnets_without_ipv6_are_a_manual_step() -> None:
    e = _estate()
    endpoint_subnet = next(s for s in e.b.subnets if s["SubnetId"] == e.ep_a)
    del endpoint_subnet["Ipv6CidrBlockAssociationSet"]
    # the app subnet is IPv6-only and alone in its AZ with the endpoint subnet: the only
    # dual-stack choice is gone, so the IPv6-only one and the IPv4 one mix or none fits
    _node(e)
    plan = _plan(e)
    assert any(s.code == "ENDPOINT_IPV4_ONLY" for s in plan.manual) or {
        ch.ip_address_type for ch in _endpoints(plan)
    } == {"ipv6"}


def test_s3_for_ipv6_only_instances_is_not_claimed_by_a_gateway_endpoint() -> None:
    e = _estate()
    iid = _node(e)
    plan = make_plan(e.b.estate(), options=PlanOptions(features=("agent-update",)))
    assert not [ch for ch in plan.changes if isinstance(ch, c.CreateGatewayEndpoint)]
    steps = [s for s in plan.manual if s.code == "IPV6_ONLY_NO_PATH"]
    assert steps and iid in steps[0].instances and "S3 interface endpoint" in steps[0].message


def test_exports_carry_the_address_types_and_ipv6_rules() -> None:
    e = _estate()
    _node(e)
    plan = _plan(e)
    main = render_terraform(plan)["main.tf"]
    assert re.search(r'ip_address_type\s+= "dualstack"', main)
    assert re.search(r'dns_options \{\s+dns_record_ip_type = "dualstack"', main)
    assert "cidr_ipv6" in main
    template = json.loads(json.dumps(template_for(plan)))
    props = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
    ]
    assert all(p["IpAddressType"] == "dualstack" for p in props)
    assert all(p["DnsOptions"] == {"DnsRecordIpType": "dualstack"} for p in props)
    rules = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress"
    ]
    assert [r.get("CidrIpv6") for r in rules] == ["2600:1f18:1234:5601::/64"]
