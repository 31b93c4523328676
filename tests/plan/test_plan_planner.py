"""The planner: the smallest set of changes, their order, what they fix, and that they work."""

from __future__ import annotations

import json
from typing import TypeVar, Unpack

import msgspec
import pytest

from builders import EstateBuilder, InstanceOptions, tcp
from paths import EXAMPLES
from plan.simulate import after
from scenario import one_vpc
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import DEFAULT_FEATURES, FEATURES
from ssmreach.analysis.verdict import Verdict
from ssmreach.model.estate import Estate
from ssmreach.model.raw import RawSnapshot, read_raw_snapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.plan import Plan, PlanOptions, decode_plan, encode_plan, make_plan
from ssmreach.plan import changes as c
from ssmreach.plan.render import render_plan_text


def kinds(plan: Plan) -> list[str]:
    return [type(ch).__name__ for ch in plan.changes]


K = TypeVar("K")


def of(plan: Plan, kind: type[K]) -> list[K]:
    return [ch for ch in plan.changes if isinstance(ch, kind)]


def verdicts(
    estate: Estate, features: tuple[str, ...] = DEFAULT_FEATURES
) -> dict[tuple[str, str], Verdict]:
    result = check_estate(estate, CheckOptions(features=features))
    return {(r.instance, r.feature): r.verdict for r in result.results}


def converge(raw: RawSnapshot, options: PlanOptions) -> tuple[Plan, Estate, Plan]:
    """Plan, carry the plan out on the raw snapshot, and plan again on the result."""
    plan = make_plan(parse_snapshot(raw), options=options)
    estate = after(raw, plan)
    return plan, estate, make_plan(estate, options=options)


# --- the example snapshots (their README.md say what the plan proposes) ---------------------


def test_default_sg_trap_gets_one_endpoint_group_on_the_three_endpoints() -> None:
    raw = read_raw_snapshot(EXAMPLES / "default-sg-trap")
    plan, estate, again = converge(raw, PlanOptions())
    assert kinds(plan) == [
        "CreateSecurityGroup",
        "AuthorizeIngress",
        "ModifyEndpointSecurityGroups",
        "ModifyEndpointSecurityGroups",
        "ModifyEndpointSecurityGroups",
    ]
    services = sorted(ch.service for ch in of(plan, c.ModifyEndpointSecurityGroups))
    assert services == ["ec2messages", "ssm", "ssmmessages"]
    ingress = of(plan, c.AuthorizeIngress)[0]
    assert ingress.cidrs == ("10.0.1.0/24", "10.0.2.0/24")
    assert plan.monthly_cost == 0
    assert not plan.manual
    assert set(verdicts(estate).values()) == {Verdict.PRIVATE}
    assert again.empty and not again.manual


def test_partly_private_gets_ssmmessages_and_the_s3_gateway() -> None:
    raw = read_raw_snapshot(EXAMPLES / "partly-private")
    plan, estate, again = converge(raw, PlanOptions())
    assert kinds(plan) == ["CreateInterfaceEndpoint", "CreateGatewayEndpoint"]
    endpoint = of(plan, c.CreateInterfaceEndpoint)[0]
    assert isinstance(endpoint, c.CreateInterfaceEndpoint)
    assert endpoint.service == "ssmmessages" and endpoint.private_dns
    # the subnet that already hosts the ssm endpoint, in the instance's AZ only
    assert endpoint.subnet_ids == ("subnet-0b0ea3510ca08b762",)
    assert endpoint.availability_zones == ("us-east-1a",)
    # the existing endpoint group already admits the instance: reused, not duplicated
    assert endpoint.security_group_ids == ("sg-070e3c8f814f601d7",)
    assert endpoint.monthly_cost == pytest.approx(7.30)
    gateway = of(plan, c.CreateGatewayEndpoint)[0]
    assert gateway.route_table_ids == ("rtb-0dfeb02a3226550eb",)
    assert {f.code for f in endpoint.fixes} == {"ENDPOINT_MISSING"}
    assert {f.feature for f in gateway.fixes} == {"agent-update", "patch-manager"}
    assert plan.monthly_cost == pytest.approx(7.30)
    assert set(
        verdicts(
            estate, ("core", "run-command", "session-manager", "patch-manager", "agent-update")
        ).values()
    ) == {Verdict.PRIVATE}
    assert again.empty


# --- channel rules ---------------------------------------------------------------------------


