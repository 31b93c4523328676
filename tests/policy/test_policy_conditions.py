"""Condition operators, IfExists, Null, set qualifiers, absent and unknown keys."""

from __future__ import annotations

import pytest

from ssmreach.policy.conditions import (
    Condition,
    KeyContext,
    Outcome,
    Truth,
    evaluate_condition,
    evaluate_conditions,
    substitute_variables,
)

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN

CTX = KeyContext(
    {
        "aws:sourcevpce": ("vpce-1a2b3c4d",),
        "aws:principalarn": ("arn:aws:iam::111122223333:role/ssm-core",),
        "aws:securetransport": ("true",),
        "aws:principalorgpaths": ("o-a/r-b/ou-c/", "o-a/r-b/ou-d/"),
        "aws:username": ("alice",),
        "aws:empty": (),
        "aws:star": ("a*b",),
    },
    absent=["aws:sourceip", "aws:SourceVpc"],
)


def truth(operator: str, key: str, *values: str, ctx: KeyContext = CTX) -> Truth:
    return evaluate_condition(Condition(operator, key, values), ctx).truth


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("StringEquals", ("vpce-1a2b3c4d",), T),
        ("StringEquals", ("VPCE-1A2B3C4D",), F),
        ("StringEquals", ("vpce-x", "vpce-1a2b3c4d"), T),  # values are ORed
        ("StringEquals", ("vpce-*",), F),  # no wildcards in StringEquals
        ("StringNotEquals", ("vpce-1a2b3c4d",), F),
        ("StringNotEquals", ("vpce-x", "vpce-y"), T),
        ("StringNotEquals", ("vpce-x", "vpce-1a2b3c4d"), F),  # NOR: matches one of them
        ("StringEqualsIgnoreCase", ("VPCE-1A2B3C4D",), T),
        ("StringEqualsIgnoreCase", ("vpce-2",), F),
        ("StringNotEqualsIgnoreCase", ("VPCE-1A2B3C4D",), F),
        ("StringNotEqualsIgnoreCase", ("vpce-2",), T),
        ("StringLike", ("vpce-1a2b*",), T),
        ("StringLike", ("vpce-?a2b3c4d",), T),
        ("StringLike", ("VPCE-*",), F),  # case-sensitive
        ("StringNotLike", ("vpce-1a2b*",), F),
        ("StringNotLike", ("vpce-9*", "x*"), T),
        ("StringEqualsIfExists", ("vpce-1a2b3c4d",), T),
        ("StringEqualsIfExists", ("vpce-x",), F),
        ("StringNotEqualsIfExists", ("vpce-x",), T),
        ("StringLikeIfExists", ("vpce-*",), T),
    ],
)
def test_string_operators(operator: str, values: tuple[str, ...], expected: Truth) -> None:
    assert truth(operator, "aws:SourceVpce", *values) is expected


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("ArnEquals", ("arn:aws:iam::111122223333:role/ssm-core",), T),
        ("ArnEquals", ("arn:aws:iam::111122223333:role/*",), T),  # ArnEquals takes wildcards too
        ("ArnLike", ("arn:aws:iam::*:role/ssm-*",), T),
        ("ArnLike", ("arn:aws:iam::444455556666:role/*",), F),
        ("ArnLike", ("arn:aws:iam::111122223333:ROLE/*",), F),
        ("ArnNotEquals", ("arn:aws:iam::111122223333:role/other",), T),
        ("ArnNotLike", ("arn:aws:iam::*:role/ssm-*",), F),
        ("ArnNotLike", ("arn:aws:iam::*:user/*",), T),
        ("ArnLikeIfExists", ("arn:aws:iam::*:role/*",), T),
    ],
)
def test_arn_operators(operator: str, values: tuple[str, ...], expected: Truth) -> None:
    assert truth(operator, "aws:PrincipalArn", *values) is expected


