"""End-to-end: a role scoped the way AWS documents it (key ARN, log group) is not BLOCKED."""

from __future__ import annotations

from typing import Any

from builders import CORE
from scenario import codes, one_vpc, result_for
from ssmreach.analysis.resources import kms_key_resources, log_group_resources
from ssmreach.analysis.verdict import Verdict

ACCOUNT = "111122223333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"
GROUP = "/ssm/sessions"


def _session(prefs: dict[str, Any], statements: list[dict[str, Any]]) -> tuple[Any, str]:
    e = one_vpc()
    for svc in ("kms", "logs"):
        e.b.endpoint(e.vpc, svc, [e.ep_a], [e.ep_sg])
    e.b.session_prefs = prefs
    profile = e.b.role("scoped", managed=[CORE], inline={"scoped": {"Statement": statements}})
    iid = e.b.instance("web", e.app, [e.app_sg], profile)
    return result_for(e.b, iid, "session-manager"), iid


def test_kms_decrypt_on_the_key_arn_is_allowed() -> None:
    r, _ = _session(
        {"kmsKeyId": KEY_ID},
        [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}],
    )
    assert r.verdict is Verdict.PRIVATE, r.reasons


def test_kms_decrypt_on_another_key_is_blocked_naming_the_key() -> None:
    r, _ = _session(
        {"kmsKeyId": KEY_ARN},
        [
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": KEY_ARN.replace("1234abcd", "99999999"),
            }
        ],
    )
    assert r.verdict is Verdict.BLOCKED
    denied = next(x for x in r.reasons if x.code == "IAM_ACTION_DENIED")
    assert KEY_ARN in denied.message


def test_a_key_named_by_alias_is_judged_on_the_key_describe_key_finds() -> None:
    e = one_vpc()
    for svc in ("kms", "logs"):
        e.b.endpoint(e.vpc, svc, [e.ep_a], [e.ep_sg])
    e.b.session_prefs = {"kmsKeyId": "alias/sessions"}
    e.b.kms_key("alias/sessions", arn=KEY_ARN)
    statements = [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}]
    profile = e.b.role("scoped", managed=[CORE], inline={"scoped": {"Statement": statements}})
    iid = e.b.instance("web", e.app, [e.app_sg], profile)
    assert result_for(e.b, iid, "session-manager").verdict is Verdict.PRIVATE


def test_a_key_named_by_alias_without_describe_key_is_unknown_naming_it() -> None:
    e = one_vpc()
    e.b.endpoint(e.vpc, "kms", [e.ep_a], [e.ep_sg])
    e.b.session_prefs = {"kmsKeyId": "alias/sessions"}
    e.b.omitted.add("DescribeKey")
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.UNKNOWN
    missing = [x for x in r.reasons if x.code == "DATA_MISSING"]
    assert any("alias/sessions" in x.message and "kms:DescribeKey" in x.message for x in missing)


def test_logs_on_the_log_group_as_aws_documents_it_is_allowed() -> None:
    r, _ = _session(
        {"cloudWatchLogGroupName": GROUP},
        [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{GROUP}:*",
            }
        ],
    )
    assert r.verdict is Verdict.PRIVATE, r.reasons
    assert "IAM_ACTION_DENIED" not in codes(r)


def test_logs_on_another_log_group_is_blocked() -> None:
    r, _ = _session(
        {"cloudWatchLogGroupName": GROUP},
        [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/other:*",
            }
        ],
    )
    assert r.verdict is Verdict.BLOCKED


def test_resource_forms() -> None:
    assert kms_key_resources(KEY_ID, "aws", "us-east-1", ACCOUNT).arns == (KEY_ARN,)
    assert kms_key_resources(KEY_ARN, "aws", "us-east-1", ACCOUNT).arns == (KEY_ARN,)
    assert kms_key_resources("alias/x", "aws", "us-east-1", ACCOUNT).unknown
    logs = log_group_resources(GROUP, "aws-cn", "cn-north-1", ACCOUNT)
    group_arn = f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:log-group:{GROUP}"
    assert logs.for_action("logs:CreateLogStream")[0] == group_arn
    assert all(
        a.startswith(group_arn + ":log-stream:") for a in logs.for_action("logs:PutLogEvents")
    )