def _no_endpoints(**kw: Unpack[InstanceOptions]) -> tuple[EstateBuilder, str]:
    s = one_vpc(endpoints=False)
    iid = s.b.instance("web", s.app, [s.app_sg], s.profile, **kw)
    return s.b, iid


def test_new_agents_get_ssm_and_ssmmessages_only() -> None:
    b, _ = _no_endpoints()
    plan, estate, again = converge(b.raw(), PlanOptions(features=FEATURES))
    created = sorted(ch.service for ch in of(plan, c.CreateInterfaceEndpoint))
    assert created == ["ec2", "logs", "ssm", "ssmmessages"]
    # vss-snapshot and cloudwatch-logs stay blocked by the role (not a network change)
    result = check_estate(estate, CheckOptions(features=FEATURES))
    left = {x.code for r in result.results if r.verdict is not Verdict.PRIVATE for x in r.reasons}
    assert left == {"IAM_ACTION_DENIED"}
    assert {r.feature for r in result.results if r.verdict is not Verdict.PRIVATE} == {
        "vss-snapshot",
        "cloudwatch-logs",
    }
    # the role is only reached once the network path works: the next plan names it
    assert again.empty and {m.code for m in again.manual} == {"IAM_ACTION_DENIED"}


def test_old_agent_gets_ec2messages() -> None:
    b, _ = _no_endpoints(agent="3.0.1124.0")
    plan = make_plan(b.estate())
    created = {ch.service for ch in of(plan, c.CreateInterfaceEndpoint)}
    assert created == {"ssm", "ec2messages"}


def test_ec2messages_is_not_planned_where_the_region_lacks_it() -> None:
    b, _ = _no_endpoints(agent="3.3.1142.0")
    b.services.remove("ec2messages")
    plan = make_plan(b.estate())
    assert "ec2messages" not in {ch.service for ch in of(plan, c.CreateInterfaceEndpoint)}


def test_legacy_windows_gets_ec2messages() -> None:
    b, _ = _no_endpoints(
        platform="Windows",
        platform_name="Microsoft Windows Server 2012 R2 Datacenter",
        platform_version="6.3.9600",
    )
    plan = make_plan(b.estate(), options=PlanOptions(features=("core", "run-command")))
    assert {ch.service for ch in of(plan, c.CreateInterfaceEndpoint)} == {"ssm", "ec2messages"}


# --- reuse, never replace -----------------------------------------------------------------------


def test_private_dns_off_is_modified_not_recreated() -> None:
    s = one_vpc(endpoints=False)
    b = s.b
    b.endpoint(s.vpc, "ssm", [s.ep_a, s.ep_b], [s.ep_sg], private_dns=False)
    b.endpoint(s.vpc, "ssmmessages", [s.ep_a, s.ep_b], [s.ep_sg])
    b.s3_gateway(s.vpc, [s.rtb])
    b.instance("web", s.app, [s.app_sg], s.profile)
    plan, estate, again = converge(b.raw(), PlanOptions())
    assert kinds(plan) == ["ModifyEndpointPrivateDns"]
    assert set(verdicts(estate, ("core", "run-command")).values()) == {Verdict.PRIVATE}
    assert again.empty


def test_gateway_not_on_the_instance_table_is_associated() -> None:
    s = one_vpc(endpoints=False)
    b = s.b
    other = b.route_table(s.vpc, [])
    b.endpoint(s.vpc, "ssm", [s.ep_a], [s.ep_sg])
    b.endpoint(s.vpc, "ssmmessages", [s.ep_a], [s.ep_sg])
    b.s3_gateway(s.vpc, [other])
    b.instance("web", s.app, [s.app_sg], s.profile)
    plan, estate, again = converge(b.raw(), PlanOptions())
    assert kinds(plan) == ["AssociateGatewayRouteTables"]
    assert of(plan, c.AssociateGatewayRouteTables)[0].route_table_ids == (s.rtb,)
    assert set(verdicts(estate, ("patch-manager", "agent-update")).values()) == {Verdict.PRIVATE}
    assert again.empty


