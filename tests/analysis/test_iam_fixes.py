"""IAM findings name a managed policy that really grants the action, or the statement to add."""

from __future__ import annotations

from typing import Unpack

from builders import CORE, RoleOptions
from scenario import one_vpc, result_for
from ssmreach.analysis.iam_fixes import granting_policy, iam_fix
from ssmreach.analysis.verdict import Verdict
from ssmreach.model import aws


def _iam_fix_of(feature: str, **role: Unpack[RoleOptions]) -> str:
    e = one_vpc()
    for svc in ("logs", "ec2"):
        e.b.endpoint(e.vpc, svc, [e.ep_a], [e.ep_sg])
    profile = e.b.role("app-role", **role) if role else e.profile
    iid = e.b.instance("web", e.app, [e.app_sg], profile)
    r = result_for(e.b, iid, feature)
    assert r.verdict is Verdict.BLOCKED, r.reasons
    return next(x.fix for x in r.reasons if x.code == "IAM_ACTION_DENIED") or ""


def test_cloudwatch_logs_fix_names_the_cloudwatch_agent_policy() -> None:
    fix = _iam_fix_of("cloudwatch-logs")
    assert "CloudWatchAgentServerPolicy" in fix
    assert "AmazonSSMManagedInstanceCore" not in fix  # attached already, and it does not grant logs


def test_vss_fix_names_the_vss_snapshot_policy() -> None:
    assert "AWSEC2VssSnapshotPolicy" in _iam_fix_of("vss-snapshot")


def test_an_attached_policy_that_does_not_grant_is_never_suggested() -> None:
    e = one_vpc()
    boundary = e.b.managed_policy(
        "only-ssm",
        {"Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]},
    )
    profile = e.b.role("bounded", managed=[CORE], boundary=boundary)
    iid = e.b.instance("web", e.app, [e.app_sg], profile)
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.BLOCKED
    fix = next(x.fix for x in r.reasons if x.code == "IAM_ACTION_DENIED") or ""
    assert "Attach AmazonSSMManagedInstanceCore" not in fix
    assert '"Action": "ssmmessages:' in fix


def test_iam_fix_table_and_statement() -> None:
    assert granting_policy("ssmmessages:OpenDataChannel") == "AmazonSSMManagedInstanceCore"
    assert granting_policy("logs:PutLogEvents") == "CloudWatchAgentServerPolicy"
    assert granting_policy("kms:Decrypt") is None
    role = aws.RoleDetail(
        role_name="r",
        arn="arn:aws:iam::1:role/r",
        instance_profile_list=(),
        role_policy_list=(),
        attached_managed_policies=(),
    )
    fix = iam_fix(role, "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k", denied=False)
    assert fix.startswith("Add to role r the statement")
    assert '"Resource": "arn:aws:kms:us-east-1:1:key/k"' in fix
    assert "Remove the explicit deny" in iam_fix(role, "ssm:GetDocument", "*", denied=True)


def test_when_the_role_blocks_over_a_working_path_the_missing_endpoint_is_a_warning() -> None:
    from ssmreach.analysis.verdict import Severity

    e = one_vpc()
    e.b.internet_via_nat(e.vpc, e.rtb, "10.0.100.0/24")  # logs goes out through the NAT
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)  # the role lacks logs actions
    r = result_for(e.b, iid, "cloudwatch-logs")
    assert r.verdict is Verdict.BLOCKED
    by_code = {x.code: x for x in r.reasons}
    assert by_code["IAM_ACTION_DENIED"].severity is Severity.ERROR
    assert by_code["ENDPOINT_MISSING"].severity is Severity.WARNING
