"""End-to-end: instances in IPv6-only subnets (and IPv4 flows in dual-stack VPCs), one
snapshot per path of `analysis/ipv6_path.py`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from builders import EstateBuilder, nacl_entry, tcp
from scenario import codes, run
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.evidence import merge_probe_evidence
from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.verdict import FeatureResult, Verdict
from ssmreach.probe.document import probe_document

V6 = "2600:1f18:1234:5600::/56"
APP6 = "2600:1f18:1234:5601::/64"


@dataclass
class Ipv6Estate:
    b: EstateBuilder
    vpc: str
    app: str
    ep_a: str
    rtb: str
    app_sg: str
    ep_sg: str
    profile: str


def _estate(*, dns64: bool = False, ep_sg_v6: bool = True) -> Ipv6Estate:
    """A dual-stack VPC: an IPv6-only app subnet and a dual-stack endpoint subnet."""
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16", ipv6_cidr=V6)
    app = b.subnet(vpc, None, "a", ipv6_cidr=APP6, dns64=dns64)
    ep_a = b.subnet(vpc, "10.0.11.0/24", "a", ipv6_cidr="2600:1f18:1234:560b::/64")
    rtb = b.route_table(vpc, [app, ep_a])
    ingress = [tcp(443, cidr="10.0.0.0/16")]
    if ep_sg_v6:
        ingress.append(tcp(443, cidr6=V6))
    ep_sg = b.sg(vpc, "endpoints", ingress=ingress)
    return Ipv6Estate(b, vpc, app, ep_a, rtb, b.sg(vpc, "app"), ep_sg, b.role("ssm-core"))


def _endpoints(e: Ipv6Estate, ip_type: str, records: str | None = None) -> None:
    for svc in ("ssm", "ssmmessages", "ec2messages"):
        e.b.endpoint(e.vpc, svc, [e.ep_a], [e.ep_sg], ip_type=ip_type, dns_record_ip_type=records)


def _node(e: Ipv6Estate, *, imds_ipv6: str = "enabled", agent: str = "3.3.3270.0") -> str:
    return e.b.instance("v6", e.app, [e.app_sg], e.profile, imds_ipv6=imds_ipv6, agent=agent)


def _core(e: Ipv6Estate, iid: str) -> FeatureResult:
    return next(r for r in run(e.b, ("core",)).results if r.instance == iid)


def _nat64(e: Ipv6Estate) -> str:
    """A dual-stack public subnet with a NAT gateway and an internet gateway; the app
    table routes 64:ff9b::/96 to the NAT gateway."""
    nat, _ = e.b.internet_via_nat(e.vpc, e.rtb, "10.0.200.0/24")
    table = e.b.table(e.rtb)
    table["Routes"] = [r for r in table["Routes"] if r.get("DestinationCidrBlock") != "0.0.0.0/0"]
    e.b.add_route(e.rtb, "64:ff9b::/96", nat)
    return nat


def test_a_dualstack_endpoint_with_aaaa_records_is_private() -> None:
    e = _estate()
    _endpoints(e, "dualstack")
    iid = _node(e)
    r = _core(e, iid)
    assert r.verdict is Verdict.PRIVATE, codes(r)


def test_an_ipv4_endpoint_blocks_an_ipv6_only_node() -> None:
    e = _estate()
    _endpoints(e, "ipv4")
    r = _core(e, _node(e))
    assert r.verdict is Verdict.BLOCKED and "ENDPOINT_IPV4_ONLY" in codes(r)


@pytest.mark.parametrize("records", ["ipv4", "service-defined"])
def test_records_without_aaaa_for_the_default_name_block(records: str) -> None:
    e = _estate()
    _endpoints(e, "dualstack", records)
    r = _core(e, _node(e))
    assert r.verdict is Verdict.BLOCKED and "ENDPOINT_DNS_RECORDS_IPV4" in codes(r)


def test_the_endpoint_group_must_admit_the_ipv6_source() -> None:
    e = _estate(ep_sg_v6=False)
    _endpoints(e, "dualstack")
    r = _core(e, _node(e))
    assert r.verdict is Verdict.BLOCKED and "SG_INGRESS_DENIED" in codes(r), codes(r)


def test_an_endpoint_without_ip_address_type_is_unknown() -> None:
    e = _estate()
    _endpoints(e, "dualstack")
    for ep in e.b.endpoints:
        del ep["IpAddressType"]
    r = _core(e, _node(e))
    assert r.verdict is Verdict.UNKNOWN and "DATA_MISSING" in codes(r)


def test_ipv4_endpoint_with_nat64_is_not_guessed() -> None:
    e = _estate(dns64=True)
    _nat64(e)
    _endpoints(e, "ipv4")
    r = _core(e, _node(e))
    assert r.verdict is Verdict.UNKNOWN and "EGRESS_UNMODELED" in codes(r)


def test_nat64_to_the_internet() -> None:
    e = _estate(dns64=True)
    nat = _nat64(e)
    r = _core(e, _node(e))
    assert r.verdict is Verdict.INTERNET, codes(r)
    assert "NAT64_PATH" in codes(r)
    assert any(s.via == nat for s in r.services)


def test_dns64_without_the_nat64_route_has_no_path() -> None:
    e = _estate(dns64=True)
    r = _core(e, _node(e))
    assert r.verdict is Verdict.BLOCKED and "IPV6_ONLY_NO_PATH" in codes(r)


def test_egress_only_gateway_depends_on_the_agent_setting() -> None:
    e = _estate()
    eigw = e.b.eigw(e.vpc)
    e.b.add_route(e.rtb, "::/0", eigw)
    r = _core(e, _node(e))
    assert r.verdict is Verdict.UNKNOWN and "AGENT_DUALSTACK_UNVERIFIED" in codes(r)


def test_egress_only_gateway_with_an_agent_too_old_for_dual_stack_names() -> None:
    e = _estate()
    eigw = e.b.eigw(e.vpc)
    e.b.add_route(e.rtb, "::/0", eigw)
    r = _core(e, _node(e, agent="3.3.1142.0"))
    assert r.verdict is Verdict.BLOCKED and "IPV6_ONLY_NO_PATH" in codes(r)


def test_egress_only_gateway_not_collected_is_unknown() -> None:
    e = _estate()
    e.b.add_route(e.rtb, "::/0", "eigw-0123456789abcdef0")
    r = _core(e, _node(e))
    assert r.verdict is Verdict.UNKNOWN


def test_no_path_at_all() -> None:
    e = _estate()
    r = _core(e, _node(e))
    assert r.verdict is Verdict.BLOCKED and "IPV6_ONLY_NO_PATH" in codes(r)
    assert "SERVICE_NO_IPV6" not in codes(r)  # the snapshot does not say


def test_no_path_and_a_service_without_ipv6() -> None:
    e = _estate()
    e.b.service_ip_types = {"ssm": ["ipv4"], "ec2messages": ["ipv4"], "ssmmessages": ["ipv4"]}
    r = _core(e, _node(e))
    assert r.verdict is Verdict.BLOCKED and "SERVICE_NO_IPV6" in codes(r)


def test_metadata_over_ipv6_off_blocks() -> None:
    e = _estate()
    _endpoints(e, "dualstack")
    r = _core(e, _node(e, imds_ipv6="disabled"))
    assert r.verdict is Verdict.BLOCKED and "IMDS_IPV6_DISABLED" in codes(r)


def test_grouped_equals_single_with_narrow_ipv6_rules() -> None:
    e = _estate(ep_sg_v6=False)
    _endpoints(e, "dualstack")
    first, second = _node(e), _node(e)
    address = next(
        i["Ipv6Address"]
        for r in e.b.reservations
        for i in r["Instances"]
        if i["InstanceId"] == first
    )
    group = next(g for g in e.b.sgs if g["GroupId"] == e.ep_sg)
    group["IpPermissions"].append(tcp(443, cidr6=f"{address}/128"))
    estate = e.b.estate()
    grouped = check_estate(estate, CheckOptions(features=FEATURES))
    single = check_estate(estate, CheckOptions(features=FEATURES, grouped=False))
    assert grouped.results == single.results
    core = {r.instance: r.verdict for r in grouped.results if r.feature == "core"}
    assert core == {first: Verdict.PRIVATE, second: Verdict.BLOCKED}


# -- IPv4 flows in a dual-stack VPC: IPv6 rules and routes never decide them --------------


def _dual_stack_ipv4_node() -> tuple[EstateBuilder, str, str, str]:
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16", ipv6_cidr=V6)
    app = b.subnet(vpc, "10.0.1.0/24", "a", ipv6_cidr=APP6)
    rtb = b.route_table(vpc, [app])
    iid = b.instance("v4", app, [b.sg(vpc, "app")], b.role("ssm-core"))
    return b, vpc, rtb, iid


def test_an_ipv6_default_route_listed_first_does_not_take_ipv4_traffic() -> None:
    b, vpc, rtb, iid = _dual_stack_ipv4_node()
    b.add_route(rtb, "::/0", b.eigw(vpc))
    nat, _ = b.internet_via_nat(vpc, rtb, "10.0.200.0/24")
    r = next(x for x in run(b, ("core",)).results if x.instance == iid)
    assert r.verdict is Verdict.INTERNET, codes(r)
    assert all(s.via == nat for s in r.services)


def test_an_acl_that_allows_only_ipv6_blocks_ipv4_traffic() -> None:
    b, vpc, rtb, iid = _dual_stack_ipv4_node()
    b.internet_via_nat(vpc, rtb, "10.0.200.0/24")
    app = b.reservations[0]["Instances"][0]["SubnetId"]
    b.nacl(
        vpc,
        [app],
        [
            nacl_entry(100, "allow", egress=True, cidr="::/0"),
            nacl_entry(100, "allow", egress=False, cidr="::/0"),
            nacl_entry(200, "allow", egress=False, cidr="10.0.0.0/8"),
        ],
    )
    r = next(x for x in run(b, ("core",)).results if x.instance == iid)
    assert r.verdict is Verdict.BLOCKED, codes(r)


@pytest.mark.parametrize(
    ("seen", "settled"), [("INTERNET", Verdict.INTERNET), ("BLOCKED", Verdict.BLOCKED)]
)
def test_a_probe_settles_the_agent_dual_stack_setting(seen: str, settled: Verdict) -> None:
    e = _estate()
    e.b.add_route(e.rtb, "::/0", e.b.eigw(e.vpc))
    iid = _node(e)
    result = run(e.b, ("core",))
    services = next(r for r in result.results if r.instance == iid).services
    doc = probe_document(
        {
            "format": "ssmreach.probe/1",
            "node": {"instance": iid, "kind": "ec2"},
            "services": [
                {"service": s.service, "host": f"{s.service}.us-east-1.api.aws", "verdict": seen}
                for s in services
            ],
        }
    )
    merged = merge_probe_evidence(result, [doc])
    r = next(x for x in merged.results if x.instance == iid)
    assert r.verdict is settled
    assert "AGENT_DUALSTACK_UNVERIFIED" not in codes(r)


def test_instances_of_an_ipv6_only_subnet_are_each_judged_on_their_own_agent() -> None:
    """The dual-stack hop names the instance and reads its agent: two instances of one
    IPv6-only subnet with different agents get their own results, grouped or not."""
    e = _estate()
    e.b.add_route(e.rtb, "::/0", e.b.eigw(e.vpc))
    new = e.b.instance("new", e.app, [e.app_sg], e.profile, imds_ipv6="enabled", agent="3.3.3270.0")
    old = e.b.instance("old", e.app, [e.app_sg], e.profile, imds_ipv6="enabled", agent="3.3.1142.0")
    estate = e.b.estate()
    grouped = check_estate(estate, CheckOptions(features=("core",)))
    single = check_estate(estate, CheckOptions(features=("core",), grouped=False))
    assert grouped.results == single.results
    for r in grouped.results:
        named = {h.resource for s in r.services for h in s.hops if h.step == "agent"}
        assert named <= {r.instance}
    assert {r.instance: r.verdict.value for r in grouped.results}[old] == "BLOCKED"
    assert new in {r.instance for r in grouped.results}
