"""Helpers shared by the collector and snapshot CLI tests (fake environment, injected answers).

The fixtures are imported by the test modules (no conftest here, so that the top-level
`conftest` stays the only one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3.session
import pytest
from moto import mock_aws

AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


CLOSED_ENDPOINT = "http://127.0.0.1:9"


def fake_aws_env(monkeypatch: pytest.MonkeyPatch, config_dir: Path, region: str | None) -> None:
    """Fake credentials, a Region, no config files, no instance metadata: never a real account.

    Tests that use moto in-process remove `AWS_ENDPOINT_URL` (`in_process_moto_env`)."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_dir / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config_dir / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    if region:
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    # A call that nothing answers fails at once on a closed local port, never on the internet.
    monkeypatch.setenv("AWS_ENDPOINT_URL", CLOSED_ENDPOINT)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


class FakeHttp:
    """What a botocore `before-call` handler returns to answer a call without sending it."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}
        self.content = b""


def error_answer(code: str, message: str = "injected", status: int = 400) -> Callable[..., Any]:
    """A `before-call` handler that answers every call with an AWS error."""

    def handler(**_: Any) -> tuple[FakeHttp, dict[str, Any]]:
        return FakeHttp(status), {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {},
        }

    return handler


def session_factory(handlers: dict[str, Callable[..., Any]]) -> Callable[..., Any]:
    """A `boto3.Session` factory that registers `handlers` (event name -> handler) on each session."""

    def factory(**kwargs: Any) -> Any:
        session = boto3.session.Session(**kwargs)
        for event, handler in handlers.items():
            session.events.register(event, handler)
        return session

    return factory


def in_process_moto_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process moto answers the real endpoints' URLs: drop the closed-port endpoint."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    fake_aws_env(monkeypatch, tmp_path_factory.mktemp("aws-config"), "us-east-2")


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    in_process_moto_env(monkeypatch)
    with mock_aws():
        yield
