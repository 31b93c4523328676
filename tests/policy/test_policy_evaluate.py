"""Identity and endpoint-policy evaluation: precedence, principals, unknowns."""

from __future__ import annotations

from typing import Any

import pytest

from ssmreach.policy.document import Policy, parse_policy
from ssmreach.policy.evaluate import (
    Decision,
    RequestContext,
    evaluate_identity,
    evaluate_key_policy,
    evaluate_resource_policy,
)

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ssm-core"
INSTANCE = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0ab"
HEARTBEAT = "ssm:UpdateInstanceInformation"


def policy(
    *statements: dict[str, Any], name: str = "p", version: str | None = "2012-10-17"
) -> Policy:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return parse_policy(doc, name)


def allow(action: object = "*", resource: object = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: object = "*", resource: object = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(
    action: str = HEARTBEAT,
    resource: str = INSTANCE,
    *,
    principal: str | None = ROLE,
    account: str | None = ACCOUNT,
    keys: dict[str, tuple[str, ...]] | None = None,
    absent: frozenset[str] = frozenset(),
) -> RequestContext:
    return RequestContext(action, resource, principal, account, keys or {}, absent)


VIA_ENDPOINT = request(keys={"aws:sourcevpce": ("vpce-1",), "aws:sourcevpc": ("vpc-1",)})
OVER_INTERNET = request(absent=frozenset({"aws:sourcevpce", "aws:sourcevpc"}))
PATH_UNKNOWN = request()


# -- identity-based --------------------------------------------------------------


def test_allow_names_policy_and_statement() -> None:
    p = policy(
        allow("ssm:GetDocument"), allow(["ssm:UpdateInstanceInformation"], Sid="Agent"), name="core"
    )
    result = evaluate_identity([p], request())
    assert result.decision is Decision.ALLOW
    assert result.policy == "core"
    assert result.statement is p.statements[1]
    assert result.unknown_keys == ()
    assert HEARTBEAT in result.explanation and "core" in result.explanation
    assert '"Agent"' in result.explanation and "#1" in result.explanation


def test_no_statement_applies_is_no_allow() -> None:
    result = evaluate_identity(
        [policy(allow("ssm:GetDocument"), name="a"), policy(deny("s3:*"))], request()
    )
    assert result.decision is Decision.NO_ALLOW
    assert result.statement is None
    assert "a" in result.explanation and HEARTBEAT in result.explanation
    empty = evaluate_identity([], request())
    assert empty.decision is Decision.NO_ALLOW
    assert "no identity-based policy" in empty.explanation


def test_actions_match_case_insensitively_with_wildcards() -> None:
    for action in (
        "SSM:updateinstanceinformation",
        "ssm:Update*",
        "ssm:*",
        "*",
        "ssm:UpdateInstance?nformation",
    ):
        assert evaluate_identity([policy(allow(action))], request()).decision is Decision.ALLOW
    assert evaluate_identity([policy(allow("ssm:Update"))], request()).decision is Decision.NO_ALLOW
    assert (
        evaluate_identity([policy(allow("ssmmessages:*"))], request()).decision is Decision.NO_ALLOW
    )


def test_explicit_deny_wins_across_policies() -> None:
    allows = policy(allow("ssm:*"), name="allows")
    denies = policy(deny(HEARTBEAT, Sid="NoHeartbeat"), name="denies")
    result = evaluate_identity([allows, denies], request())
    assert result.decision is Decision.DENY
    assert result.policy == "denies"
    assert result.statement is denies.statements[0]
    assert "explicitly denied" in result.explanation and '"NoHeartbeat"' in result.explanation


def test_not_action_with_deny() -> None:
    # "Deny everything except SSM" leaves ssm actions alone and denies the rest.
    p = policy(
        allow("*"), {"Effect": "Deny", "NotAction": ["ssm:*", "ssmmessages:*"], "Resource": "*"}
    )
    assert evaluate_identity([p], request()).decision is Decision.ALLOW
    assert (
        evaluate_identity([p], request("ssmmessages:OpenControlChannel", "*")).decision
        is Decision.ALLOW
    )
    assert evaluate_identity([p], request("ec2messages:GetMessages", "*")).decision is Decision.DENY


def test_not_action_with_allow() -> None:
    p = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate_identity([p], request()).decision is Decision.ALLOW
    assert evaluate_identity([p], request("iam:PassRole", "*")).decision is Decision.NO_ALLOW


def test_resources_and_not_resource() -> None:
    scoped = policy(allow(HEARTBEAT, f"arn:aws:ec2:*:{ACCOUNT}:instance/*"))
    assert evaluate_identity([scoped], request()).decision is Decision.ALLOW
    assert evaluate_identity([scoped], request(resource="*")).decision is Decision.NO_ALLOW
    other = policy(allow(HEARTBEAT, "arn:aws:ec2:*:444455556666:instance/*"))
    assert evaluate_identity([other], request()).decision is Decision.NO_ALLOW
    not_res = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}
    )
    bucket = "arn:aws:s3:::aws-ssm-us-east-1/*"
    assert evaluate_identity([not_res], request("s3:GetObject", bucket)).decision is Decision.ALLOW
    secret = "arn:aws:s3:::secret/key"
    assert (
        evaluate_identity([not_res], request("s3:GetObject", secret)).decision is Decision.NO_ALLOW
    )
    deny_not_res = policy(
        allow("s3:*"), {"Effect": "Deny", "Action": "s3:*", "NotResource": bucket}
    )
    assert (
        evaluate_identity([deny_not_res], request("s3:GetObject", bucket)).decision
        is Decision.ALLOW
    )
    assert (
        evaluate_identity([deny_not_res], request("s3:GetObject", secret)).decision is Decision.DENY
    )


