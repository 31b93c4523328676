"""End-to-end: endpoints and message channels as AWS runs them."""

from __future__ import annotations

from datetime import date

from builders import EstateBuilder
from scenario import codes, one_vpc, result_for
from ssmreach.analysis.retirement import Assumption
from ssmreach.analysis.verdict import FeatureResult, Reason, Severity, Verdict


def test_interface_endpoint_without_subnets_is_blocked_naming_it() -> None:
    e = one_vpc(endpoints=False)
    ssm = e.b.endpoint(e.vpc, "ssm", [], [e.ep_sg])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED
    found = next(x for x in r.reasons if x.code == "ENDPOINT_NO_SUBNETS")
    assert found.resource == ssm
    assert found.severity is Severity.ERROR
    assert "subnet" in (found.fix or "")
    assert "DATA_MISSING" not in codes(r)


def test_old_agent_in_a_region_without_ec2messages_is_blocked_for_run_command() -> None:
    e = one_vpc()
    e.b.services.remove("ec2messages")
    old = e.b.instance("old", e.app, [e.app_sg], e.profile, agent="3.0.1124.0")
    new = e.b.instance("new", e.app, [e.app_sg], e.profile)
    for feature in ("run-command", "patch-manager", "agent-update"):
        r = result_for(e.b, old, feature)
        assert r.verdict is Verdict.BLOCKED, feature
        found = next(x for x in r.reasons if x.code == "EC2MESSAGES_NOT_OFFERED")
        assert "3.3.40.0" in (found.fix or "")
        assert result_for(e.b, new, feature).verdict is Verdict.PRIVATE
    assert result_for(e.b, old, "core").verdict is Verdict.PRIVATE
    assert result_for(e.b, old, "session-manager").verdict is Verdict.PRIVATE


def test_nano_server_in_a_region_without_ec2messages_is_blocked() -> None:
    e = one_vpc()
    e.b.services.remove("ec2messages")
    nano = e.b.instance(
        "nano",
        e.app,
        [e.app_sg],
        e.profile,
        platform="Windows",
        platform_name="Microsoft Windows Server 2016 Datacenter Nano Server",
        platform_version="10.0.14393",
    )
    assert result_for(e.b, nano, "run-command").verdict is Verdict.BLOCKED


def _run(
    b: EstateBuilder,
    *,
    as_of: date | None = None,
    assume_ec2messages: Assumption = "auto",
) -> dict[tuple[str, str], FeatureResult]:
    from ssmreach.analysis.engine import CheckOptions, check_estate

    options = CheckOptions(as_of=as_of, assume_ec2messages=assume_ec2messages)
    result = check_estate(b.estate(), options)
    return {(r.instance, r.feature): r for r in result.results}


def _retired(r: FeatureResult) -> list[Reason]:
    return [x for x in r.reasons if x.code == "EC2MESSAGES_RETIRED"]


def test_ec2messages_retirement_is_a_dated_warning_by_default() -> None:
    e = one_vpc()
    old = e.b.instance("old", e.app, [e.app_sg], e.profile, agent="3.2.582.0")
    new = e.b.instance("new", e.app, [e.app_sg], e.profile)
    before = _run(e.b, as_of=date(2026, 6, 1))
    after = _run(e.b, as_of=date(2026, 12, 3))
    for results, words in ((before, "retires on 2026-09-30"), (after, "may no longer serve")):
        r = results[(old, "run-command")]
        assert r.verdict is Verdict.PRIVATE
        (found,) = _retired(r)
        assert found.severity is Severity.WARNING
        assert words in found.message
        assert found.fix is not None and "3.3.40.0" in found.fix
        assert not _retired(results[(new, "run-command")])
        assert not _retired(results[(old, "core")])


