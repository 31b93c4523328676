"""Sessions, Regions, client settings and the one-line errors that stop a collection early."""

from __future__ import annotations

import boto3
import pytest

from collect.collect_helpers import aws_env, error_answer, moto, session_factory  # noqa: F401
from collect.moto_estate import REGION
from ssmreach import __version__
from ssmreach.collect import collect_snapshot
from ssmreach.collect.session import (
    AccountSession,
    client_config,
    parse_region_values,
    partition_of,
)
from ssmreach.errors import CollectError, UsageError

ROLE = "arn:aws:iam::111111111111:role/ssmreach-read"


@pytest.mark.parametrize(
    ("values", "regions", "want_all"),
    [
        ((), [], False),
        (("us-east-1",), ["us-east-1"], False),
        (
            ("us-east-1,eu-west-1", "us-east-1", " ap-south-1 "),
            ["us-east-1", "eu-west-1", "ap-south-1"],
            False,
        ),
        (("all",), [], True),
        (("eu-west-1,ALL",), ["eu-west-1"], True),
        ((",",), [], False),
    ],
)
def test_region_values(values: tuple[str, ...], regions: list[str], want_all: bool) -> None:
    assert parse_region_values(values) == (regions, want_all)


def test_partition_and_unknown_regions() -> None:
    session = boto3.Session()
    assert partition_of(session, ["us-east-1", "eu-west-1"]) == "aws"
    assert partition_of(session, ["cn-north-1"]) == "aws-cn"
    assert partition_of(session, ["us-gov-west-1"]) == "aws-us-gov"
    for bad in ("xx-fake-1", "us-fake-1", "useast1"):
        with pytest.raises(UsageError, match=f"unknown Region '{bad}'"):
            partition_of(session, [bad])
    with pytest.raises(UsageError, match="different partitions"):
        partition_of(session, ["us-east-1", "cn-north-1"])


def test_client_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    config = client_config(boto3.Session())
    # botocore-stubs declares the options of Config as __init__ parameters, not attributes
    assert config.retries == {"mode": "adaptive", "max_attempts": 10}  # type: ignore[attr-defined]
    assert config.user_agent_extra == f"ssmreach/{__version__}"  # type: ignore[attr-defined]
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    again = client_config(boto3.Session())
    assert again.retries == {"mode": "standard", "max_attempts": 3}  # type: ignore[attr-defined]


def test_clients_honour_aws_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    account = AccountSession(account="123456789012", principal="me", session=boto3.Session())
    for service in ("ec2", "route53", "sts"):
        assert account.client(service, REGION).meta.endpoint_url == "http://127.0.0.1:4566"
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    account = AccountSession(account="123456789012", principal="me", session=boto3.Session())
    assert account.client("ec2", REGION).meta.endpoint_url == f"https://ec2.{REGION}.amazonaws.com"


def test_no_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(UsageError, match=r"^no Region: pass --region R \(or set AWS_REGION\)$"):
        collect_snapshot([])


def test_unknown_region_is_refused_before_any_call() -> None:
    sent: list[str] = []
    factory = session_factory({"before-call": lambda **kw: sent.append(kw["model"].name)})
    with pytest.raises(UsageError, match="unknown Region 'xx-fake-1'"):
        collect_snapshot(["us-east-1,xx-fake-1"], session_factory=factory)
    assert sent == []


def test_unknown_profile() -> None:
    with pytest.raises(UsageError, match=r"profile 'nope' \(--profile\) not found"):
        collect_snapshot([REGION], profile="nope")


def test_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(
        CollectError, match=r"^no AWS credentials found: set AWS_PROFILE or run `aws configure`"
    ):
        collect_snapshot([REGION])


def test_unreachable_endpoint() -> None:  # the test environment points at a closed port
    with pytest.raises(
        CollectError, match=r"sts:GetCallerIdentity: cannot reach http://127\.0\.0\.1:9"
    ):
        collect_snapshot([REGION])


@pytest.mark.parametrize(
    "code",
    [
        "InvalidClientTokenId",
        "ExpiredToken",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    ],
)
def test_rejected_credentials(code: str) -> None:
    factory = session_factory(
        {"before-call.sts.GetCallerIdentity": error_answer(code, "bad token", 403)}
    )
    with pytest.raises(CollectError) as caught:
        collect_snapshot([REGION], session_factory=factory)
    assert caught.value.message.startswith(
        f"sts:GetCallerIdentity rejected the AWS credentials ({code}: bad token)"
    )
    assert "\n" not in caught.value.message


@pytest.mark.usefixtures("moto")
def test_assume_role_denied_names_the_role() -> None:
    factory = session_factory(
        {
            "before-call.sts.AssumeRole": error_answer(
                "AccessDenied", "User: arn:aws:iam::123456789012:user/moto is not authorized", 403
            )
        }
    )
    with pytest.raises(CollectError) as caught:
        collect_snapshot([REGION], role_arns=[ROLE], session_factory=factory)
    assert caught.value.message.startswith(f"sts:AssumeRole failed for {ROLE} (AccessDenied:")
    assert "trust policy" in caught.value.message


@pytest.mark.usefixtures("moto")
def test_role_arns_are_checked() -> None:
    with pytest.raises(UsageError, match="is not an IAM role ARN"):
        collect_snapshot([REGION], role_arns=["arn:aws:iam::111111111111:user/bob"])
    with pytest.raises(UsageError, match="already reads; pass one role per account"):
        collect_snapshot([REGION], role_arns=["arn:aws:iam::123456789012:role/same-account"])
    with pytest.raises(UsageError, match="already reads"):
        collect_snapshot([REGION], role_arns=[ROLE, ROLE])


@pytest.mark.usefixtures("moto")
def test_region_all_needs_describe_regions() -> None:
    factory = session_factory(
        {"before-call.ec2.DescribeRegions": error_answer("UnauthorizedOperation", "no", 403)}
    )
    with pytest.raises(
        CollectError, match=r"ec2:DescribeRegions failed .*pass the Regions by name"
    ):
        collect_snapshot(["all"], session_factory=factory)