def test_bool() -> None:
    assert truth("Bool", "aws:SecureTransport", "true") is T
    assert truth("Bool", "aws:SecureTransport", "True") is T
    assert truth("Bool", "aws:SecureTransport", "false") is F
    assert truth("BoolIfExists", "aws:SecureTransport", "false") is F
    assert truth("Bool", "aws:SourceIp", "true") is F  # absent key
    assert truth("BoolIfExists", "aws:SourceIp", "false") is T


def test_null() -> None:
    assert truth("Null", "aws:SourceIp", "true") is T  # absent
    assert truth("Null", "aws:SourceIp", "false") is F
    assert truth("Null", "aws:SourceVpce", "true") is F  # present
    assert truth("Null", "aws:SourceVpce", "false") is T
    assert truth("Null", "aws:Empty", "true") is T  # known but empty counts as absent
    assert truth("Null", "aws:SourceVpce", "true", "false") is T  # ORed
    assert truth("Null", "aws:Unknown", "true") is U
    assert truth("Null", "aws:SourceVpce", "maybe") is U


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        # AWS: absent key -> positive operators false, negated operators true ...
        ("StringEquals", F),
        ("StringLike", F),
        ("StringEqualsIgnoreCase", F),
        ("ArnEquals", F),
        ("ArnLike", F),
        ("Bool", F),
        ("StringNotEquals", T),
        ("StringNotLike", T),
        ("StringNotEqualsIgnoreCase", T),
        ("ArnNotEquals", T),
        ("ArnNotLike", T),
        # ... whatever the operator, even ones whose values are not compared here
        ("IpAddress", F),
        ("NotIpAddress", T),
        ("NumericLessThan", F),
        ("NumericNotEquals", T),
        ("DateGreaterThan", F),
        ("DateNotEquals", T),
        ("BinaryEquals", F),
        # ... and IfExists is true when the key is absent
        ("StringEqualsIfExists", T),
        ("ArnLikeIfExists", T),
        ("IpAddressIfExists", T),
        ("StringNotEqualsIfExists", T),
        # set qualifiers: ForAllValues true on an absent key, ForAnyValue false
        ("ForAllValues:StringEquals", T),
        ("ForAllValues:StringNotEquals", T),
        ("ForAnyValue:StringEquals", F),
        ("ForAnyValue:StringNotEquals", F),
        ("ForAnyValue:StringEqualsIfExists", T),
    ],
)
def test_known_absent_key(operator: str, expected: Truth) -> None:
    assert truth(operator, "aws:SourceIp", "x") is expected
    # key names are case-insensitive, including in absent_keys
    assert truth(operator, "AWS:SOURCEVPC", "x") is expected


def test_unknown_key_reports_the_key() -> None:
    outcome = evaluate_condition(Condition("StringEquals", "aws:PrincipalOrgID", ("o-1",)), CTX)
    assert outcome == Outcome(U, ("aws:PrincipalOrgID",))
    for op in ("StringNotEquals", "StringEqualsIfExists", "ForAllValues:StringLike", "Bool"):
        assert truth(op, "ec2:SourceInstanceARN", "x") is U


@pytest.mark.parametrize(
    "operator",
    [
        "IpAddress",
        "NotIpAddress",
        "NumericEquals",
        "DateLessThan",
        "BinaryEquals",
        "StringFancy",
        "NullIfExists",
    ],
)
def test_unevaluated_operators_on_a_present_key_are_unknown(operator: str) -> None:
    outcome = evaluate_condition(Condition(operator, "aws:SourceVpce", ("10.0.0.0/8",)), CTX)
    assert outcome.truth is U
    assert outcome.unknown_keys == ("aws:SourceVpce",)


def test_unknown_operator_is_unknown_even_for_absent_key() -> None:
    assert truth("StringFancy", "aws:SourceIp", "x") is U


