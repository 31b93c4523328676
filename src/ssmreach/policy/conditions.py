"""The `Condition` element of IAM policies, evaluated with three outcomes.

A condition is TRUE, FALSE or UNKNOWN. UNKNOWN means the snapshot cannot
decide it: the request's value for the key is not known, the operator is one
this module does not evaluate, or a policy variable cannot be substituted.

Rules, with their sources (IAM User Guide):

- Condition operators,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
  "If the key that you specify in a policy condition is not present in the
  request context, the values do not match and the condition is false. If the
  policy condition requires that the key is not matched, such as StringNotLike
  or ArnNotLike, and the right key is not present, the condition is true. This
  logic applies to all condition operators except ...IfExists and Null check."
  So for a key known to be absent: a positive operator is FALSE, a negated one
  (`StringNotEquals`, `StringNotEqualsIgnoreCase`, `StringNotLike`,
  `ArnNotEquals`, `ArnNotLike`, and also `NumericNotEquals`, `DateNotEquals`,
  `NotIpAddress`) is TRUE, any `...IfExists` is TRUE, and `Null` is TRUE for
  "true" and FALSE for "false". Because that rule holds for every operator,
  an absent key is decided even for operators whose values this module does
  not compare (Numeric*, Date*, IpAddress, BinaryEquals); with the key present
  those stay UNKNOWN.
- `ArnEquals` and `ArnLike` behave the same (each of the six ARN parts is
  matched on its own, wildcards allowed); so do `ArnNotEquals` and `ArnNotLike`.
- Multiple context keys or values,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html:
  operators in one block are ANDed, keys under one operator are ANDed, values
  under one key are ORed, and for a negated operator they are NORed (true only
  when the request value matches none of them).
- Set operators, same page and
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
  `ForAllValues:` is true when every request value satisfies the operator and
  also when the key is absent or empty; `ForAnyValue:` is true when at least one
  request value does, and false when the key is absent or empty. With a negated
  operator, "satisfies" means "matches none of the policy values".
- Context key names are case-insensitive; values are case-sensitive except
  for the `...IgnoreCase` operators and `Bool` ("true"/"false").
- Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`,
  and the escapes `${*}`, `${?}`, `${$}`),
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html:
  a variable is replaced by the key's single known value, or by its default
  when the key is known to be absent. Anything else (unknown key, several
  values, absent without a default) cannot be substituted and makes the
  condition UNKNOWN.

Judgement (not spelled out by AWS): a key that is known with an empty list of
values counts as absent, and a multi-valued request key under an operator
without a set prefix matches when any of its values matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from ssmreach.policy.wildcard import arn_match, wildcard_match

__all__ = [
    "Condition",
    "KeyContext",
    "Outcome",
    "Substitution",
    "Truth",
    "evaluate_condition",
    "evaluate_conditions",
    "substitute_variables",
]


@dataclass(frozen=True, slots=True)
class Condition:
    """One operator/key pair of a Condition block, with the policy's values."""

    operator: str  # as written, e.g. "ForAnyValue:StringLike", "StringEqualsIfExists"
    key: str  # as written, e.g. "aws:SourceVpce"
    values: tuple[str, ...]  # JSON values as strings ("true"/"false" for booleans)