def test_unknown_condition_on_only_allow_is_unknown_with_key() -> None:
    p = policy(
        allow(HEARTBEAT, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-123"}}, Sid="Org")
    )
    result = evaluate_identity([p], request())
    assert result.decision is Decision.UNKNOWN
    assert result.unknown_keys == ("aws:PrincipalOrgID",)
    assert result.statement is p.statements[0]
    assert "aws:PrincipalOrgID" in result.explanation and '"Org"' in result.explanation


def test_certain_allow_beats_uncertain_allow() -> None:
    p = policy(
        allow(HEARTBEAT, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-123"}}),
        allow(HEARTBEAT),
    )
    result = evaluate_identity([p], request())
    assert result.decision is Decision.ALLOW
    assert result.statement is p.statements[1]


def test_uncertain_deny_makes_allow_unknown_certain_deny_wins() -> None:
    maybe = deny(
        HEARTBEAT, Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, Sid="OnlyVpce"
    )
    p = policy(allow("ssm:*"), maybe)
    unknown = evaluate_identity([p], PATH_UNKNOWN)
    assert unknown.decision is Decision.UNKNOWN
    assert unknown.unknown_keys == ("aws:SourceVpce",)
    assert unknown.statement is p.statements[1]
    assert "may deny" in unknown.explanation
    # via the right endpoint the Deny's condition is false
    assert evaluate_identity([p], VIA_ENDPOINT).decision is Decision.ALLOW
    # over the internet aws:SourceVpce is absent: StringNotEquals is true, the Deny applies
    assert evaluate_identity([p], OVER_INTERNET).decision is Decision.DENY
    # a certain Deny elsewhere decides even though this one is unknown
    certain = policy(deny(HEARTBEAT), name="hard")
    result = evaluate_identity([p, certain], PATH_UNKNOWN)
    assert result.decision is Decision.DENY and result.policy == "hard"


def test_unknown_allow_with_certain_deny_is_deny() -> None:
    p = policy(
        allow(HEARTBEAT, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), deny("ssm:*")
    )
    assert evaluate_identity([p], request()).decision is Decision.DENY


def test_if_exists_and_null_in_statements() -> None:
    p = policy(allow(HEARTBEAT, Condition={"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}))
    assert evaluate_identity([p], OVER_INTERNET).decision is Decision.ALLOW
    assert evaluate_identity([p], VIA_ENDPOINT).decision is Decision.ALLOW
    wrong = request(keys={"aws:sourcevpce": ("vpce-2",)})
    assert evaluate_identity([p], wrong).decision is Decision.NO_ALLOW
    assert evaluate_identity([p], PATH_UNKNOWN).decision is Decision.UNKNOWN
    null = policy(allow("ssm:*"), deny("ssm:*", Condition={"Null": {"aws:SourceVpce": "true"}}))
    assert evaluate_identity([null], OVER_INTERNET).decision is Decision.DENY
    assert evaluate_identity([null], VIA_ENDPOINT).decision is Decision.ALLOW


def test_policy_variable_in_resource() -> None:
    p = policy(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))
    known = request("s3:GetObject", "arn:aws:s3:::home/alice/x", keys={"aws:username": ("alice",)})
    assert evaluate_identity([p], known).decision is Decision.ALLOW
    unknown = evaluate_identity([p], request("s3:GetObject", "arn:aws:s3:::home/alice/x"))
    assert unknown.decision is Decision.UNKNOWN
    assert unknown.unknown_keys == ("aws:username",)
    # Version 2008-10-17 (or none): the variable is literal text
    old = policy(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"), version=None)
    assert evaluate_identity([old], known).decision is Decision.NO_ALLOW


def test_permissions_boundary_must_allow_too() -> None:
    identity = [policy(allow("ssm:*"), name="inline")]
    ok = policy(allow(["ssm:*", "ssmmessages:*"]), name="boundary-ok")
    narrow = policy(allow("s3:*"), name="boundary-narrow")
    assert evaluate_identity(identity, request(), boundary=ok).decision is Decision.ALLOW
    result = evaluate_identity(identity, request(), boundary=narrow)
    assert result.decision is Decision.NO_ALLOW
    assert result.policy == "boundary-narrow"
    assert "permissions boundary boundary-narrow" in result.explanation
    # the boundary alone grants nothing
    assert evaluate_identity([], request(), boundary=ok).decision is Decision.NO_ALLOW
    # a Deny in the boundary wins
    denying = policy(allow("*"), deny(HEARTBEAT), name="boundary-deny")
    result = evaluate_identity(identity, request(), boundary=denying)
    assert result.decision is Decision.DENY and result.policy == "boundary-deny"
    # an uncertain boundary Allow makes the result unknown
    cond = policy(allow("*", Condition={"StringEquals": {"aws:PrincipalTag/tier": "x"}}), name="b")
    result = evaluate_identity(identity, request(), boundary=cond)
    assert result.decision is Decision.UNKNOWN
    assert result.unknown_keys == ("aws:PrincipalTag/tier",)


def test_every_scp_must_allow() -> None:
    identity = [policy(allow("ssm:*"), name="inline")]
    full = policy(allow("*"), name="FullAWSAccess")
    only_s3 = policy(allow("s3:*"), name="OnlyS3")
    assert evaluate_identity(identity, request(), scps=[full]).decision is Decision.ALLOW
    result = evaluate_identity(identity, request(), scps=[full, only_s3])
    assert result.decision is Decision.NO_ALLOW and result.policy == "OnlyS3"
    assert "service control policy OnlyS3" in result.explanation
    deny_scp = policy(allow("*"), deny("ssm:*"), name="DenySSM")
    result = evaluate_identity(identity, request(), scps=[full, deny_scp])
    assert result.decision is Decision.DENY and result.policy == "DenySSM"
    # the deciding Allow of an ALLOW is the identity policy's statement
    result = evaluate_identity(identity, request(), boundary=full, scps=[full])
    assert result.decision is Decision.ALLOW and result.policy == "inline"


def test_certain_no_allow_beats_unknown() -> None:
    identity = [policy(allow(HEARTBEAT, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}}))]
    result = evaluate_identity(identity, request(), boundary=policy(allow("s3:*"), name="b"))
    assert result.decision is Decision.NO_ALLOW


def test_principal_elements_are_ignored_for_identity_policies() -> None:
    p = policy(allow(HEARTBEAT, Principal={"AWS": "arn:aws:iam::444455556666:root"}))
    assert evaluate_identity([p], request()).decision is Decision.ALLOW


# -- resource-based (endpoint policies) ------------------------------------------


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", Decision.ALLOW),
        ({"AWS": "*"}, Decision.ALLOW),
        ({"AWS": ["*"]}, Decision.ALLOW),
        ({"AWS": ACCOUNT}, Decision.ALLOW),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Decision.ALLOW),
        ({"AWS": ROLE}, Decision.ALLOW),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ssm-*"}, Decision.ALLOW),
        ({"AWS": ["arn:aws:iam::444455556666:role/ssm-core", ROLE]}, Decision.ALLOW),
        ({"AWS": "444455556666"}, Decision.NO_ALLOW),
        ({"AWS": "arn:aws:iam::444455556666:root"}, Decision.NO_ALLOW),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}, Decision.NO_ALLOW),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/ssm-core"}, Decision.NO_ALLOW),
        ({"Service": "ec2.amazonaws.com"}, Decision.NO_ALLOW),
        ({"Federated": "cognito-identity.amazonaws.com"}, Decision.NO_ALLOW),
    ],
)
def test_endpoint_policy_principal_forms(principal: object, expected: Decision) -> None:
    p = policy(allow("ssm:*", Principal=principal), name="endpoint policy of vpce-1")
    result = evaluate_resource_policy(p, request())
    assert result.decision is expected
    if expected is Decision.NO_ALLOW:
        assert ROLE in result.explanation and "vpce-1" in result.explanation


