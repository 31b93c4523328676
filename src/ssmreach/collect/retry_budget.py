"""Bounds on what one failing call may cost: a retry time budget, and short error texts.

botocore retries a throttled or failing call up to `max_attempts` times with growing
back-off (10 attempts of adaptive retries can take about a minute on a 5xx). A
`request-created` handler notes when a call's first attempt started, in the request
context that botocore keeps across attempts, and refuses a further attempt once
`RETRY_BUDGET_SECONDS` have passed: the call then fails with `RetryBudgetExceeded`,
which the collector records like any other failure, and the run goes on.

An error body that is an HTML page (a proxy or a load balancer answering instead of
AWS) is summarised to its title or its first words (`summarise`), never pasted whole
into a message.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any

RETRY_BUDGET_SECONDS = 30.0
_HANDLER_ID = "ssmreach-retry-budget"
_STARTED = "ssmreach_first_attempt"
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
MAX_TEXT = 200


class RetryBudgetExceeded(Exception):
    """A call kept failing for longer than the retry budget."""

    code = "RetryBudgetExceeded"


def _check(request: Any, **_: Any) -> None:
    context = getattr(request, "context", None)
    if context is None:
        return
    now = time.monotonic()
    started = context.setdefault(_STARTED, now)
    attempt = (context.get("retries") or {}).get("attempt", 1)
    if attempt > 1 and now - started > RETRY_BUDGET_SECONDS:
        raise RetryBudgetExceeded(
            f"gave up after {now - started:.0f} s and {attempt - 1} attempt(s) "
            f"(the retry budget is {RETRY_BUDGET_SECONDS:.0f} s)"
        )


def install_budget(client: Any) -> Any:
    """Register the budget on a boto3 client (idempotent) and return the client."""
    client.meta.events.register("request-created", _check, unique_id=_HANDLER_ID)
    return client


def summarise(text: str) -> str:
    """One short line: an HTML page becomes its title (or first words), whitespace folded."""
    if "<" in text and re.search(r"<(!doctype|html|head|body|title)\b", text, re.I):
        title = _TITLE.search(text)
        text = title.group(1) if title else _TAG.sub(" ", text)
        text = "an HTML page: " + html.unescape(" ".join(text.split()))
    line = " ".join(text.split())
    return line if len(line) <= MAX_TEXT else line[: MAX_TEXT - 1] + "…"
