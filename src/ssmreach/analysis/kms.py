"""May the node's role use the Session Manager KMS key? Its state, key policy and grants.

The agent calls `kms:Decrypt` itself, from the node, on the key of the Session Manager
preferences (`kmsKeyId`). KMS allows the call when (KMS developer guide, "Determining
access to an AWS KMS key",
https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html):

- the key is usable: `KeyState` `Enabled` ("Key states of AWS KMS keys": a disabled key,
  or one pending deletion or import, cannot be used in cryptographic operations), and a
  symmetric `ENCRYPT_DECRYPT` key (`SYMMETRIC_DEFAULT`), the only kind Session Manager
  accepts;
- no explicit Deny applies, in the key policy or in the role's IAM policies;
- and the key policy allows the role directly (its ARN, or `*`), or allows the role's
  account, which delegates to IAM, and the role's IAM policies allow the call; or a grant
  to the role allows `Decrypt` ("Grants in AWS KMS").

What the snapshot cannot tell (the key not described, the key policy or grants not read,
a condition it cannot decide, a grant with encryption-context constraints) is UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssmreach.analysis.verdict import Outcome
from ssmreach.model import aws
from ssmreach.model.estate import Gap, KmsKey
from ssmreach.policy.document import Policy, PolicyParseError, parse_policy
from ssmreach.policy.evaluate import (
    Decision,
    Evaluation,
    KeyPolicyEvaluation,
    RequestContext,
    evaluate_key_policy,
)

KMS_OPERATION = "Decrypt"  # the grant operation of kms:Decrypt


@dataclass(frozen=True, slots=True)
class KeyAccess:
    """The answer for one key: PASS, or FAIL / UNKNOWN with the reason code and texts."""

    outcome: Outcome
    message: str
    code: str | None = None
    fix: str | None = None
    gaps: tuple[Gap, ...] = ()


def usable_problem(metadata: aws.KeyMetadata) -> str | None:
    """Why the key cannot decrypt at all, or None."""
    state = metadata.key_state or ("Disabled" if metadata.enabled is False else "Enabled")
    if state != "Enabled":
        return f"its state is {state}"
    if metadata.key_usage and metadata.key_usage != "ENCRYPT_DECRYPT":
        return f"its key usage is {metadata.key_usage}, not ENCRYPT_DECRYPT"
    spec = metadata.key_spec or metadata.customer_master_key_spec
    if spec and spec != "SYMMETRIC_DEFAULT":
        return f"it is a {spec} key, not a symmetric (SYMMETRIC_DEFAULT) one"
    return None


def parse_key_policy(key: KmsKey) -> Policy | str | Gap:
    """The parsed key policy; a Gap when it was not read; a str saying why it cannot be."""
    if isinstance(key.policy, Gap):
        return key.policy
    try:
        return parse_policy(key.policy, f"the key policy of {key.arn}")
    except PolicyParseError as exc:
        return str(exc)


def _grant_allows(grants: tuple[aws.Grant, ...], role_arn: str) -> Decision | None:
    """ALLOW when a grant to the role covers Decrypt; UNKNOWN when only a constrained one does."""
    found: Decision | None = None
    for grant in grants:
        if grant.grantee_principal != role_arn or KMS_OPERATION not in grant.operations:
            continue
        constraints = grant.constraints
        if constraints is None or not (
            constraints.encryption_context_subset or constraints.encryption_context_equals
        ):
            return Decision.ALLOW
        found = Decision.UNKNOWN
    return found


def _possible(e: Evaluation) -> bool:
    return e.decision in (Decision.ALLOW, Decision.UNKNOWN)


def _first_unknown(*evaluations: Evaluation | None) -> str:
    return next(
        e.explanation for e in evaluations if e is not None and e.decision is Decision.UNKNOWN
    )


def _unreadable(key: KmsKey, policy: Policy | str | Gap, role_name: str) -> KeyAccess | None:
    """The answer when the key cannot decrypt at all, or its policy cannot be read."""
    arn = key.arn
    problem = usable_problem(key.metadata)
    if problem is not None:
        return KeyAccess(
            Outcome.FAIL,
            f"the Session Manager key {arn} cannot decrypt: {problem}",
            "KMS_KEY_NOT_USABLE",
            f"Enable the key {arn} (or cancel its deletion), or name a usable symmetric key in the Session Manager preferences.",
        )
    if isinstance(policy, Gap):
        return KeyAccess(
            Outcome.UNKNOWN,
            f"whether the key policy of {arn} lets role {role_name} decrypt cannot be decided: {policy.describe()}",
            policy.code,
            "Collect the snapshot with kms:GetKeyPolicy allowed (with the key owner's credentials for a key of another account).",
            (policy,),
        )
    if isinstance(policy, str):
        return KeyAccess(
            Outcome.UNKNOWN, f"the key policy of {arn} cannot be read: {policy}", "DATA_MISSING"
        )
    return None


def key_access(
    key: KmsKey,
    policy: Policy | str | Gap,
    request: RequestContext,
    iam: Evaluation,
    boundary: Evaluation | None,
    role_name: str,
) -> KeyAccess:
    """Whether the role may call kms:Decrypt on the key (the module docstring's rules).

    `iam` is the role's own evaluation (identity policies inside its boundary); `boundary`
    the boundary's alone, which limits a key policy that names the role too (IAM user
    guide, "Policy evaluation logic": a permissions boundary limits what a resource-based
    policy grants to a role ARN).
    """
    arn, role_arn = key.arn, request.principal_arn or ""
    early = _unreadable(key, policy, role_name)
    if early is not None:
        return early
    assert not isinstance(policy, Gap | str)
    kp = evaluate_key_policy(policy, request)
    if kp.direct.decision is Decision.DENY:
        return KeyAccess(
            Outcome.FAIL,
            f"the key policy of {arn} denies kms:Decrypt to role {role_name}: {kp.direct.explanation}",
            "KMS_KEY_POLICY_DENIED",
            f"Remove the key policy's Deny that covers role {role_name}, or narrow it.",
        )
    if iam.decision is Decision.DENY:
        return KeyAccess(
            Outcome.FAIL,
            f"role {role_name} denies kms:Decrypt on {arn}: {iam.explanation}",
            "IAM_ACTION_DENIED",
            f"Remove the Deny that covers kms:Decrypt on {arn} from {iam.policy or 'the role'}.",
        )
    # A path that works: the key policy naming the role (within its boundary), the key
    # policy delegating to IAM with IAM allowing, or a grant to the role.
    iam_may_deny = iam.decision is Decision.UNKNOWN and (
        iam.statement is None or iam.statement.effect == "Deny"
    )
    unbounded = boundary is None or boundary.decision is Decision.ALLOW
    grants = key.grants
    granted = None if isinstance(grants, Gap) else _grant_allows(grants, role_arn)
    if not iam_may_deny and unbounded:
        if kp.direct.decision is Decision.ALLOW:
            return KeyAccess(
                Outcome.PASS, f"the key policy of {arn} allows role {role_name} to decrypt"
            )
        if granted is Decision.ALLOW:
            return KeyAccess(Outcome.PASS, f"a grant on {arn} lets role {role_name} decrypt")
    if kp.delegated.decision is Decision.ALLOW and iam.decision is Decision.ALLOW:
        return KeyAccess(
            Outcome.PASS,
            f"the key policy of {arn} lets IAM decide for the account, and role {role_name} allows kms:Decrypt",
        )
    return _no_certain_path(key, request, kp, iam, boundary, granted, iam_may_deny, role_name)


def _no_certain_path(
    key: KmsKey,
    request: RequestContext,
    kp: KeyPolicyEvaluation,
    iam: Evaluation,
    boundary: Evaluation | None,
    granted: Decision | None,
    iam_may_deny: bool,
    role_name: str,
) -> KeyAccess:
    """No path certainly works: UNKNOWN when one possibly does, else what blocks."""
    arn, role_arn, grants = key.arn, request.principal_arn or "", key.grants
    bounded_ok = boundary is None or _possible(boundary)
    maybe: list[str] = []
    if _possible(kp.direct) and bounded_ok:
        maybe.append(_first_unknown(kp.direct, iam, boundary))
    if _possible(kp.delegated) and _possible(iam):
        maybe.append(_first_unknown(kp.delegated, iam))
    if granted is Decision.UNKNOWN and bounded_ok:
        maybe.append(
            "only a grant with encryption-context constraints, which the snapshot cannot check, covers the role"
        )
    if maybe:
        return KeyAccess(
            Outcome.UNKNOWN,
            f"whether role {role_name} may decrypt with {arn} cannot be decided: {maybe[0]}",
            "KMS_KEY_POLICY_DENIED",
            "Confirm with `ssmreach probe` on a node, or simplify the condition.",
        )
    if isinstance(grants, Gap):
        return KeyAccess(
            Outcome.UNKNOWN,
            f"neither the key policy of {arn} nor IAM lets role {role_name} decrypt, and the key's grants, which could, are not known: {grants.describe()}",
            grants.code,
            "Collect the snapshot with kms:ListGrants allowed.",
            (grants,),
        )
    if kp.delegated.decision is Decision.ALLOW:
        # The key policy leaves it to IAM, and IAM does not allow it: the role's to fix.
        return KeyAccess(
            Outcome.FAIL,
            f"role {role_name} does not allow kms:Decrypt on {arn} (the key policy leaves it to IAM): {iam.explanation}",
            "IAM_ACTION_DENIED",
        )
    if kp.direct.decision is Decision.ALLOW or granted is Decision.ALLOW:
        assert boundary is not None
        return KeyAccess(
            Outcome.FAIL,
            f"the key policy of {arn} (or a grant) allows role {role_name}, but its permissions boundary does not: {boundary.explanation}",
            "IAM_ACTION_DENIED",
        )
    account = request.principal_account
    return KeyAccess(
        Outcome.FAIL,
        f"the key policy of {arn} neither allows role {role_name} nor lets IAM decide for account {account}, and no grant covers it: {kp.direct.explanation}",
        "KMS_KEY_POLICY_DENIED",
        f'Add a statement to the key policy of {arn} that allows kms:Decrypt to {role_arn or "the role"}, or one that lets IAM decide ({{"Principal": {{"AWS": "arn:aws:iam::{account}:root"}}, "Action": "kms:*"}}).',
    )
