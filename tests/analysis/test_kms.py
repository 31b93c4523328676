"""Unit tests of `analysis.kms`: may the node's role decrypt with the Session Manager key?
The key's state and spec, the key policy (naming the role, or delegating to IAM), the
role's IAM policies and boundary, and grants.

Source: KMS developer guide, "Determining access to an AWS KMS key" (a key policy is
required; it may allow the principal itself or let IAM policies decide for the account;
grants also allow; an explicit deny in any policy wins), "Key states of AWS KMS keys".
"""

from __future__ import annotations

import json
from typing import Any

from ssmreach.analysis.kms import key_access, parse_key_policy, usable_problem
from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model.estate import Gap, KmsKey
from ssmreach.policy.document import Policy, parse_policy
from ssmreach.policy.evaluate import Evaluation, RequestContext, evaluate_identity

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/sessions"
REQUEST = RequestContext("kms:Decrypt", KEY_ARN, ROLE_ARN, ACCOUNT)


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(
    principal: str | None = None, action: str = "kms:Decrypt", effect: str = "Allow"
) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": "*"}
    if principal is not None:
        stmt["Principal"] = {"AWS": principal}
    return stmt


DELEGATE = allow(f"arn:aws:iam::{ACCOUNT}:root", "kms:*")
DEFAULT_KEY_POLICY = document(DELEGATE)  # AWS's default key policy: IAM decides


def key(
    policy: dict[str, Any] | Gap | str = DEFAULT_KEY_POLICY,
    *,
    state: str = "Enabled",
    spec: str = "SYMMETRIC_DEFAULT",
    grants: tuple[aws.Grant, ...] | Gap = (),
) -> KmsKey:
    metadata = aws.KeyMetadata(
        arn=KEY_ARN, key_state=state, key_usage="ENCRYPT_DECRYPT", key_spec=spec
    )
    text = policy if isinstance(policy, Gap | str) else json.dumps(policy)
    return KmsKey(metadata=metadata, policy=text, grants=grants)


def iam(*statements: dict[str, Any]) -> Evaluation:
    policies = (parse_policy(document(*statements), "role policy"),) if statements else ()
    return evaluate_identity(policies, REQUEST)


def access(
    k: KmsKey, role: Evaluation | None = None, boundary: Evaluation | None = None
) -> tuple[Outcome, str | None]:
    policy = parse_key_policy(k)
    answer = key_access(k, policy, REQUEST, role or iam(), boundary, "sessions")
    return answer.outcome, answer.code


def grant(operations: tuple[str, ...] = ("Decrypt",), context: bool = False) -> aws.Grant:
    constraints = (
        aws.GrantConstraints(encryption_context_subset={"purpose": "x"}) if context else None
    )
    return aws.Grant(grantee_principal=ROLE_ARN, operations=operations, constraints=constraints)


# -- the key itself -----------------------------------------------------------------------


def test_only_an_enabled_symmetric_encrypt_decrypt_key_can_decrypt() -> None:
    assert usable_problem(aws.KeyMetadata(arn=KEY_ARN)) is None
    assert usable_problem(aws.KeyMetadata(arn=KEY_ARN, key_state="PendingDeletion")) == (
        "its state is PendingDeletion"
    )
    assert usable_problem(aws.KeyMetadata(arn=KEY_ARN, enabled=False)) == "its state is Disabled"
    signing = aws.KeyMetadata(arn=KEY_ARN, key_usage="SIGN_VERIFY")
    assert usable_problem(signing) == "its key usage is SIGN_VERIFY, not ENCRYPT_DECRYPT"
    rsa = aws.KeyMetadata(arn=KEY_ARN, customer_master_key_spec="RSA_2048")
    assert "RSA_2048" in (usable_problem(rsa) or "")


def test_a_disabled_key_fails_whatever_the_policies_say() -> None:
    assert access(key(state="Disabled"), iam(allow())) == (Outcome.FAIL, "KMS_KEY_NOT_USABLE")


def test_the_key_policy_is_parsed_or_says_why_not() -> None:
    assert isinstance(parse_key_policy(key()), Policy)
    assert isinstance(parse_key_policy(key("{not json")), str)
    gap = Gap(ACCOUNT, "us-east-1", "kms", "GetKeyPolicy", "denied")
    assert parse_key_policy(key(gap)) is gap
    assert access(key(gap)) == (Outcome.UNKNOWN, "READ_DENIED")
    assert access(key("{not json")) == (Outcome.UNKNOWN, "DATA_MISSING")


# -- key policy and IAM -------------------------------------------------------------------


def test_the_default_key_policy_lets_the_roles_iam_policy_decide() -> None:
    assert access(key(), iam(allow())) == (Outcome.PASS, None)
    assert access(key(), iam()) == (Outcome.FAIL, "IAM_ACTION_DENIED")


def test_a_key_policy_naming_the_role_allows_it_without_an_iam_policy() -> None:
    assert access(key(document(allow(ROLE_ARN)))) == (Outcome.PASS, None)


def test_a_key_policy_that_neither_names_the_role_nor_delegates_denies() -> None:
    other = document(allow(f"arn:aws:iam::{ACCOUNT}:role/admin"))
    assert access(key(other), iam(allow())) == (Outcome.FAIL, "KMS_KEY_POLICY_DENIED")


def test_an_explicit_deny_in_the_key_policy_wins() -> None:
    denying = document(DELEGATE, allow(ROLE_ARN, effect="Deny"))
    assert access(key(denying), iam(allow())) == (Outcome.FAIL, "KMS_KEY_POLICY_DENIED")


def test_an_explicit_deny_in_the_role_wins_over_the_key_policy() -> None:
    role = iam(allow(), allow(effect="Deny"))
    assert access(key(document(allow(ROLE_ARN))), role) == (Outcome.FAIL, "IAM_ACTION_DENIED")


def test_a_permissions_boundary_limits_a_key_policy_naming_the_role() -> None:
    only_s3 = evaluate_identity((parse_policy(document(allow(action="s3:*")), "b"),), REQUEST)
    outcome = access(key(document(allow(ROLE_ARN))), iam(), boundary=only_s3)
    assert outcome == (Outcome.FAIL, "IAM_ACTION_DENIED")


# -- grants -------------------------------------------------------------------------------


def test_a_grant_to_the_role_for_decrypt_allows_it() -> None:
    """KMS developer guide, "Grants in AWS KMS": a grant allows its grantee the operations
    it lists, without any key policy or IAM statement."""
    closed = document(allow(f"arn:aws:iam::{ACCOUNT}:role/admin"))
    assert access(key(closed, grants=(grant(),))) == (Outcome.PASS, None)
    encrypt_only = (grant(("Encrypt",)),)
    assert access(key(closed, grants=encrypt_only)) == (Outcome.FAIL, "KMS_KEY_POLICY_DENIED")


def test_a_grant_with_encryption_context_constraints_cannot_be_checked() -> None:
    closed = document(allow(f"arn:aws:iam::{ACCOUNT}:role/admin"))
    assert access(key(closed, grants=(grant(context=True),))) == (
        Outcome.UNKNOWN,
        "KMS_KEY_POLICY_DENIED",
    )


def test_unread_grants_leave_a_closed_key_policy_unknown() -> None:
    closed = document(allow(f"arn:aws:iam::{ACCOUNT}:role/admin"))
    gap = Gap(ACCOUNT, "us-east-1", "kms", "ListGrants", "missing")
    assert access(key(closed, grants=gap)) == (Outcome.UNKNOWN, "DATA_MISSING")