class Truth(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A three-valued result and, for UNKNOWN, the keys that could not be decided."""

    truth: Truth
    unknown_keys: tuple[str, ...] = ()

    @staticmethod
    def of(value: bool) -> Outcome:
        return _TRUE if value else _FALSE

    @staticmethod
    def unknown(*keys: str) -> Outcome:
        return Outcome(Truth.UNKNOWN, _dedupe(keys))

    @staticmethod
    def all_of(outcomes: Iterable[Outcome]) -> Outcome:
        """Logical AND: one certain FALSE decides; otherwise any UNKNOWN makes it UNKNOWN."""
        unknown: list[str] = []
        undecided = False
        for outcome in outcomes:
            if outcome.truth is Truth.FALSE:
                return _FALSE
            if outcome.truth is Truth.UNKNOWN:
                undecided = True
                unknown.extend(outcome.unknown_keys)
        return Outcome(Truth.UNKNOWN, _dedupe(unknown)) if undecided else _TRUE

    @staticmethod
    def any_of(outcomes: Iterable[Outcome]) -> Outcome:
        """Logical OR: one certain TRUE decides; otherwise any UNKNOWN makes it UNKNOWN."""
        unknown: list[str] = []
        undecided = False
        for outcome in outcomes:
            if outcome.truth is Truth.TRUE:
                return _TRUE
            if outcome.truth is Truth.UNKNOWN:
                undecided = True
                unknown.extend(outcome.unknown_keys)
        return Outcome(Truth.UNKNOWN, _dedupe(unknown)) if undecided else _FALSE

    def negated(self) -> Outcome:
        if self.truth is Truth.UNKNOWN:
            return self
        return Outcome.of(self.truth is Truth.FALSE)


_TRUE = Outcome(Truth.TRUE)
_FALSE = Outcome(Truth.FALSE)


def _dedupe(keys: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for key in keys:
        folded = key.lower()
        if folded not in seen:
            seen.add(folded)
            out.append(key)
    return tuple(out)


class KeyContext:
    """What the request is known to carry: key values, and keys known to be absent."""

    __slots__ = ("_absent", "_known")

    def __init__(self, keys: Mapping[str, Sequence[str]], absent: Iterable[str] = ()) -> None:
        self._known = {k.lower(): tuple(v) for k, v in keys.items()}
        self._absent = frozenset(k.lower() for k in absent)

    def lookup(self, key: str) -> tuple[str, ...] | None:
        """The key's values; `()` when it is absent; None when it is unknown."""
        folded = key.lower()
        values = self._known.get(folded)
        if values is not None:
            return values
        if folded in self._absent:
            return ()
        return None


# -- policy variables ---------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_BODY = re.compile(r"\s*([^,\s']+)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Substitution:
    """The text with its variables replaced, or None with the keys that blocked it."""

    text: str | None
    unknown_keys: tuple[str, ...] = ()
    # True when a `*` or `?` came from a variable or an escape: in a pattern it
    # must be literal, which a plain wildcard string cannot say.
    literal_wildcard: bool = False


def substitute_variables(text: str, ctx: KeyContext) -> Substitution:
    """Replace `${...}` policy variables in `text` from the known request keys."""
    if "${" not in text:
        return Substitution(text)
    blocked: list[str] = []
    literal_wildcard = False

    def replace(match: re.Match[str]) -> str:
        nonlocal literal_wildcard
        body = match.group(1)
        if body in _ESCAPES:
            literal_wildcard = literal_wildcard or body in "*?"
            return _ESCAPES[body]
        parsed = _VARIABLE_BODY.fullmatch(body)
        if parsed is None:
            blocked.append(body.strip() or match.group(0))
            return ""
        key, default = parsed.group(1), parsed.group(2)
        values = ctx.lookup(key)
        if values is not None and len(values) == 1:
            value = values[0]
        elif values == () and default is not None:
            value = default
        else:
            blocked.append(key)
            return ""
        literal_wildcard = literal_wildcard or "*" in value or "?" in value
        return value

    result = _VARIABLE.sub(replace, text)
    if blocked:
        return Substitution(None, _dedupe(blocked))
    return Substitution(result, (), literal_wildcard)


# -- operators ------------------------------------------------------------------

_Kind = Literal["string", "istring", "like", "arn", "bool", "null", "opaque"]


@dataclass(frozen=True, slots=True)
class _Operator:
    kind: _Kind
    negated: bool
    if_exists: bool
    qualifier: Literal["any", "all"] | None


# base operator (lower case) -> (kind, negated)
_BASES: dict[str, tuple[_Kind, bool]] = {
    "stringequals": ("string", False),
    "stringnotequals": ("string", True),
    "stringequalsignorecase": ("istring", False),
    "stringnotequalsignorecase": ("istring", True),
    "stringlike": ("like", False),
    "stringnotlike": ("like", True),
    "arnequals": ("arn", False),
    "arnlike": ("arn", False),
    "arnnotequals": ("arn", True),
    "arnnotlike": ("arn", True),
    "bool": ("bool", False),
    "null": ("null", False),
    # Operators whose values are not compared here: only an absent key is decided.
    "numericequals": ("opaque", False),
    "numericnotequals": ("opaque", True),
    "numericlessthan": ("opaque", False),
    "numericlessthanequals": ("opaque", False),
    "numericgreaterthan": ("opaque", False),
    "numericgreaterthanequals": ("opaque", False),
    "dateequals": ("opaque", False),
    "datenotequals": ("opaque", True),
    "datelessthan": ("opaque", False),
    "datelessthanequals": ("opaque", False),
    "dategreaterthan": ("opaque", False),
    "dategreaterthanequals": ("opaque", False),
    "ipaddress": ("opaque", False),
    "notipaddress": ("opaque", True),
    "binaryequals": ("opaque", False),
}


def _parse_operator(operator: str) -> _Operator | None:
    name = operator.strip().lower()
    qualifier: Literal["any", "all"] | None = None
    if name.startswith("foranyvalue:"):
        qualifier, name = "any", name[len("foranyvalue:") :]
    elif name.startswith("forallvalues:"):
        qualifier, name = "all", name[len("forallvalues:") :]
    if_exists = name.endswith("ifexists")
    if if_exists:
        name = name[: -len("ifexists")]
    base = _BASES.get(name)
    if base is None:
        return None
    kind, negated = base
    if kind == "null" and (if_exists or qualifier is not None):
        return None  # "NullIfExists" and set-qualified Null are not IAM operators
    return _Operator(kind, negated, if_exists, qualifier)


def _matches(kind: _Kind, pattern: str, value: str) -> bool:
    if kind == "string":
        return pattern == value
    if kind == "istring":
        return pattern.casefold() == value.casefold()
    if kind == "like":
        return wildcard_match(pattern, value, case_sensitive=True)
    if kind == "arn":
        return arn_match(pattern, value)
    if kind == "bool":
        return pattern.lower() == value.lower()
    raise AssertionError(kind)  # pragma: no cover - null/opaque never compare values


def evaluate_condition(condition: Condition, ctx: KeyContext, *, variables: bool = True) -> Outcome:
    """Evaluate one operator/key pair against the request.

    `variables=False` reads `${...}` literally, as IAM does for policies whose
    Version is not "2012-10-17".
    """
    op = _parse_operator(condition.operator)
    if op is None:
        return Outcome.unknown(condition.key)
    present = ctx.lookup(condition.key)
    if present is None:
        return Outcome.unknown(condition.key)

    if op.kind == "null":
        wanted: list[bool] = []  # True: "the key is absent"
        for raw in condition.values:
            flag = raw.strip().lower()
            if flag not in ("true", "false"):
                return Outcome.unknown(condition.key)
            wanted.append(flag == "true")
        return Outcome.of((not present) in wanted)

    if not present:
        if op.if_exists:
            return _TRUE
        if op.qualifier == "all":
            return _TRUE
        if op.qualifier == "any":
            return _FALSE
        return Outcome.of(op.negated)

    if op.kind == "opaque":
        return Outcome.unknown(condition.key)

    patterns: list[str] = []
    blocked: list[str] = []
    for raw in condition.values:
        sub = substitute_variables(raw, ctx) if variables else Substitution(raw)
        if sub.text is None:
            blocked.extend(sub.unknown_keys)
        elif sub.literal_wildcard and op.kind in ("like", "arn"):
            blocked.append(condition.key)
        else:
            patterns.append(sub.text)
    if blocked:
        return Outcome.unknown(*blocked)

    def satisfied(value: str) -> bool:
        hit = any(_matches(op.kind, pattern, value) for pattern in patterns)
        return not hit if op.negated else hit

    if op.qualifier == "all" or (op.qualifier is None and op.negated):
        return Outcome.of(all(satisfied(v) for v in present))
    return Outcome.of(any(satisfied(v) for v in present))


def evaluate_conditions(
    conditions: Iterable[Condition], ctx: KeyContext, *, variables: bool = True
) -> Outcome:
    """All conditions of a statement, ANDed (an empty block is TRUE)."""
    return Outcome.all_of(evaluate_condition(c, ctx, variables=variables) for c in conditions)
