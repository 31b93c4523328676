"""Network ACL entries in plans: what is added, its number, and that the path then passes."""

from __future__ import annotations

from builders import nacl_entry
from plan.simulate import after
from scenario import Estate1, one_vpc
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.verdict import Verdict
from ssmreach.model import aws
from ssmreach.model.estate import Estate
from ssmreach.model.raw import RawSnapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.plan import Plan, PlanOptions, decode_plan, encode_plan, make_plan
from ssmreach.plan import changes as c
from ssmreach.plan.nacl_rules import rule_number
from ssmreach.plan.render import render_plan_text

LINUX = (32768, 60999)
OUT_ALL = nacl_entry(100, "allow", egress=True)


def converge(raw: RawSnapshot) -> tuple[Plan, Estate, Plan]:
    plan = make_plan(parse_snapshot(raw), options=PlanOptions())
    estate = after(raw, plan)
    return plan, estate, make_plan(estate, options=PlanOptions())


def entries(plan: Plan) -> list[c.AddNetworkAclEntry]:
    return [ch for ch in plan.changes if isinstance(ch, c.AddNetworkAclEntry)]


def shape(entry: c.AddNetworkAclEntry) -> tuple[bool, str, int, int, int]:
    return (entry.egress, entry.cidr, entry.from_port, entry.to_port, entry.rule_number)


def all_private(estate: Estate) -> bool:
    result = check_estate(estate, CheckOptions(features=PlanOptions().features))
    return {r.verdict for r in result.results} == {Verdict.PRIVATE}


def codes(plan_estate: Estate) -> set[str]:
    result = check_estate(plan_estate, CheckOptions(features=PlanOptions().features))
    return {r.code for res in result.results for r in res.reasons}


def _app_acl(s: Estate1, inbound: list[dict[str, object]]) -> str:
    return s.b.nacl(s.vpc, [s.app], [*inbound, OUT_ALL])


def test_missing_return_ports_get_one_entry_and_the_next_plan_is_empty() -> None:
    s = one_vpc()
    acl = _app_acl(s, [nacl_entry(100, "allow", egress=False, ports=(22, 22))])
    iid = s.b.instance("etl", s.app, [s.app_sg], s.profile)
    assert "NACL_INBOUND_DENIED" in codes(s.b.estate())
    plan, estate, again = converge(s.b.raw())
    (entry,) = entries(plan)
    # S3 through the gateway needs 0.0.0.0/0; the same entry carries the endpoints' replies
    assert entry.network_acl_id == acl
    assert shape(entry) == (False, "0.0.0.0/0", *LINUX, 110)
    assert entry.permissions == ("ec2:CreateNetworkAclEntry",)
    assert entry.summary.startswith(
        f"allow inbound TCP 32768-60999 from 0.0.0.0/0 in {acl} (rule 110)"
    )
    assert {f.code for f in entry.fixes} == {"NACL_INBOUND_DENIED"}
    assert {f.instance for f in entry.fixes} == {iid}
    assert not plan.manual
    assert all_private(estate)
    assert again.empty and not again.manual
    assert decode_plan(encode_plan(plan)) == plan
    assert "allow inbound TCP 32768-60999" in render_plan_text(plan)


def test_endpoint_only_return_path_uses_the_endpoint_subnet_cidr() -> None:
    """Only ssm/ssmmessages checked (no S3): the entry names the endpoint subnet, not 0/0."""
    s = one_vpc()
    acl = _app_acl(s, [nacl_entry(100, "allow", egress=False, ports=(22, 22))])
    s.b.instance("win", s.app, [s.app_sg], s.profile, platform="Windows", platform_name="Windows")
    options = PlanOptions(features=("core",))
    plan = make_plan(s.b.estate(), options=options)
    (entry,) = entries(plan)
    # the endpoint interface in the instance's AZ; Windows ephemeral ports
    assert (entry.network_acl_id, shape(entry)) == (
        acl,
        (False, "10.0.11.0/24", 49152, 65535, 110),
    )
    estate = after(s.b.raw(), plan)
    result = check_estate(estate, CheckOptions(features=("core",)))
    assert {r.verdict for r in result.results} == {Verdict.PRIVATE}
    assert make_plan(estate, options=options).empty


def test_explicit_deny_gets_the_largest_free_number_below_it() -> None:
    s = one_vpc()
    acl = _app_acl(
        s,
        [
            nacl_entry(49, "allow", egress=False, ports=(22, 22)),
            nacl_entry(50, "deny", egress=False, ports=(1024, 65535)),
            nacl_entry(100, "allow", egress=False),
        ],
    )
    s.b.instance("etl", s.app, [s.app_sg], s.profile)
    plan, estate, again = converge(s.b.raw())
    (entry,) = entries(plan)
    assert (entry.network_acl_id, shape(entry)) == (acl, (False, "0.0.0.0/0", *LINUX, 48))
    assert all_private(estate)
    assert again.empty


def test_endpoint_subnet_missing_inbound_443_gets_the_instance_subnets() -> None:
    s = one_vpc()
    acl = s.b.nacl(
        s.vpc,
        [s.ep_a, s.ep_b],
        [nacl_entry(100, "allow", egress=False, ports=(1024, 65535)), OUT_ALL],
    )
    s.b.instance("a", s.app, [s.app_sg], s.profile)
    s.b.instance("b", s.app_b, [s.app_sg], s.profile)
    plan, estate, again = converge(s.b.raw())
    assert [(e.network_acl_id, shape(e)) for e in entries(plan)] == [
        (acl, (False, "10.0.1.0/24", 443, 443, 110)),
        (acl, (False, "10.0.2.0/24", 443, 443, 120)),
    ]
    assert all_private(estate)
    assert again.empty


