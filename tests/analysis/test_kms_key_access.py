"""End-to-end: the Session Manager key's state, key policy and grants decide kms:Decrypt."""

from __future__ import annotations

from typing import Any

from builders import CORE
from scenario import Estate1, codes, one_vpc, result_for
from ssmreach.analysis.verdict import FeatureResult, Verdict

ACCOUNT = "111122223333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"
ROLE = "sessions"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
DECRYPT = [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN}]


def _estate(statements: list[dict[str, Any]] | None = DECRYPT, **role: Any) -> tuple[Estate1, str]:
    e = one_vpc()
    e.b.endpoint(e.vpc, "kms", [e.ep_a], [e.ep_sg])
    e.b.session_prefs = {"kmsKeyId": KEY_ID}
    inline = {"kms": {"Statement": statements}} if statements else None
    profile = e.b.role(ROLE, managed=[CORE], inline=inline, **role)
    return e, e.b.instance("web", e.app, [e.app_sg], profile)


def _session(e: Estate1, iid: str) -> FeatureResult:
    return result_for(e.b, iid, "session-manager")


def _key_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "kms:Decrypt",
        "Resource": "*",
        **extra,
    }


def test_the_default_key_policy_leaves_it_to_iam_which_allows() -> None:
    e, iid = _estate()
    r = _session(e, iid)
    assert r.verdict is Verdict.PRIVATE, r.reasons
    kms = next(s for s in r.services if s.service == "kms")
    assert any(h.step == "key-policy" and "lets IAM decide" in h.detail for h in kms.hops)


def test_the_default_key_policy_and_a_role_without_decrypt_is_blocked_on_the_role() -> None:
    e, iid = _estate(statements=None)
    r = _session(e, iid)
    assert r.verdict is Verdict.BLOCKED
    denied = next(x for x in r.reasons if x.code == "IAM_ACTION_DENIED")
    assert denied.resource == ROLE_ARN and KEY_ARN in denied.message
    assert denied.fix and "kms:Decrypt" in denied.fix


def test_a_key_policy_naming_the_role_needs_no_iam_statement() -> None:
    e, iid = _estate(statements=None)
    e.b.kms_key(KEY_ID, policy=_key_policy(_allow({"AWS": ROLE_ARN})))
    assert _session(e, iid).verdict is Verdict.PRIVATE


def test_a_key_policy_for_someone_else_is_blocked_naming_the_key() -> None:
    e, iid = _estate()
    other = f"arn:aws:iam::{ACCOUNT}:role/admins"
    e.b.kms_key(KEY_ID, policy=_key_policy(_allow({"AWS": other})))
    r = _session(e, iid)
    assert r.verdict is Verdict.BLOCKED
    found = next(x for x in r.reasons if x.code == "KMS_KEY_POLICY_DENIED")
    assert found.resource == KEY_ARN and found.fix and ROLE_ARN in found.fix


def test_an_explicit_deny_in_the_key_policy_wins_over_iam() -> None:
    e, iid = _estate()
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    e.b.kms_key(KEY_ID, policy=_key_policy(e.b.default_key_policy()["Statement"][0], deny))
    r = _session(e, iid)
    assert r.verdict is Verdict.BLOCKED and "KMS_KEY_POLICY_DENIED" in codes(r)


def test_a_key_only_aws_services_may_use_is_blocked_for_the_agent() -> None:
    """The agent calls KMS itself, so a kms:ViaService condition never holds for it."""
    e, iid = _estate()
    via = _allow(
        "*",
        Condition={
            "StringEquals": {
                "kms:CallerAccount": ACCOUNT,
                "kms:ViaService": "ssm.us-east-1.amazonaws.com",
            }
        },
    )
    e.b.kms_key(KEY_ID, policy=_key_policy(via))
    r = _session(e, iid)
    assert r.verdict is Verdict.BLOCKED and "KMS_KEY_POLICY_DENIED" in codes(r)