def test_restrictive_endpoint_policy_gets_a_statement_added() -> None:
    s = one_vpc(endpoints=False)
    b = s.b
    deny_all_but = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "ssm:GetParameter", "Resource": "*"}
        ]
    }
    ssm = b.endpoint(s.vpc, "ssm", [s.ep_a], [s.ep_sg], policy=deny_all_but)
    b.endpoint(s.vpc, "ssmmessages", [s.ep_a], [s.ep_sg])
    b.s3_gateway(s.vpc, [s.rtb])
    b.instance("web", s.app, [s.app_sg], s.profile)
    plan, estate, again = converge(b.raw(), PlanOptions(features=("core",)))
    (change,) = plan.changes
    assert isinstance(change, c.SetEndpointPolicy) and change.endpoint_id == ssm
    statements = json.loads(change.policy)["Statement"]
    assert statements[0]["Action"] == "ssm:GetParameter"  # kept
    assert "ssm:UpdateInstanceInformation" in statements[-1]["Action"]
    assert set(verdicts(estate, ("core",)).values()) == {Verdict.PRIVATE}
    assert again.empty


def test_restricted_egress_gets_rules_to_the_endpoint_group_and_the_s3_prefix_list() -> None:
    s = one_vpc(endpoints=False)
    b = s.b
    locked = b.sg(s.vpc, "locked", egress=[tcp(5432, cidr="10.0.0.0/16")])
    b.instance("db", s.app, [locked], s.profile)
    plan, estate, again = converge(b.raw(), PlanOptions())
    egress = of(plan, c.AuthorizeEgress)
    assert {(e.group_id, e.prefix_list_ids) for e in egress} == {
        (locked, ()),
        (locked, (b.s3_pl,)),
    }
    to_group = next(e for e in egress if not e.prefix_list_ids)
    assert to_group.destination_group_ids == (f"${{security-group/{s.vpc}/endpoints}}",)
    assert set(verdicts(estate, ("core", "run-command", "patch-manager")).values()) == {
        Verdict.PRIVATE
    }
    assert again.empty


def test_vpc_dns_attributes_are_turned_on_first() -> None:
    s = one_vpc(dns_support=False, dns_hostnames=False)
    s.b.instance("web", s.app, [s.app_sg], s.profile)
    plan, estate, again = converge(s.b.raw(), PlanOptions())
    assert kinds(plan)[:2] == ["SetVpcAttribute", "SetVpcAttribute"]
    assert set(verdicts(estate).values()) >= {Verdict.PRIVATE}
    assert set(verdicts(estate, ("core", "run-command")).values()) == {Verdict.PRIVATE}
    assert again.empty


def test_azs_the_service_does_not_offer_are_skipped() -> None:
    s = one_vpc(endpoints=False)
    b = s.b
    app_c = b.subnet(s.vpc, "10.0.3.0/24", "c")
    b.instance("a", s.app, [s.app_sg], s.profile)
    b.instance("c", app_c, [s.app_sg], s.profile)
    b.services.remove("ssm")
    estate = b.estate()
    region = estate.regions[(b.account, b.region)]
    detail = region.endpoint_services["com.amazonaws.us-east-1.ssmmessages"]
    assert "us-east-1c" in detail.availability_zones
    b.services.append("ssm")
    raw = b.raw()
    # make the ssm service offered in a and b only
    plan = make_plan(parse_snapshot(_only_azs(raw, "ssm", ["us-east-1a", "us-east-1b"])))
    ssm = next(ch for ch in of(plan, c.CreateInterfaceEndpoint) if ch.service == "ssm")
    assert ssm.availability_zones == ("us-east-1a",)
    assert ssm.subnet_ids == (s.app,)  # no subnet hosts endpoints: one with instances
    other = next(ch for ch in of(plan, c.CreateInterfaceEndpoint) if ch.service == "ssmmessages")
    assert other.availability_zones == ("us-east-1a", "us-east-1c")
    assert any(m.code == "ENDPOINT_OTHER_AZ" for m in plan.manual)


def _only_azs(raw: RawSnapshot, service: str, azs: list[str]) -> RawSnapshot:
    from ssmreach.model.raw import RawOk

    files = dict(raw.files)
    for key, value in raw.files.items():
        if key.operation == "DescribeVpcEndpointServices" and isinstance(value, RawOk):
            body = json.loads(value.body)
            for detail in body["ServiceDetails"]:
                if detail["ServiceName"].endswith("." + service):
                    detail["AvailabilityZones"] = azs
            files[key] = RawOk(json.dumps(body).encode())
    return RawSnapshot(manifest=raw.manifest, files=files, source=raw.source)


def test_endpoint_subnets_prefer_subnets_that_host_endpoints() -> None:
    s = one_vpc(endpoints=False)
    b = s.b
    b.endpoint(s.vpc, "ssm", [s.ep_b], [s.ep_sg])
    b.instance("b", s.app_b, [s.app_sg], s.profile)
    plan = make_plan(b.estate(), options=PlanOptions(features=("run-command",)))
    (endpoint,) = of(plan, c.CreateInterfaceEndpoint)
    assert endpoint.subnet_ids == (s.ep_b,)


