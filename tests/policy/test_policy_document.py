"""Parsing policy documents: accepted shapes and malformed input."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from ssmreach.policy.conditions import Condition
from ssmreach.policy.document import PolicyParseError, admits_any_principal, parse_policy

CORE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Agent",
            "Effect": "Allow",
            "Action": ["ssm:UpdateInstanceInformation", "ssm:GetDocument"],
            "Resource": "*",
        },
        {"Effect": "Deny", "NotAction": "ssm:*", "NotResource": ["arn:aws:ssm:*:*:document/*"]},
    ],
}


def test_dict_document() -> None:
    policy = parse_policy(CORE, "core")
    assert policy.name == "core"
    assert policy.version == "2012-10-17"
    first, second = policy.statements
    assert first.index == 0 and first.sid == "Agent" and first.effect == "Allow"
    assert first.actions == ("ssm:UpdateInstanceInformation", "ssm:GetDocument")
    assert first.not_actions is None
    assert first.resources == ("*",) and first.not_resources is None
    assert first.principals is None and first.not_principals is None
    assert first.conditions == ()
    assert json.loads(first.source) == CORE["Statement"][0]
    assert " " not in first.source.replace("ssm:Update", "")  # compact JSON
    assert second.index == 1 and second.sid is None
    assert second.actions is None and second.not_actions == ("ssm:*",)
    assert second.resources is None and second.not_resources == ("arn:aws:ssm:*:*:document/*",)
    assert second.label == "statement #1"
    assert first.label == 'statement "Agent" (#0)'


def test_json_string_and_url_encoded_string_give_the_same_policy() -> None:
    text = json.dumps(CORE)
    from_dict = parse_policy(CORE, "p")
    assert parse_policy(text, "p") == from_dict
    assert parse_policy(quote(text), "p") == from_dict
    assert parse_policy(quote(text, safe=""), "p") == from_dict
    assert parse_policy(text.encode(), "p") == from_dict


def test_single_statement_object_and_missing_resource() -> None:
    policy = parse_policy({"Statement": {"Effect": "Allow", "Action": "s3:GetObject"}}, "p")
    (stmt,) = policy.statements
    assert stmt.actions == ("s3:GetObject",)
    assert stmt.resources == ("*",)
    assert policy.version is None


def test_principal_forms() -> None:
    doc = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {
                "Effect": "Allow",
                "Principal": {"AWS": "111122223333", "Service": ["ec2.amazonaws.com"]},
                "Action": "*",
            },
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/a"]},
                "Action": "*",
            },
        ]
    }
    a, b, c = parse_policy(doc, "p").statements
    assert a.principals == {"*": ("*",)}
    assert b.principals == {"AWS": ("111122223333",), "Service": ("ec2.amazonaws.com",)}
    assert c.principals is None
    assert c.not_principals == {"AWS": ("arn:aws:iam::111122223333:role/a",)}
    hash(a)  # statements stay hashable although they hold mappings


def test_condition_values_are_normalised_to_strings() -> None:
    doc = {
        "Statement": {
            "Effect": "Allow",
            "Action": "*",
            "Condition": {
                "Bool": {"aws:SecureTransport": True},
                "StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"], "ssm:Count": 3},
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-1/*"},
            },
        }
    }
    (stmt,) = parse_policy(doc, "p").statements
    assert stmt.conditions == (
        Condition("Bool", "aws:SecureTransport", ("true",)),
        Condition("StringEquals", "aws:SourceVpce", ("vpce-1", "vpce-2")),
        Condition("StringEquals", "ssm:Count", ("3",)),
        Condition("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", ("o-1/*",)),
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("", "empty"),
        ("{not json", "not valid JSON"),
        ("%7Bnot%20json", "not valid JSON"),
        ("[]", "JSON object"),
        (42, "JSON object"),
        (None, "JSON object"),
        ({}, "no Statement"),
        ({"Statement": [], "Extra": 1}, "unknown top-level"),
        ({"Version": "2020-01-01", "Statement": []}, "Version"),
        ({"Statement": ["x"]}, "must be an object"),
        ({"Statement": {"Action": "*"}}, "Effect"),
        ({"Statement": {"Effect": "allow", "Action": "*"}}, "Effect"),
        ({"Statement": {"Effect": "Allow"}}, "Action and NotAction"),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "x"}},
            "Action and NotAction",
        ),
        ({"Statement": {"Effect": "Allow", "Action": []}}, "empty list"),
        ({"Statement": {"Effect": "Allow", "Action": [1]}}, "strings"),
        ({"Statement": {"Effect": "Allow", "Action": ""}}, "empty string"),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}},
            "NotResource",
        ),
        (
            {
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Principal": "*",
                    "NotPrincipal": "*",
                }
            },
            "NotPrincipal",
        ),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Principal": "me"}}, "Principal"),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Principal": {}}}, "empty object"),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Condition": []}}, "Condition"),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": "x"}}},
            "StringEquals",
        ),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"Bool": {"k": None}}}},
            "k",
        ),
        (
            {"Statement": {"Effect": "Allow", "Action": "*", "Condition": {"Bool": {"k": []}}}},
            "empty list",
        ),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Sid": 5}}, "Sid"),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Bogus": 1}}, "unknown element"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_malformed_documents_raise(document: object, message: str) -> None:
    with pytest.raises(PolicyParseError) as info:
        parse_policy(document, "endpoint policy of vpce-0ab")
    text = str(info.value)
    assert message in text
    assert text.startswith("endpoint policy of vpce-0ab")
    assert "\n" not in text
    assert isinstance(info.value, ValueError)


def test_referenced_keys_are_the_condition_keys_in_lower_case() -> None:
    from ssmreach.policy.document import referenced_keys

    conditional = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "ssm:*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
                }
            ]
        },
        "p",
    )
    assert referenced_keys([parse_policy(CORE, "core"), None]) == frozenset()
    assert referenced_keys([conditional]) == frozenset({"aws:sourcevpce"})


def test_a_policy_variable_may_read_any_key() -> None:
    from ssmreach.policy.document import referenced_keys

    variable = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/${aws:username}/*",
            }
        ],
    }
    assert referenced_keys([parse_policy(CORE, "core"), parse_policy(variable, "v")]) is None


@pytest.mark.parametrize(
    ("principals", "anyone"),
    [
        (["*"], True),
        ([{"AWS": "*"}], True),
        ([{"AWS": ["arn:aws:iam::111122223333:role/x", "*"]}], True),
        (["*", {"AWS": "arn:aws:iam::111122223333:role/x"}], False),
        (["*", {"Service": "ssm.amazonaws.com"}], False),
        ([None], False),
    ],
)
def test_a_policy_admits_any_principal_only_when_every_statement_does(
    principals: list[object], anyone: bool
) -> None:
    statements = []
    for principal in principals:
        stmt: dict[str, object] = {"Effect": "Allow", "Action": "*", "Resource": "*"}
        if principal is not None:
            stmt["Principal"] = principal
        statements.append(stmt)
    policy = parse_policy(json.dumps({"Statement": statements}), "p")
    assert admits_any_principal(policy) is anyone


def test_not_principal_is_never_anyone() -> None:
    doc = {
        "Statement": [
            {"Effect": "Deny", "NotPrincipal": {"AWS": "*"}, "Action": "*", "Resource": "*"}
        ]
    }
    assert not admits_any_principal(parse_policy(json.dumps(doc), "p"))
