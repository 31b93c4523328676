"""Does a set of IAM policies allow one request? Allow, deny, implicit deny, or unknown.

Evaluation logic (IAM User Guide, "Policy evaluation logic",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny in any policy wins; otherwise every policy type in play must
allow the request — the identity-based policies, the permissions boundary when
the role has one, and each service control policy when there are any. A VPC
endpoint policy is a resource-based policy that must allow the call as well
("Control access to VPC endpoints using endpoint policies",
https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).

Each statement applies, does not apply, or *may* apply (a condition or policy
variable the snapshot cannot decide). Certain results beat uncertain ones:

1. a Deny that certainly applies gives DENY, whatever else is undecided;
2. a policy type with no Allow that applies or may apply gives NO_ALLOW;
3. a Deny that may apply, or a policy type whose only Allows may apply, gives
   UNKNOWN and names the undecided condition keys;
4. otherwise ALLOW.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from ssmreach.policy.conditions import (
    KeyContext,
    Outcome,
    Truth,
    evaluate_conditions,
    substitute_variables,
)
from ssmreach.policy.document import Policy, Statement
from ssmreach.policy.wildcard import arn_match, is_account_id, wildcard_match

__all__ = [
    "Decision",
    "Evaluation",
    "KeyPolicyEvaluation",
    "RequestContext",
    "evaluate_identity",
    "evaluate_key_policy",
    "evaluate_resource_policy",
]


class Decision(StrEnum):
    ALLOW = "allow"  # some Allow statement certainly applies and no Deny can apply
    DENY = "deny"  # an explicit Deny certainly applies
    NO_ALLOW = "no-allow"  # no statement applies (implicit deny)
    UNKNOWN = "unknown"  # the result depends on a condition that cannot be evaluated


@dataclass(frozen=True, slots=True)
class RequestContext:
    action: str  # "ssm:UpdateInstanceInformation" (matched case-insensitively)
    resource: str  # an ARN, or "*" for actions without a resource
    principal_arn: str | None  # the role ARN; None = anonymous/unknown
    principal_account: str | None  # "111122223333"
    # Condition keys whose values are KNOWN, names in lower case.
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    # Lower-case keys KNOWN to be absent from the request. A key in neither is UNKNOWN.
    absent_keys: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Evaluation:
    decision: Decision
    policy: str | None  # name of the policy holding the deciding statement
    statement: Statement | None  # the deciding Deny or Allow; None for NO_ALLOW
    unknown_keys: tuple[str, ...]  # condition keys that could not be evaluated
    explanation: str  # one sentence naming action, policy and statement


# -- one statement ---------------------------------------------------------------

_TRUE = Outcome(Truth.TRUE)
_FALSE = Outcome(Truth.FALSE)
_VARIABLE_NAME = re.compile(r"\$\{\s*([^,}\s]+)")

PrincipalTest = Callable[[Statement], Outcome]


def _action_matches(stmt: Statement, action: str) -> bool:
    if stmt.actions is not None:
        return any(wildcard_match(p, action, case_sensitive=False) for p in stmt.actions)
    assert stmt.not_actions is not None
    return not any(wildcard_match(p, action, case_sensitive=False) for p in stmt.not_actions)


def _resource_outcome(
    patterns: tuple[str, ...], resource: str, kctx: KeyContext, variables: bool
) -> Outcome:
    """OR over the patterns: does any of them match the request's resource?"""
    outcomes: list[Outcome] = []
    for pattern in patterns:
        if variables and "${" in pattern:
            sub = substitute_variables(pattern, kctx)
            if sub.text is None:
                outcomes.append(Outcome.unknown(*sub.unknown_keys))
                continue
            if sub.literal_wildcard:
                # A literal `*`/`?` from a variable cannot be told apart from a wildcard.
                outcomes.append(Outcome.unknown(*_VARIABLE_NAME.findall(pattern)))
                continue
            pattern = sub.text
        if arn_match(pattern, resource):
            return _TRUE
        outcomes.append(_FALSE)
    return Outcome.any_of(outcomes)


def _applies(
    policy: Policy,
    stmt: Statement,
    ctx: RequestContext,
    kctx: KeyContext,
    principal: PrincipalTest | None,
) -> Outcome:
    if not _action_matches(stmt, ctx.action):
        return _FALSE
    variables = policy.version == "2012-10-17"

    def checks() -> Iterator[Outcome]:
        # Lazy, so that a certain FALSE stops the evaluation early.
        if stmt.resources is not None:
            yield _resource_outcome(stmt.resources, ctx.resource, kctx, variables)
        else:
            yield _resource_outcome(
                stmt.not_resources or (), ctx.resource, kctx, variables
            ).negated()
        if principal is not None:
            yield principal(stmt)
        yield evaluate_conditions(stmt.conditions, kctx, variables=variables)

    return Outcome.all_of(checks())


