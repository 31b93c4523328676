"""IAM wildcard matching: `*`, `?`, literal metacharacters, ARN parts."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssmreach.policy.wildcard import arn_match, has_wildcard, is_account_id, wildcard_match


def reference_match(pattern: str, value: str, case_sensitive: bool) -> bool:
    """Obvious recursive matcher used as the oracle (memoised on positions)."""
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        c = pattern[i]
        if c == "*":
            return go(i + 1, j) or (j < len(value) and go(i, j + 1))
        if j == len(value):
            return False
        if c == "?" or c == value[j]:
            return go(i + 1, j + 1)
        return False

    return go(0, 0)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("", "", True),
        ("", "a", False),
        ("*", "", True),
        ("**", "", True),
        ("*", "anything:at/all", True),
        ("?", "", False),
        ("?", "a", True),
        ("?", "ab", False),
        ("a*", "a", True),
        ("*a", "a", True),
        ("a*b", "ab", True),
        ("a*b", "axxb", True),
        ("a*b", "axxbc", False),
        ("a?c", "abc", True),
        ("a?c", "ac", False),
        ("*?", "", False),
        ("*?*", "x", True),
        ("a*b*c", "abbbcxc", True),
        ("a*b*c", "acb", False),
    ],
)
def test_star_and_question_mark(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_match(pattern, value, case_sensitive=True) is expected


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("a.c", "a.c"),
        ("a+b", "a+b"),
        ("[ab]", "[ab]"),
        ("x\\d", "x\\d"),
        ("(a|b)", "(a|b)"),
        ("^a$", "^a$"),
        ("{1,2}", "{1,2}"),
    ],
)
def test_regex_metacharacters_are_literal(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value, case_sensitive=True)


@pytest.mark.parametrize(
    ("pattern", "value"),
    [("a.c", "abc"), ("a+", "aa"), ("[ab]", "a"), ("x\\d", "x1"), ("(a|b)", "a"), ("a.*", "abc")],
)
def test_regex_metacharacters_do_not_act_as_regex(pattern: str, value: str) -> None:
    assert not wildcard_match(pattern, value, case_sensitive=True)


def test_actions_case_insensitive_resources_case_sensitive() -> None:
    assert wildcard_match("ssm:update*", "ssm:UpdateInstanceInformation", case_sensitive=False)
    assert wildcard_match("SSM:*", "ssm:GetDocument", case_sensitive=False)
    assert not wildcard_match("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", case_sensitive=True)
    # `?` keeps meaning one character even when case folding grows a character.
    assert wildcard_match("?", "ß", case_sensitive=False)
    assert not wildcard_match("??", "ß", case_sensitive=False)


def test_long_inputs_do_not_blow_up() -> None:
    pattern = "*a" * 40 + "b"
    assert not wildcard_match(pattern, "a" * 2000, case_sensitive=True)


_ALPHABET = "ab*?."


@settings(max_examples=500)
@given(
    pattern=st.text(alphabet=_ALPHABET, max_size=8),
    value=st.text(alphabet="ab*?.", max_size=10),
)
def test_matches_reference_case_sensitive(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value, case_sensitive=True) is reference_match(
        pattern, value, True
    )


@settings(max_examples=300)
@given(
    pattern=st.text(alphabet="aAbB*?", max_size=8),
    value=st.text(alphabet="aAbB", max_size=10),
)
def test_matches_reference_case_insensitive(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value, case_sensitive=False) is reference_match(
        pattern, value, False
    )


@given(value=st.text(alphabet="ab:/", max_size=12))
def test_star_matches_everything_and_literal_matches_itself(value: str) -> None:
    assert wildcard_match("*", value, case_sensitive=True)
    if not has_wildcard(value):
        assert wildcard_match(value, value, case_sensitive=True)


def test_arn_match_parts() -> None:
    instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-0ab"
    assert arn_match("*", instance)
    assert arn_match("arn:aws:ec2:*:*:instance/*", instance)
    assert arn_match("arn:aws:ec2:us-east-?:111122223333:instance/i-*", instance)
    assert not arn_match("arn:aws:ec2:us-west-2:*:instance/*", instance)
    assert not arn_match("arn:aws:ec2:*:*:volume/*", instance)
    # A trailing `*` reaches past the colons of the remaining parts.
    assert arn_match("arn:aws:*", instance)
    assert arn_match("arn:aws:ec2:us-east-1:*", instance)
    assert not arn_match("arn:aws:ec2:us-east-1", instance)
    # The resource part keeps its colons.
    log = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/ssm/x:log-stream:y"
    assert arn_match("arn:aws:logs:*:*:log-group:/aws/ssm/*", log)
    # Case-sensitive.
    assert not arn_match("arn:aws:s3:::AWS-SSM-us-east-1/*", "arn:aws:s3:::aws-ssm-us-east-1/*")
    # Not an ARN: plain wildcard comparison.
    assert arn_match("arn:aws:s3:::b/*", "arn:aws:s3:::b/key") is True
    assert not arn_match("arn:aws:s3:::b/*", "*")


def test_is_account_id() -> None:
    assert is_account_id("111122223333")
    assert not is_account_id("11112222333")
    assert not is_account_id("arn:aws:iam::111122223333:root")