def test_a_condition_the_snapshot_cannot_decide_is_unknown() -> None:
    e, iid = _estate(statements=None)
    cond = _allow({"AWS": ROLE_ARN}, Condition={"StringEquals": {"aws:PrincipalTag/team": "ops"}})
    e.b.kms_key(KEY_ID, policy=_key_policy(cond))
    r = _session(e, iid)
    assert r.verdict is Verdict.UNKNOWN and "KMS_KEY_POLICY_DENIED" in codes(r)


def test_a_disabled_or_deleted_key_is_blocked() -> None:
    for state in ("Disabled", "PendingDeletion"):
        e, iid = _estate()
        e.b.kms_key(KEY_ID, state=state)
        r = _session(e, iid)
        assert r.verdict is Verdict.BLOCKED, state
        found = next(x for x in r.reasons if x.code == "KMS_KEY_NOT_USABLE")
        assert state in found.message


def test_an_asymmetric_key_is_not_usable() -> None:
    e, iid = _estate()
    e.b.kms_key(KEY_ID, key_spec="RSA_2048")
    assert "KMS_KEY_NOT_USABLE" in codes(_session(e, iid))


def test_a_grant_to_the_role_allows_and_a_constrained_one_is_unknown() -> None:
    other = _key_policy(_allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/admins"}))
    grant = {"GrantId": "g1", "GranteePrincipal": ROLE_ARN, "Operations": ["Decrypt"]}
    e, iid = _estate()
    e.b.kms_key(KEY_ID, policy=other, grants=[grant])
    assert _session(e, iid).verdict is Verdict.PRIVATE
    e, iid = _estate()
    constrained = {**grant, "Constraints": {"EncryptionContextSubset": {"k": "v"}}}
    e.b.kms_key(KEY_ID, policy=other, grants=[constrained])
    assert _session(e, iid).verdict is Verdict.UNKNOWN


def test_unread_grants_leave_a_key_policy_denial_unknown() -> None:
    e, iid = _estate()
    e.b.kms_key(KEY_ID, policy=_key_policy(_allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/x"})))
    e.b.denied.add("ListGrants")
    r = _session(e, iid)
    assert r.verdict is Verdict.UNKNOWN
    assert any("kms:ListGrants" in x.message for x in r.reasons if x.code == "READ_DENIED")


def test_an_unread_key_policy_is_unknown_naming_it() -> None:
    e, iid = _estate()
    e.b.denied.add("GetKeyPolicy")
    r = _session(e, iid)
    assert r.verdict is Verdict.UNKNOWN
    assert any("kms:GetKeyPolicy" in x.message for x in r.reasons if x.code == "READ_DENIED")


def test_a_key_of_another_account_is_unknown_naming_the_owner() -> None:
    foreign = KEY_ARN.replace(ACCOUNT, "444455556666")
    e, iid = _estate([{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": foreign}])
    e.b.session_prefs = {"kmsKeyId": foreign}
    e.b.kms_key(foreign)
    r = _session(e, iid)
    assert r.verdict is Verdict.UNKNOWN
    assert any("444455556666" in x.message for x in r.reasons if x.code == "DATA_MISSING")


def test_a_boundary_limits_a_key_policy_that_names_the_role() -> None:
    e, iid = _estate(statements=None, boundary=f"arn:aws:iam::{ACCOUNT}:policy/edge")
    e.b.managed_policy(
        "edge",
        {"Statement": [{"Effect": "Allow", "Action": "ssm*:*", "Resource": "*"}]},
    )
    e.b.kms_key(KEY_ID, policy=_key_policy(_allow({"AWS": ROLE_ARN})))
    r = _session(e, iid)
    assert r.verdict is Verdict.BLOCKED
    denied = next(x for x in r.reasons if x.code == "IAM_ACTION_DENIED")
    assert "boundary" in denied.message


def test_an_explicit_deny_in_the_role_wins_when_the_key_is_not_described() -> None:
    e, iid = _estate([{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}])
    e.b.omitted.add("DescribeKey")
    assert _session(e, iid).verdict is Verdict.BLOCKED
