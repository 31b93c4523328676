"""The per-kind guards: every plan the planner makes passes; a change beyond a fix does not."""

from __future__ import annotations

from typing import TypedDict

import msgspec
import pytest

from builders import nacl_entry
from paths import EXAMPLES
from scenario import one_vpc
from ssmreach.model.estate import Estate
from ssmreach.model.reader import load_snapshot
from ssmreach.plan import Plan, PlanOptions, make_plan
from ssmreach.plan import changes as c
from ssmreach.plan.guards import problems


class _Where(TypedDict):
    account: str
    region: str


def _plan_without_endpoints() -> tuple[Plan, Estate]:
    e = one_vpc(endpoints=False)
    e.b.nacl(
        e.vpc,
        [e.app],
        [
            nacl_entry(100, "allow", egress=True),
            nacl_entry(100, "allow", egress=False, ports=(22, 22)),
        ],
    )
    e.b.instance("web", e.app, [e.app_sg], e.profile)
    estate = e.b.estate()
    return make_plan(estate, options=PlanOptions()), estate


@pytest.mark.parametrize("name", ["default-sg-trap", "partly-private"])
def test_the_planner_s_plans_pass_the_guards(name: str) -> None:
    estate = load_snapshot(EXAMPLES / name)
    plan = make_plan(estate)
    assert plan.changes and list(problems(plan, estate)) == []


def test_a_plan_with_acl_entries_passes_the_guards() -> None:
    plan, estate = _plan_without_endpoints()
    assert any(isinstance(x, c.AddNetworkAclEntry) for x in plan.changes)
    assert list(problems(plan, estate)) == []


def _with(plan: Plan, change: c.Change) -> Plan:
    return msgspec.structs.replace(plan, changes=(*plan.changes, change))


def test_changes_beyond_a_fix_are_named() -> None:
    plan, estate = _plan_without_endpoints()
    vpc = plan.vpcs[0].vpc_id
    where: _Where = {"account": plan.vpcs[0].account, "region": plan.vpcs[0].region}
    group = next(x for x in plan.changes if isinstance(x, c.AuthorizeIngress)).group_id
    forged: list[tuple[c.Change, str]] = [
        (
            c.AuthorizeIngress(
                id="ssh", vpc_id=vpc, group_id=group, port=22, cidrs=("10.0.1.0/24",), **where
            ),
            "port 22",
        ),
        (
            c.AuthorizeIngress(
                id="world", vpc_id=vpc, group_id=group, cidrs=("0.0.0.0/0",), **where
            ),
            "0.0.0.0/0",
        ),
        (
            c.SetVpcAttribute(
                id="off", vpc_id=vpc, attribute="enableDnsSupport", value=False, **where
            ),
            "off",
        ),
        (
            c.ModifyEndpointPrivateDns(
                id="dns", vpc_id=vpc, endpoint_id="vpce-1", service="ssm", enabled=False, **where
            ),
            "off",
        ),
        (
            c.SetVpcAttribute(
                id="other", vpc_id="vpc-elsewhere", attribute="enableDnsSupport", **where
            ),
            "outside the plan's VPCs",
        ),
        (
            c.AddNetworkAclEntry(
                id="acl",
                vpc_id=vpc,
                network_acl_id="acl-1",
                rule_number=1,
                egress=False,
                cidr="10.0.1.0/24",
                from_port=22,
                to_port=22,
                **where,
            ),
            "neither 443 nor the return range",
        ),
        (
            c.CreateRoute(
                id="rt",
                vpc_id=vpc,
                route_table_id="rtb-1",
                destination_cidr="0.0.0.0/0",
                target="pcx-1",
                **where,
            ),
            "outside",
        ),
        (
            c.CreatePrivateHostedZone(
                id="zone",
                zone_name="ssm.us-east-1.amazonaws.com",
                service="com.amazonaws.us-east-1.ssm",
                endpoint_id="vpce-1",
                vpc_ids=(vpc, "vpc-elsewhere"),
                **where,
            ),
            "associates vpc-elsewhere, outside the plan's VPCs",
        ),
    ]
    for change, expected in forged:
        found = list(problems(_with(plan, change), estate))
        assert any(change.id in p and expected in p for p in found), (change.id, found)
