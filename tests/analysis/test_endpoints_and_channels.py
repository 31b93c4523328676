"""End-to-end: endpoints and message channels as AWS runs them."""

from __future__ import annotations

from scenario import codes, one_vpc, result_for
from ssmreach.analysis.verdict import Severity, Verdict


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