# -- principals (resource-based policies) ----------------------------------------

_ROOT = re.compile(r"arn:([^:]+):iam::(\d{12}):root")


def _account_of(ctx: RequestContext) -> str | None:
    if ctx.principal_account:
        return ctx.principal_account
    if ctx.principal_arn:
        parts = ctx.principal_arn.split(":", 5)
        if len(parts) == 6 and parts[4]:
            return parts[4]
    return None


PrincipalScope = Literal["any", "named", "account"]
"""Which Principal forms cover the caller: `any` (all of them), `named` (`*` and the
caller's own ARN only) or `account` (only the caller's account: ID or `:root` ARN)."""


def _caller_in(
    principals: Mapping[str, tuple[str, ...]],
    ctx: RequestContext,
    gateway: bool,
    scope: PrincipalScope = "any",
) -> bool:
    account = _account_of(ctx)
    for ptype, ids in principals.items():
        if ptype == "*":
            return scope != "account"
        if ptype != "AWS":
            continue  # Service, Federated, CanonicalUser never name an instance role
        for pid in ids:
            if pid == "*":
                if scope != "account":
                    return True
                continue
            if gateway:
                # Gateway endpoints: only "*" lets roles through; an account ID
                # or ARN names the account's root user alone.
                continue
            root = _ROOT.fullmatch(pid)
            if is_account_id(pid) or root is not None:
                if scope != "named" and (root.group(2) if root else pid) == account:
                    return True
                continue
            if scope != "account" and ctx.principal_arn and arn_match(pid, ctx.principal_arn):
                return True
    return False


def _principal_test(
    ctx: RequestContext, gateway: bool, scope: PrincipalScope = "any"
) -> PrincipalTest:
    def test(stmt: Statement) -> Outcome:
        if stmt.principals is not None:
            return Outcome.of(_caller_in(stmt.principals, ctx, gateway, scope))
        if stmt.not_principals is not None:
            return Outcome.of(not _caller_in(stmt.not_principals, ctx, gateway))
        # Judgement: AWS requires Principal in endpoint policies, so a statement
        # without one cannot be stored; if one turns up, read it as "*".
        return _TRUE

    return test


# -- policy types ("gates") ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hit:
    policy: Policy
    statement: Statement
    outcome: Outcome  # TRUE or UNKNOWN


@dataclass(slots=True)
class _Gate:
    kind: str  # "identity", "boundary", "scp", "resource"
    policies: tuple[Policy, ...]
    denies: list[_Hit] = field(default_factory=list)
    allows: list[_Hit] = field(default_factory=list)

    def certain(self, hits: list[_Hit]) -> _Hit | None:
        return next((h for h in hits if h.outcome.truth is Truth.TRUE), None)

    def uncertain(self, hits: list[_Hit]) -> list[_Hit]:
        return [h for h in hits if h.outcome.truth is Truth.UNKNOWN]


def _scan(
    kind: str, policies: Sequence[Policy], ctx: RequestContext, principal: PrincipalTest | None
) -> _Gate:
    gate = _Gate(kind, tuple(policies))
    kctx = KeyContext(ctx.keys, ctx.absent_keys)
    for policy in policies:
        for stmt in policy.statements:
            outcome = _applies(policy, stmt, ctx, kctx, principal)
            if outcome.truth is Truth.FALSE:
                continue
            (gate.denies if stmt.effect == "Deny" else gate.allows).append(
                _Hit(policy, stmt, outcome)
            )
    return gate


def _what(ctx: RequestContext) -> str:
    return ctx.action if ctx.resource == "*" else f"{ctx.action} on {ctx.resource}"


def _names(policies: tuple[Policy, ...]) -> str:
    names = [p.name for p in policies]
    if len(names) <= 3:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more"


def _keys_text(keys: tuple[str, ...]) -> str:
    return ", ".join(keys) if keys else "a condition"


def _no_allow(gate: _Gate, ctx: RequestContext) -> Evaluation:
    what = _what(ctx)
    single = gate.policies[0].name if len(gate.policies) == 1 else None
    if gate.kind == "identity":
        if not gate.policies:
            text = f"no identity-based policy is attached, so {what} is implicitly denied"
        else:
            text = (
                f"no statement of {_names(gate.policies)} allows {what}, so it is implicitly denied"
            )
        return Evaluation(Decision.NO_ALLOW, single, None, (), text)
    if gate.kind == "boundary":
        text = f"permissions boundary {single} does not allow {what}, so it is implicitly denied"
    elif gate.kind == "scp":
        text = f"service control policy {single} does not allow {what}, so it is implicitly denied"
    else:
        who = ctx.principal_arn or "an anonymous caller"
        text = f"no statement of {single} allows {what} for {who}, so it is implicitly denied"
    return Evaluation(Decision.NO_ALLOW, single, None, (), text)


