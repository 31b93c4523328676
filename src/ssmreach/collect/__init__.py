"""Read live AWS accounts with read-only calls into a `RawSnapshot` (the only boto3 user
besides `apply`).

    calls.py        the declarative table of every read: service, operation, scope,
                    paging, call-list requests, IAM action
    session.py      credentials per account, Region checks, guarded clients
    readonly.py     the guard that refuses any operation the table does not list
    retry_budget.py the bound on retrying one call, and short error texts
    collector.py    runs the table per (account, Region) in a bounded thread pool

The least-privilege IAM policy generated from the table is `ssmreach.permissions`.
"""

from __future__ import annotations

from ssmreach.collect.calls import CALLS, ApiCall
from ssmreach.collect.collector import (
    CallFailure,
    CollectResult,
    CollectStats,
    ProgressEvent,
    collect_snapshot,
)
from ssmreach.collect.readonly import ReadOnlyViolation, install_guard, is_read_only

__all__ = [
    "CALLS",
    "ApiCall",
    "CallFailure",
    "CollectResult",
    "CollectStats",
    "ProgressEvent",
    "ReadOnlyViolation",
    "collect_snapshot",
    "install_guard",
    "is_read_only",
]
