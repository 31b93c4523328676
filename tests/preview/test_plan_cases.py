"""Real Terraform plans (recorded by scripts/record_terraform_plans.py) laid over the example
snapshots: one case per planned resource type, each checked like any estate."""

from __future__ import annotations

import pytest

from paths import EXAMPLES, ROOT
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.analysis.verdict import CheckResult
from ssmreach.model.raw import read_raw_snapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.preview.overlay import Overlay, overlay_plan
from ssmreach.preview.plan_document import read_plan

PLANS = ROOT / "tests" / "data" / "terraform"

Verdicts = dict[tuple[str, str], str]


def _overlay(case: str, snapshot: str | None) -> Overlay:
    raw = read_raw_snapshot(EXAMPLES / snapshot) if snapshot else None
    return overlay_plan(read_plan(PLANS / case / "plan.json"), raw)


def _check(overlay: Overlay) -> CheckResult:
    return check_estate(parse_snapshot(overlay.raw), CheckOptions(features=DEFAULT_FEATURES))


def _verdicts(result: CheckResult) -> Verdicts:
    names = {r.instance: r.name for r in result.results}
    return {(names[r.instance] or r.instance, r.feature): r.verdict.value for r in result.results}


def _all(name: str, verdict: str) -> Verdicts:
    return {(name, f): verdict for f in DEFAULT_FEATURES}


def test_every_case_has_a_recorded_plan() -> None:
    cases = [p for p in PLANS.iterdir() if (p / "main.tf").is_file()]
    assert cases
    for case in cases:
        assert (case / "plan.json").is_file(), f"run scripts/record_terraform_plans.py {case.name}"


def test_interface_endpoints_from_a_module_serve_the_message_channels() -> None:
    """aws_security_group + aws_vpc_endpoint (for_each, in a module; the group's id known
    only after apply, followed through the module input)."""
    verdicts = _verdicts(_check(_overlay("endpoints-module", "partly-private")))
    assert verdicts[("web", "run-command")] == "PRIVATE"
    assert verdicts[("web", "session-manager")] == "PRIVATE"
    assert verdicts[("web", "patch-manager")] == "INTERNET"  # S3 still through the NAT gateway


def test_the_full_fix_makes_every_feature_private() -> None:
    """aws_vpc_endpoint Gateway + aws_vpc_endpoint_route_table_association: the prefix-list
    route AWS adds to the table is drawn."""
    overlay = _overlay("full-fix", "partly-private")
    assert _verdicts(_check(overlay)) == _all("web", "PRIVATE")
    estate = parse_snapshot(overlay.raw)
    table = estate.regions[("111122223333", "us-east-1")].route_tables["rtb-0dfeb02a3226550eb"]
    assert any(r.destination_prefix_list_id == "pl-63a5400a" for r in table.routes)


def test_a_network_acl_rule_denying_https_blocks_everything() -> None:
    result = _check(_overlay("nacl-deny", "partly-private"))
    assert _verdicts(result) == _all("web", "BLOCKED")
    assert all("NACL_OUTBOUND_DENIED" in {x.code for x in r.reasons} for r in result.results)


def test_a_private_zone_aliased_to_the_endpoint_answers_for_the_service() -> None:
    """aws_route53_zone (vpc block) + aws_route53_record alias to `dns_entry[0].dns_name`."""
    verdicts = _verdicts(_check(_overlay("hub-zone", "partly-private")))
    assert verdicts[("web", "session-manager")] == "PRIVATE"


def test_adopting_the_default_security_group_replaces_its_rules() -> None:
    """aws_default_security_group: every rule not written is removed, HTTPS is admitted."""
    before = _verdicts(
        check_estate(
            parse_snapshot(read_raw_snapshot(EXAMPLES / "default-sg-trap")),
            CheckOptions(features=DEFAULT_FEATURES),
        )
    )
    assert before[("web", "core")] == "BLOCKED"
    after = _verdicts(_check(_overlay("default-sg", "default-sg-trap")))
    assert after == {**_all("web", "PRIVATE"), **_all("ops", "PRIVATE")}


