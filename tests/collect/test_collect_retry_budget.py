"""A failing call costs a bounded time, and an HTML error page is summarised, not pasted."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from collect.collect_helpers import aws_env, moto, session_factory  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION
from ssmreach.collect import collect_snapshot, retry_budget
from ssmreach.model.raw import OperationKey, RawError

PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    + b"<h1>502 Bad Gateway</h1>" * 200
    + b"</body></html>"
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _html_502(request: Any, **_: Any) -> AWSResponse:
    headers = HTTPHeaders.from_dict({"Content-Type": "text/html"})
    return AWSResponse(request.url, 502, headers, _Raw(PAGE))


@pytest.mark.usefixtures("moto")
def test_retries_stop_at_the_budget_and_the_page_is_summarised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "10")
    monkeypatch.setattr(retry_budget, "RETRY_BUDGET_SECONDS", 0.2)
    started = time.monotonic()
    result = collect_snapshot(
        [REGION], session_factory=session_factory({"before-send.ec2.DescribeVpcs": _html_502})
    )
    assert time.monotonic() - started < 20
    failed = result.raw.files[OperationKey(ACCOUNT, REGION, "ec2", "DescribeVpcs")]
    assert isinstance(failed, RawError)
    assert failed.code == "RetryBudgetExceeded" and "gave up after" in failed.message
    assert "ec2:DescribeVpcs" in result.stats.failed


@pytest.mark.usefixtures("moto")
def test_an_html_error_page_becomes_its_title() -> None:
    result = collect_snapshot(
        [REGION], session_factory=session_factory({"before-send.ec2.DescribeVpcs": _html_502})
    )
    failed = result.raw.files[OperationKey(ACCOUNT, REGION, "ec2", "DescribeVpcs")]
    assert isinstance(failed, RawError)
    assert len(failed.message) <= 200 and "<h1>" not in failed.message


def test_summarise() -> None:
    assert retry_budget.summarise(PAGE.decode()) == "an HTML page: 502 Bad Gateway"
    assert retry_budget.summarise("plain\n  text") == "plain text"
    assert len(retry_budget.summarise("x " * 500)) == 200
