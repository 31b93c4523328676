"""Unit tests of `analysis.resources`: the KMS key and CloudWatch Logs ARNs the agent's
calls are authorised on, from the Session Manager preferences."""

from __future__ import annotations

from ssmreach.analysis.resources import (
    STREAM_PLACEHOLDER,
    kms_key_resources,
    log_group_resources,
)

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
MRK_ID = "mrk-1234abcd12ab34cd56ef1234567890ab"


def test_a_key_arn_is_used_as_it_is() -> None:
    arn = f"arn:aws:kms:eu-west-1:444455556666:key/{KEY_ID}"
    resources = kms_key_resources(arn, "aws", "us-east-1", "111122223333")
    assert resources.arns == (arn,) and resources.unknown is None


def test_a_key_id_is_the_key_arn_in_the_account_and_region_of_the_node() -> None:
    for key in (KEY_ID, MRK_ID):
        resources = kms_key_resources(key, "aws-us-gov", "us-gov-west-1", "111122223333")
        assert resources.arns == (f"arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/{key}",)


def test_an_alias_names_no_key_arn() -> None:
    """KMS developer guide, "Using aliases to control access": IAM authorises kms:Decrypt
    on the key ARN; an alias (name or ARN) in a Resource does not match the key."""
    for alias in ("alias/sessions", "arn:aws:kms:us-east-1:111122223333:alias/sessions"):
        resources = kms_key_resources(alias, "aws", "us-east-1", "111122223333")
        assert resources.arns == ()
        assert resources.unknown is not None and repr(alias) in resources.unknown


def test_a_key_id_with_a_typo_is_not_guessed_into_an_arn() -> None:
    resources = kms_key_resources(KEY_ID[:-1], "aws", "us-east-1", "111122223333")
    assert resources.arns == () and resources.unknown is not None


def test_log_actions_are_judged_on_the_group_and_a_stream_of_it() -> None:
    """`logs:PutLogEvents` acts on a log stream; `logs:CreateLogStream` is listed on the
    log group, and AWS's examples grant it on `log-group:NAME:*` (either counts)."""
    resources = log_group_resources("/ssm/sessions", "aws", "us-east-1", "111122223333")
    group = "arn:aws:logs:us-east-1:111122223333:log-group:/ssm/sessions"
    stream = f"{group}:log-stream:{STREAM_PLACEHOLDER}"
    assert resources.for_action("logs:CreateLogStream") == (group, stream)
    assert resources.for_action("logs:PutLogEvents") == (stream,)
    assert resources.for_action("logs:DescribeLogGroups") == (stream,)
    assert resources.unknown is None