def test_a_new_vpc_brings_the_resources_aws_creates_with_it() -> None:
    """aws_vpc, aws_subnet, aws_route_table(+association), aws_security_group with
    aws_vpc_security_group_egress_rule and aws_security_group_rule, endpoints, aws_instance."""
    overlay = _overlay("new-vpc", "partly-private")
    estate = parse_snapshot(overlay.raw)
    region = estate.regions[("111122223333", "us-east-1")]
    planned_vpc = next(v for v in region.vpcs.values() if v.cidr_block == "10.20.0.0/16")
    assert planned_vpc.vpc_id.startswith("vpc-plan")
    defaults = [
        g
        for g in region.security_groups.values()
        if g.vpc_id == planned_vpc.vpc_id and g.group_name == "default"
    ]
    assert len(defaults) == 1
    acls = [a for a in region.network_acls.values() if a.vpc_id == planned_vpc.vpc_id]
    assert [a.is_default for a in acls] == [True]
    worker = next(i for i in region.instances if any(t.value == "worker" for t in i.tags))
    assert worker.instance_id.startswith("i-plan")
    endpoint_sg = next(
        g
        for g in region.security_groups.values()
        if g.group_name == "endpoints" and g.vpc_id == planned_vpc.vpc_id
    )
    assert [p.user_id_group_pairs[0].group_id for p in endpoint_sg.ip_permissions] == [
        g.group_id for g in region.security_groups.values() if g.group_name == "instance"
    ]
    # The planned instance's placeholders are named, and it is checked:
    assert any(address == "aws_instance.worker" for _, address in overlay.placeholders)
    worker_results = [r for r in _check(overlay).results if r.instance == worker.instance_id]
    assert {r.verdict.value for r in worker_results} == {"PRIVATE"}  # the subnet is its address


def test_the_plan_alone_decides_nothing_it_cannot_know() -> None:
    """Without a snapshot, IAM, the service catalogue and the agent are unknown."""
    result = _check(_overlay("new-vpc", None))
    assert result.results
    assert {r.verdict.value for r in result.results} == {"UNKNOWN"}


@pytest.mark.parametrize(
    "case", sorted(p.name for p in PLANS.iterdir() if (p / "plan.json").is_file())
)
def test_the_same_plan_gives_the_same_ids(case: str) -> None:
    snapshot = "default-sg-trap" if case == "default-sg" else "partly-private"
    assert _overlay(case, snapshot).placeholders == _overlay(case, snapshot).placeholders


def test_standalone_associations_policies_acls_and_routes_are_laid_over() -> None:
    """aws_vpc_endpoint_{subnet,security_group}_association, aws_vpc_endpoint_policy,
    aws_vpc_security_group_ingress_rule, aws_network_acl(+association), aws_route."""
    overlay = _overlay("associations", "partly-private")
    region = parse_snapshot(overlay.raw).regions[("111122223333", "us-east-1")]
    endpoint = next(e for e in region.endpoints.values() if e.service_name.endswith("ssmmessages"))
    assert endpoint.vpc_endpoint_id.startswith("vpce-plan")
    assert set(endpoint.subnet_ids) == {"subnet-0b0ea3510ca08b762", "subnet-076c3e412257b75ea"}
    assert [g.group_id for g in endpoint.groups] == ["sg-070e3c8f814f601d7"]  # default replaced
    assert endpoint.policy_document and '"Principal":"*"' in endpoint.policy_document
    acl = next(a for a in region.network_acls.values() if a.network_acl_id.startswith("acl-plan"))
    assert [x.subnet_id for x in acl.associations] == ["subnet-0db5458934dc7da41"]
    assert {(e.rule_number, e.egress) for e in acl.entries} == {
        (100, True),
        (100, False),
        (32767, True),
        (32767, False),
    }
    table = region.route_tables["rtb-0dfeb02a3226550eb"]
    assert any(r.destination_cidr_block == "10.99.0.0/16" for r in table.routes)
    verdicts = _verdicts(_check(overlay))
    assert verdicts[("web", "session-manager")] == "PRIVATE"