def test_endpoint_policy_account_from_role_arn_when_account_missing() -> None:
    p = policy(allow("ssm:*", Principal={"AWS": ACCOUNT}))
    assert evaluate_resource_policy(p, request(account=None)).decision is Decision.ALLOW


def test_endpoint_policy_anonymous_caller() -> None:
    star = policy(allow("ssm:*", Principal="*"))
    role = policy(allow("ssm:*", Principal={"AWS": ROLE}))
    anon = request(principal=None, account=None)
    assert evaluate_resource_policy(star, anon).decision is Decision.ALLOW
    assert evaluate_resource_policy(role, anon).decision is Decision.NO_ALLOW


def test_endpoint_policy_deny_and_not_principal() -> None:
    p = policy(
        allow("*", Principal="*"),
        deny("ssm:*", Principal={"AWS": ROLE}, Sid="NoCore"),
    )
    result = evaluate_resource_policy(p, request())
    assert result.decision is Decision.DENY and result.statement is p.statements[1]
    other = request(principal=f"arn:aws:iam::{ACCOUNT}:role/other")
    assert evaluate_resource_policy(p, other).decision is Decision.ALLOW
    not_principal = policy(
        allow("*", Principal="*"), {"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "*"}
    )
    assert evaluate_resource_policy(not_principal, request()).decision is Decision.ALLOW
    assert evaluate_resource_policy(not_principal, other).decision is Decision.DENY


def test_endpoint_policy_condition_on_principal_arn() -> None:
    p = policy(
        allow("s3:GetObject", Principal="*", Condition={"ArnLike": {"aws:PrincipalArn": ROLE}})
    )
    bucket = request(
        "s3:GetObject", "arn:aws:s3:::amazon-ssm-us-east-1/*", keys={"aws:principalarn": (ROLE,)}
    )
    assert evaluate_resource_policy(p, bucket).decision is Decision.ALLOW
    unknown = evaluate_resource_policy(
        p, request("s3:GetObject", "arn:aws:s3:::amazon-ssm-us-east-1/*")
    )
    assert unknown.decision is Decision.UNKNOWN and unknown.unknown_keys == ("aws:PrincipalArn",)


def test_gateway_endpoint_principals() -> None:
    by_account = policy(allow("s3:*", Principal={"AWS": ACCOUNT}))
    by_role = policy(allow("s3:*", Principal={"AWS": ROLE}))
    star = policy(allow("s3:*", Principal={"AWS": "*"}))
    req = request("s3:GetObject", "arn:aws:s3:::aws-ssm-us-east-1/*")
    assert evaluate_resource_policy(by_account, req, gateway=True).decision is Decision.NO_ALLOW
    assert evaluate_resource_policy(by_role, req, gateway=True).decision is Decision.NO_ALLOW
    assert evaluate_resource_policy(star, req, gateway=True).decision is Decision.ALLOW


def test_s3_endpoint_policy_bucket_list() -> None:
    p = policy(
        allow(
            "s3:GetObject",
            ["arn:aws:s3:::amazon-ssm-us-east-1/*", "arn:aws:s3:::aws-ssm-us-east-1/*"],
            Principal="*",
            Sid="SsmBuckets",
        ),
        name="endpoint policy of vpce-s3",
    )
    for bucket in ("amazon-ssm-us-east-1", "aws-ssm-us-east-1"):
        result = evaluate_resource_policy(p, request("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
        assert result.decision is Decision.ALLOW
    missing = evaluate_resource_policy(
        p, request("s3:GetObject", "arn:aws:s3:::aws-windows-downloads-us-east-1/*")
    )
    assert missing.decision is Decision.NO_ALLOW
    put = evaluate_resource_policy(p, request("s3:PutObject", "arn:aws:s3:::aws-ssm-us-east-1/*"))
    assert put.decision is Decision.NO_ALLOW


def test_default_endpoint_policy_allows_everything() -> None:
    p = parse_policy(
        '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}', "default"
    )
    assert evaluate_resource_policy(p, request()).decision is Decision.ALLOW
    assert (
        evaluate_resource_policy(p, request(principal=None, account=None)).decision
        is Decision.ALLOW
    )


def test_endpoint_statement_without_principal_covers_everyone() -> None:
    p = policy(allow("ssm:*"))
    assert evaluate_resource_policy(p, request()).decision is Decision.ALLOW


def test_request_context_is_hashable_and_keys_default_empty() -> None:
    ctx = RequestContext(HEARTBEAT, INSTANCE, ROLE, ACCOUNT)
    assert ctx.keys == {} and ctx.absent_keys == frozenset()
    hash(ctx)


# -- KMS key policies --------------------------------------------------------------

KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DECRYPT = request("kms:Decrypt", KEY)


@pytest.mark.parametrize(
    ("principal", "direct", "delegated"),
    [
        ({"AWS": ROLE}, Decision.ALLOW, Decision.NO_ALLOW),
        ("*", Decision.ALLOW, Decision.NO_ALLOW),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Decision.NO_ALLOW, Decision.ALLOW),
        ({"AWS": ACCOUNT}, Decision.NO_ALLOW, Decision.ALLOW),
        ({"AWS": "arn:aws:iam::444455556666:root"}, Decision.NO_ALLOW, Decision.NO_ALLOW),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}, Decision.NO_ALLOW, Decision.NO_ALLOW),
        ({"Service": "logs.us-east-1.amazonaws.com"}, Decision.NO_ALLOW, Decision.NO_ALLOW),
    ],
)
def test_a_key_policy_grants_directly_or_delegates_to_iam(
    principal: object, direct: Decision, delegated: Decision
) -> None:
    result = evaluate_key_policy(policy(allow("kms:*", Principal=principal)), DECRYPT)
    assert (result.direct.decision, result.delegated.decision) == (direct, delegated)


def test_a_key_policy_deny_on_the_account_covers_its_roles_both_ways() -> None:
    p = policy(
        allow("kms:*", Principal={"AWS": ROLE}),
        deny("kms:Decrypt", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
    )
    result = evaluate_key_policy(p, DECRYPT)
    assert result.direct.decision is Decision.DENY
    assert result.delegated.decision is Decision.DENY


def test_key_policy_scopes_split_what_a_resource_policy_covers() -> None:
    """Direct or delegated covers exactly what the resource-policy evaluation covers."""
    principals: list[object] = [
        "*",
        {"AWS": "*"},
        {"AWS": ROLE},
        {"AWS": ACCOUNT},
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        {"AWS": "arn:aws:iam::444455556666:root"},
        {"AWS": [ROLE, "444455556666"]},
        {"Service": "ssm.amazonaws.com"},
    ]
    for principal in principals:
        p = policy(allow("kms:*", Principal=principal))
        whole = evaluate_resource_policy(p, DECRYPT).decision is Decision.ALLOW
        split = evaluate_key_policy(p, DECRYPT)
        either = Decision.ALLOW in (split.direct.decision, split.delegated.decision)
        assert whole == either, principal