def _combine(gates: Sequence[_Gate], ctx: RequestContext) -> Evaluation:
    what = _what(ctx)
    for gate in gates:
        deny = gate.certain(gate.denies)
        if deny is not None:
            text = f"{what} is explicitly denied by {deny.statement.label} of {deny.policy.name}"
            return Evaluation(Decision.DENY, deny.policy.name, deny.statement, (), text)
    for gate in gates:
        if not gate.allows:
            return _no_allow(gate, ctx)

    maybe_denies = [h for gate in gates for h in gate.uncertain(gate.denies)]
    maybe_allows = [h for gate in gates if gate.certain(gate.allows) is None for h in gate.allows]
    if maybe_denies or maybe_allows:
        keys = Outcome.any_of(h.outcome for h in maybe_denies + maybe_allows).unknown_keys
        if maybe_denies:
            hit = maybe_denies[0]
            text = (
                f"{hit.statement.label} of {hit.policy.name} may deny {what}: it depends on "
                f"{_keys_text(hit.outcome.unknown_keys)}, which the snapshot cannot decide"
            )
        else:
            hit = maybe_allows[0]
            text = (
                f"only {hit.statement.label} of {hit.policy.name} could allow {what}, "
                f"and it depends on {_keys_text(hit.outcome.unknown_keys)}, "
                "which the snapshot cannot decide"
            )
        return Evaluation(Decision.UNKNOWN, hit.policy.name, hit.statement, keys, text)

    allow = gates[0].certain(gates[0].allows)
    assert allow is not None
    text = f"{what} is allowed by {allow.statement.label} of {allow.policy.name}"
    return Evaluation(Decision.ALLOW, allow.policy.name, allow.statement, (), text)


# -- public entry points ---------------------------------------------------------


def evaluate_identity(
    policies: Sequence[Policy],
    ctx: RequestContext,
    *,
    boundary: Policy | None = None,
    scps: Sequence[Policy] = (),
) -> Evaluation:
    """Identity-based evaluation of one request by a role.

    Principal elements are ignored. An explicit Deny in an identity policy, the
    boundary or an SCP wins; the identity policies must allow the request, and
    so must the boundary (when given) and every SCP (when any are given).
    """
    gates = [_scan("identity", policies, ctx, None)]
    if boundary is not None:
        gates.append(_scan("boundary", (boundary,), ctx, None))
    gates.extend(_scan("scp", (scp,), ctx, None) for scp in scps)
    return _combine(gates, ctx)


def evaluate_resource_policy(
    policy: Policy, ctx: RequestContext, *, gateway: bool = False
) -> Evaluation:
    """Evaluation of one request against a resource-based policy (a VPC endpoint policy).

    A statement applies only when its Principal (or NotPrincipal) covers the
    caller: `"*"` or `{"AWS": "*"}` covers anyone; an account ID or
    `arn:aws:iam::ACCOUNT:root` covers every principal of that account; a role
    ARN covers that role (ARN wildcards allowed); Service and Federated
    principals never cover a role. With `gateway=True` (an S3 or DynamoDB
    gateway endpoint) only `"*"` covers a role: for gateway endpoints "the
    Principal element must be set to *", and an account ID there grants access
    to the account's root user only (PrivateLink guide, "Principals for gateway
    endpoints"). Then the Allow/Deny logic of `evaluate_identity` applies.
    """
    return _combine([_scan("resource", (policy,), ctx, _principal_test(ctx, gateway))], ctx)


@dataclass(frozen=True, slots=True)
class KeyPolicyEvaluation:
    """A KMS key policy's answer to one request, in the two ways a key policy grants.

    `direct`: the statements that name the caller (its ARN, or `*`) allow it; IAM policies
    are then not needed. `delegated`: a statement allowing the caller's account (its ID or
    `arn:...:root`) lets the account's IAM policies decide. An explicit Deny of any
    Principal form that covers the caller, the account included, is in both.
    """

    direct: Evaluation
    delegated: Evaluation


def evaluate_key_policy(policy: Policy, ctx: RequestContext) -> KeyPolicyEvaluation:
    """A KMS key policy (KMS developer guide, "Key policies in AWS KMS" and "Allows access
    to the AWS account and enables IAM policies",
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): unlike
    other resource-based policies, a key policy that names the account does not itself
    grant the account's roles anything; it delegates to their IAM policies. No principal
    uses a key unless the key policy allows it, directly or by that delegation."""
    denies = _scan("resource", (policy,), ctx, _principal_test(ctx, False, "any")).denies
    named = _scan("resource", (policy,), ctx, _principal_test(ctx, False, "named"))
    account = _scan("resource", (policy,), ctx, _principal_test(ctx, False, "account"))
    named.denies = account.denies = denies
    return KeyPolicyEvaluation(_combine([named], ctx), _combine([account], ctx))