def test_for_any_value_and_for_all_values_on_multivalued_key() -> None:
    key = "aws:PrincipalOrgPaths"
    assert truth("ForAnyValue:StringLike", key, "o-a/r-b/ou-c/*") is T
    assert truth("ForAnyValue:StringLike", key, "o-z/*") is F
    assert truth("ForAllValues:StringLike", key, "o-a/r-b/ou-c/*") is F
    assert truth("ForAllValues:StringLike", key, "o-a/r-b/ou-c/*", "o-a/r-b/ou-d/*") is T
    assert truth("ForAllValues:StringLike", key, "o-a/*") is T
    # negated with a qualifier: each request value must (any: some value must) match none
    assert truth("ForAnyValue:StringNotLike", key, "o-a/r-b/ou-c/*") is T
    assert truth("ForAllValues:StringNotLike", key, "o-a/r-b/ou-c/*") is F
    assert truth("ForAllValues:StringNotLike", key, "o-z/*") is T
    # empty set of values behaves like an absent key
    assert truth("ForAllValues:StringEquals", "aws:Empty", "x") is T
    assert truth("ForAnyValue:StringEquals", "aws:Empty", "x") is F
    # without a qualifier a multi-valued key matches when any value matches
    assert truth("StringLike", key, "o-a/r-b/ou-d/*") is T
    assert truth("StringNotLike", key, "o-a/r-b/ou-d/*") is F


def test_block_semantics_and_or() -> None:
    ok = Condition("StringEquals", "aws:SourceVpce", ("vpce-1a2b3c4d",))
    bad = Condition("StringEquals", "aws:SourceVpce", ("vpce-2",))
    unknown = Condition("StringEquals", "aws:PrincipalOrgID", ("o-1",))
    assert evaluate_conditions((), CTX).truth is T
    assert evaluate_conditions((ok, ok), CTX).truth is T
    assert evaluate_conditions((ok, bad), CTX).truth is F
    # a certain false beats an unknown in an AND
    assert evaluate_conditions((unknown, bad), CTX).truth is F
    assert evaluate_conditions((ok, unknown), CTX) == Outcome(U, ("aws:PrincipalOrgID",))


def test_policy_variables() -> None:
    assert truth("StringEquals", "aws:SourceVpce", "${aws:SourceVpce}") is T
    assert truth("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/${aws:username}") is F
    assert truth("StringEquals", "aws:Username", "${aws:username}") is T
    # a default is used when the key is known to be absent
    assert truth("StringEquals", "aws:Username", "${aws:SourceIp, 'alice'}") is T
    # unknown key, multi-valued key, absent key without default: UNKNOWN, variable key reported
    outcome = evaluate_condition(
        Condition("StringEquals", "aws:Username", ("${aws:PrincipalTag/team}",)), CTX
    )
    assert outcome == Outcome(U, ("aws:PrincipalTag/team",))
    assert truth("StringEquals", "aws:Username", "${aws:PrincipalOrgPaths}") is U
    assert truth("StringEquals", "aws:Username", "${aws:SourceIp}") is U
    # escapes
    assert truth("StringEquals", "aws:Star", "a${*}b") is T
    assert (
        truth("StringLike", "aws:Star", "a${*}b") is U
    )  # a literal * cannot be expressed in a pattern
    # Version 2008-10-17: `${...}` is literal text
    cond = Condition("StringEquals", "aws:Username", ("${aws:username}",))
    assert evaluate_condition(cond, CTX, variables=False).truth is F


def test_substitute_variables() -> None:
    assert substitute_variables("plain", CTX).text == "plain"
    assert substitute_variables("u/${aws:username}/x", CTX).text == "u/alice/x"
    assert substitute_variables("${$}{x}", CTX).text == "${x}"
    sub = substitute_variables("${aws:PrincipalTag/x}-${aws:username}", CTX)
    assert sub.text is None and sub.unknown_keys == ("aws:PrincipalTag/x",)
    assert substitute_variables("${a b}", CTX).text is None


def test_operator_names_are_read_case_insensitively() -> None:
    assert truth("stringequals", "aws:SourceVpce", "vpce-1a2b3c4d") is T
    assert truth("forallvalues:stringlike", "aws:PrincipalOrgPaths", "o-a/*") is T