# --- what a plan does not fix ----------------------------------------------------------------


def test_identity_and_imds_are_manual_steps() -> None:
    s = one_vpc()
    b = s.b
    bare = b.role("bare", managed=[])
    b.instance("noprofile", s.app, [s.app_sg], None)
    b.instance("denied", s.app, [s.app_sg], bare)
    b.instance("noimds", s.app, [s.app_sg], s.profile, imds="disabled")
    plan = make_plan(b.estate())
    codes = {m.code for m in plan.manual}
    assert {"NO_INSTANCE_PROFILE", "IAM_ACTION_DENIED", "IMDS_DISABLED"} <= codes
    assert plan.empty  # the endpoints exist; nothing here is a network change
    assert all(m.message and m.instances for m in plan.manual)


def test_custom_dns_is_a_manual_step() -> None:
    s = one_vpc(dhcp_servers=["10.0.0.53"])
    s.b.instance("web", s.app, [s.app_sg], s.profile)
    plan = make_plan(s.b.estate())
    assert plan.empty
    assert {m.code for m in plan.manual} == {"CUSTOM_DNS_UNVERIFIED"}


def test_forward_rule_is_manual() -> None:
    s = one_vpc()
    s.b.resolver_rule("amazonaws.com", "FORWARD", [s.vpc])
    s.b.instance("web", s.app, [s.app_sg], s.profile)
    plan = make_plan(s.b.estate())
    assert plan.empty
    assert {m.code for m in plan.manual} == {"DNS_FORWARDED"}


# --- hub and spoke ------------------------------------------------------------------------------


def _hub_and_spoke(routes: bool) -> tuple[EstateBuilder, str, str, str, str, str]:
    b = EstateBuilder()
    hub = b.vpc("10.1.0.0/16")
    hub_a = b.subnet(hub, "10.1.1.0/24", "a")
    hub_rtb = b.route_table(hub, [hub_a])
    spoke = b.vpc("10.2.0.0/16")
    app = b.subnet(spoke, "10.2.1.0/24", "a")
    spoke_rtb = b.route_table(spoke, [app])
    pcx = b.peering(spoke, hub)
    if routes:
        b.add_route(spoke_rtb, "10.1.0.0/16", pcx)
    sg = b.sg(spoke, "app")
    profile = b.role("ssm-core")
    b.instance("web", app, [sg], profile)
    return b, hub, spoke, hub_rtb, spoke_rtb, pcx


def test_hub_plan_endpoints_without_private_dns_zones_and_routes_both_ways() -> None:
    b, hub, spoke, hub_rtb, _spoke_rtb, pcx = _hub_and_spoke(routes=True)
    options = PlanOptions(features=("core", "run-command", "session-manager"), hub=hub)
    plan, estate, again = converge(b.raw(), options)
    assert plan.design == "hub" and plan.hub_vpc == hub
    endpoints = of(plan, c.CreateInterfaceEndpoint)
    assert {e.service for e in endpoints} == {"ssm", "ssmmessages"}
    assert all(e.vpc_id == hub and not e.private_dns for e in endpoints)
    zones = of(plan, c.CreatePrivateHostedZone)
    assert {z.zone_name for z in zones} == {
        "ssm.us-east-1.amazonaws.com",
        "ssmmessages.us-east-1.amazonaws.com",
    }
    assert all(z.vpc_ids == (spoke,) for z in zones)
    routes = of(plan, c.CreateRoute)
    # the spoke already routes to the hub; the return route is missing
    assert [(r.route_table_id, r.destination_cidr, r.target) for r in routes] == [
        (hub_rtb, "10.2.0.0/16", pcx)
    ]
    ingress = of(plan, c.AuthorizeIngress)[0]
    assert ingress.cidrs == ("10.2.1.0/24",)
    assert plan.monthly_cost == pytest.approx(2 * 7.30 + 2 * 0.50)
    assert set(verdicts(estate, ("core", "run-command", "session-manager")).values()) == {
        Verdict.PRIVATE
    }
    assert again.empty
    text = render_plan_text(plan)
    assert "hub and spoke" in text and hub in text and spoke in text


