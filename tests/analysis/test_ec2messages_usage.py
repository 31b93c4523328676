"""End-to-end: an ec2messages endpoint no node needs is information, with its monthly cost."""

from __future__ import annotations

from builders import EstateBuilder, tcp
from scenario import one_vpc, run
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.verdict import Severity
from ssmreach.report.json_report import check_document


def _unused(builder: EstateBuilder) -> list[str]:
    result = run(builder)
    return [
        r.resource or "" for r in result.estate_findings if r.code == "EC2MESSAGES_ENDPOINT_UNUSED"
    ]


def test_an_endpoint_only_new_agents_can_reach_is_reported_with_its_cost() -> None:
    e = one_vpc(endpoints=False)
    endpoints = e.b.private_endpoints(e.vpc, [e.ep_a, e.ep_b], [e.ep_sg], [e.rtb])
    e.b.instance("web", e.app, [e.app_sg], e.profile, agent="3.3.1142.0")
    result = run(e.b)
    [finding] = result.estate_findings
    assert finding.resource == endpoints["ec2messages"]
    assert finding.severity is Severity.INFO
    assert "USD a month in 2 Availability Zone(s)" in finding.message
    assert finding.fix and "never deletes" in finding.fix
    assert check_document(result)["estate_findings"][0]["code"] == "EC2MESSAGES_ENDPOINT_UNUSED"


def test_an_old_or_unlisted_agent_needs_it() -> None:
    for agent in ("3.2.2086.0", None):
        e = one_vpc()
        e.b.instance("web", e.app, [e.app_sg], e.profile, agent=agent)
        assert _unused(e.b) == [], agent


def test_a_hub_endpoint_used_by_a_spoke_with_an_old_agent_is_not_reported() -> None:
    e = one_vpc(endpoints=False)
    spoke = e.b.vpc("10.1.0.0/16")
    spoke_subnet = e.b.subnet(spoke, "10.1.1.0/24", "a")
    e.b.route_table(spoke, [spoke_subnet])
    spoke_sg = e.b.sg(spoke, "app")
    e.b.hub_endpoints(
        e.vpc,
        [e.ep_a, e.ep_b],
        [e.b.sg(e.vpc, "ep", ingress=[tcp(443, cidr="10.0.0.0/8")])],
        [spoke],
    )
    e.b.instance("old", spoke_subnet, [spoke_sg], e.profile, agent="3.1.1004.0")
    e.b.instance("new", e.app, [e.app_sg], e.profile, agent="3.3.1142.0")
    assert _unused(e.b) == []


def test_not_judged_when_only_some_instances_are_checked() -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    result = check_estate(e.b.estate(), CheckOptions(instances=(iid,)))
    assert result.estate_findings == ()