def test_nat_path_nacl_the_plan_replaces_the_path_and_opens_s3_only() -> None:
    """Behind a NAT gateway, the app subnet takes replies only from the VPC and the NAT
    subnet's ACL denies everything. The plan adds endpoints (in the app subnet: no ACL on
    that path) and the S3 gateway, whose path needs 0.0.0.0/0 in the app subnet's ACL; the
    NAT subnet's ACL is left alone."""
    s = one_vpc(endpoints=False)
    nat, _ = s.b.internet_via_nat(s.vpc, s.rtb, "10.0.100.0/24")
    public = next(n["SubnetId"] for n in s.b.nats if n["NatGatewayId"] == nat)
    nat_acl = s.b.nacl(s.vpc, [public], [])
    acl = _app_acl(s, [nacl_entry(100, "allow", egress=False, cidr="10.0.0.0/16")])
    s.b.instance("etl", s.app, [s.app_sg], s.profile)
    assert "NACL_INBOUND_DENIED" in codes(s.b.estate())
    plan, estate, again = converge(s.b.raw())
    (entry,) = entries(plan)
    assert (entry.network_acl_id, shape(entry)) == (acl, (False, "0.0.0.0/0", *LINUX, 110))
    assert nat_acl not in {e.network_acl_id for e in entries(plan)}
    assert "0.0.0.0/0: S3" in entry.summary
    assert not plan.manual
    assert all_private(estate)
    assert again.empty


def test_a_planned_endpoint_in_another_subnet_gets_its_entry() -> None:
    s = one_vpc(endpoints=False)
    s.b.endpoint(s.vpc, "ssm", [s.ep_a], [s.ep_sg])  # ssmmessages will join it in ep_a
    s.b.s3_gateway(s.vpc, [s.rtb])
    acl = s.b.nacl(
        s.vpc,
        [s.ep_a],
        [
            nacl_entry(100, "allow", egress=False, ports=(443, 443), cidr="10.0.2.0/24"),
            OUT_ALL,
        ],
    )
    iid = s.b.instance("a", s.app, [s.app_sg], s.profile)
    plan, estate, again = converge(s.b.raw())
    assert [type(ch).__name__ for ch in plan.changes] == [
        "CreateInterfaceEndpoint",
        "AddNetworkAclEntry",
    ]
    (entry,) = entries(plan)
    assert (entry.network_acl_id, shape(entry)) == (acl, (False, "10.0.1.0/24", 443, 443, 110))
    assert {f.instance for f in entry.fixes} == {iid}
    assert all_private(estate)
    assert again.empty


def test_no_free_number_below_the_deny_stays_manual() -> None:
    s = one_vpc()
    acl = _app_acl(
        s,
        [
            nacl_entry(1, "deny", egress=False, ports=(1024, 65535)),
            nacl_entry(100, "allow", egress=False),
        ],
    )
    iid = s.b.instance("etl", s.app, [s.app_sg], s.profile)
    plan = make_plan(s.b.estate())
    assert not entries(plan)
    steps = [m for m in plan.manual if m.code == "NACL_INBOUND_DENIED"]
    assert steps and {m.resource for m in steps} == {acl}
    assert all(m.instances == (iid,) for m in steps)
    assert any("no inbound rule number below it is free" in m.message for m in steps)


def test_rule_numbers_never_reuse_a_taken_one() -> None:
    def entry(n: int, egress: bool = False) -> aws.NetworkAclEntry:
        return aws.NetworkAclEntry(rule_number=n, egress=egress, rule_action="allow", protocol="-1")

    assert rule_number([entry(100), entry(110)], False, None) == 120
    assert rule_number([entry(100, egress=True)], False, None) == 100
    assert rule_number([entry(49), entry(48)], False, 50) == 47
    assert rule_number([entry(1)], False, 2) is None
    taken = [entry(n) for n in range(100, 32767, 10)]
    assert rule_number(taken, False, None) == 1


def test_hub_endpoint_subnet_gets_the_spoke_subnet() -> None:
    from builders import EstateBuilder

    b = EstateBuilder()
    hub = b.vpc("10.1.0.0/16")
    hub_a = b.subnet(hub, "10.1.1.0/24", "a")
    hub_rtb = b.route_table(hub, [hub_a])
    spoke = b.vpc("10.2.0.0/16")
    app = b.subnet(spoke, "10.2.1.0/24", "a")
    spoke_rtb = b.route_table(spoke, [app])
    pcx = b.peering(spoke, hub)
    b.add_route(spoke_rtb, "10.1.0.0/16", pcx)
    b.add_route(hub_rtb, "10.2.0.0/16", pcx)
    acl = b.nacl(
        hub, [hub_a], [nacl_entry(100, "allow", egress=False, cidr="10.1.0.0/16"), OUT_ALL]
    )
    b.instance("web", app, [b.sg(spoke, "app")], b.role("ssm-core"))
    options = PlanOptions(hub=hub)
    plan = make_plan(b.estate(), options=options)
    assert [(e.network_acl_id, shape(e)) for e in entries(plan)] == [
        (acl, (False, "10.2.1.0/24", 443, 443, 110))
    ]
    estate = after(b.raw(), plan)
    result = check_estate(estate, CheckOptions(features=options.features))
    assert {r.verdict for r in result.results} == {Verdict.PRIVATE}
    assert make_plan(estate, options=options).empty