def test_assume_retired_blocks_nodes_with_no_other_channel() -> None:
    e = one_vpc()
    ancient = e.b.instance("ancient", e.app, [e.app_sg], e.profile, agent="3.0.1124.0")
    middle = e.b.instance("middle", e.app, [e.app_sg], e.profile, agent="3.2.582.0")
    results = _run(e.b, assume_ec2messages="retired")
    r = results[(ancient, "run-command")]
    assert r.verdict is Verdict.BLOCKED
    assert _retired(r)[0].severity is Severity.ERROR
    # 3.1.821-3.3.39 can use ssmmessages, but whether it moves is not known: UNKNOWN.
    assert results[(middle, "run-command")].verdict is Verdict.UNKNOWN
    assert results[(ancient, "session-manager")].verdict is Verdict.PRIVATE


def test_assume_available_gives_no_retirement_finding() -> None:
    e = one_vpc()
    old = e.b.instance("old", e.app, [e.app_sg], e.profile, agent="3.0.1124.0")
    r = _run(e.b, assume_ec2messages="available")[(old, "run-command")]
    assert r.verdict is Verdict.PRIVATE
    assert not _retired(r)


def test_the_retirement_fact_has_its_source_and_confidence() -> None:
    from ssmreach.analysis.retirement import ec2messages_retirement

    fact = ec2messages_retirement()
    assert fact.date == date(2026, 9, 30)
    assert fact.source.startswith("https://")
    assert "secondary" in fact.confidence


def test_s3_grant_is_asked_for_only_where_s3_goes_through_an_endpoint() -> None:
    e = one_vpc(endpoints=False)
    for svc in ("ssm", "ssmmessages", "ec2messages"):
        e.b.endpoint(e.vpc, svc, [e.ep_a], [e.ep_sg])
    e.b.internet_via_nat(e.vpc, e.rtb, "10.0.100.0/24")
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    over_nat = result_for(e.b, iid, "agent-update")
    assert over_nat.verdict is Verdict.INTERNET
    assert "IAM_S3_GRANT_MISSING" not in codes(over_nat)
    e.b.s3_gateway(e.vpc, [e.rtb])
    through_gateway = result_for(e.b, iid, "agent-update")
    assert through_gateway.verdict is Verdict.PRIVATE
    assert "IAM_S3_GRANT_MISSING" in codes(through_gateway)


def test_without_route_tables_no_finding_presumes_one() -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    e.b.omitted.add("DescribeRouteTables")
    for feature in ("core", "agent-update", "patch-manager"):
        r = result_for(e.b, iid, feature)
        assert r.verdict is Verdict.UNKNOWN
        texts = [x.message + " " + (x.fix or "") for x in r.reasons]
        texts += [x.message + " " + (x.fix or "") for s in r.services for x in s.reasons]
        assert not any("None" in t for t in texts), texts
        assert "GATEWAY_ENDPOINT_NOT_ROUTED" not in codes(r)


def test_data_missing_names_every_read_the_node_lacks() -> None:
    e = one_vpc()
    ghosts = [f"sg-0ghost{n}" for n in range(4)]  # referenced, not in DescribeSecurityGroups
    iid = e.b.instance("web", e.app, ghosts, e.profile)
    e.b.omitted.add("DescribeSubnets")
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    named = [x.message for x in r.reasons if x.code == "DATA_MISSING"]
    assert sum("DescribeSubnets" in m for m in named) == 1, named
    # Every missing group is named (before, only the first three reads were).
    assert all(any(g in m for m in named) for g in ghosts), named


def test_stopped_instances_are_checked_marked_and_counted() -> None:
    from scenario import run
    from ssmreach.report.json_report import check_document
    from ssmreach.report.text_report import render_text

    e = one_vpc()
    iid = e.b.instance("sleeper", e.app, [e.app_sg], e.profile)
    e.b.reservations[-1]["Instances"][0]["State"] = {"Name": "stopped"}
    result = run(e.b)
    mine = [r for r in result.results if r.instance == iid]
    assert mine and all(r.state == "stopped" for r in mine)
    assert next(r for r in mine if r.feature == "core").verdict is Verdict.PRIVATE
    doc = check_document(result)
    assert doc["summary"]["not_running"] == 1
    assert {r["state"] for r in doc["results"]} == {"stopped"}
    text = render_text(result)
    assert "[stopped]" in text and "1 not running" in text