def test_hub_without_a_connection_is_a_manual_step() -> None:
    b = EstateBuilder()
    hub = b.vpc("10.1.0.0/16")
    b.subnet(hub, "10.1.1.0/24", "a")
    spoke = b.vpc("10.2.0.0/16")
    app = b.subnet(spoke, "10.2.1.0/24", "a")
    b.instance("web", app, [b.sg(spoke, "app")], b.role("r"))
    plan = make_plan(b.estate(), options=PlanOptions(features=("core",), hub=hub))
    assert any(m.code == "NO_ROUTE" for m in plan.manual)
    assert not of(plan, c.CreateRoute)


def test_unknown_hub_is_a_usage_error() -> None:
    from ssmreach.errors import UsageError

    s = one_vpc()
    s.b.instance("web", s.app, [s.app_sg], s.profile)
    with pytest.raises(UsageError):
        make_plan(s.b.estate(), options=PlanOptions(hub="vpc-nope"))


# --- the plan object ---------------------------------------------------------------------------


def test_plan_round_trips_through_json_and_orders_dependencies() -> None:
    s = one_vpc(endpoints=False)
    s.b.instance("db", s.app, [s.b.sg(s.vpc, "locked", egress=[])], s.profile)
    plan = make_plan(s.b.estate())
    again = decode_plan(encode_plan(plan))
    assert again == plan
    seen: set[str] = set()
    for change in plan.changes:
        assert set(change.depends_on) <= seen, change.id
        assert set(change.references()) <= set(change.depends_on)
        seen.add(change.id)
        assert change.permissions and change.summary
    assert len({ch.id for ch in plan.changes}) == len(plan.changes)
    data = json.loads(encode_plan(plan))
    assert data["format"] == "ssmreach-plan/1" and data["fingerprint"].startswith("sha256:")
    assert {ch["type"] for ch in data["changes"]} <= {t.__name__ for t in c.CHANGE_TYPES}


def test_no_change_kind_deletes_or_replaces() -> None:
    for kind in c.CHANGE_TYPES:
        assert not kind.__name__.startswith(
            ("Delete", "Remove", "Replace", "Revoke", "Disassociate")
        )
        fields = set(kind.__struct_fields__)
        assert not {f for f in fields if f.startswith(("remove", "delete"))}


def test_bad_plan_files_are_one_line_errors() -> None:
    from ssmreach.plan import PlanFormatError

    with pytest.raises(PlanFormatError, match="not JSON"):
        decode_plan(b"{")
    with pytest.raises(PlanFormatError, match="not an ssmreach plan"):
        decode_plan(b'{"format": "x"}')
    with pytest.raises(PlanFormatError):
        decode_plan(json.dumps({"format": "ssmreach-plan/1", "id": 3}).encode())


def test_fingerprint_follows_the_scope_only() -> None:
    s = one_vpc(endpoints=False)
    s.b.instance("web", s.app, [s.app_sg], s.profile)
    first = make_plan(s.b.estate())
    assert make_plan(s.b.estate()).fingerprint == first.fingerprint
    other = s.b.vpc("10.9.0.0/16")  # another VPC: outside the plan's scope
    s.b.sg(other, "elsewhere")
    assert make_plan(s.b.estate()).fingerprint == first.fingerprint
    s.b.sg(s.vpc, "new-in-scope")
    assert make_plan(s.b.estate()).fingerprint != first.fingerprint


def test_text_groups_by_vpc_with_costs() -> None:
    raw = read_raw_snapshot(EXAMPLES / "partly-private")
    plan = make_plan(parse_snapshot(raw))
    text = render_plan_text(plan)
    assert "vpc-0348961dbf0c8c606" in text
    assert "Total: $7.30/month" in text
    assert "fixes ENDPOINT_MISSING" in text
    assert "ec2:CreateVpcEndpoint" in text
    assert msgspec.json.decode(encode_plan(plan))["monthly_cost"] == pytest.approx(7.3)


def test_nodes_relying_on_ec2messages_get_one_manual_agent_update_step() -> None:
    e = one_vpc()
    old = [
        e.b.instance(f"old-{n}", e.app, [e.app_sg], e.profile, agent="3.2.582.0") for n in range(2)
    ]
    e.b.instance("new", e.app, [e.app_sg], e.profile)
    plan = make_plan(e.b.estate())
    steps = [m for m in plan.manual if m.code == "EC2MESSAGES_RETIRED"]
    assert len(steps) == 1
    assert sorted(steps[0].instances) == sorted(old)
    assert "3.3.40.0" in (steps[0].fix or "")
    assert "out of band" in steps[0].message
