"""Read live AWS accounts with read-only calls into a `RawSnapshot` (the only boto3 user
besides `apply`).

    calls.py        the declarative table of every read: service, operation, scope,
                    paging, call-list requests, IAM action
    session.py      credentials per account, Region checks, guarded clients
    readonly.py     the guard that refuses any operation the table does not list
    retry_budget.py the bound on retrying one call, and short error texts
    invoke.py       one read: its pages merged, its failure, the bytes of its file
    task.py         one task (an account in one Region, or its global part) runs the
                    table in order; the call lists of every task share one `CallPool`
    collector.py    runs the tasks of every (account, Region) in a bounded thread pool
    accounts.py     what `--org` is asked to read, and the accounts it could not read
    organization.py `--org`: lists the organization's accounts and reads them, a few at a
                    time, each through its role; a failed account never stops the others
    resume.py       `snapshot --resume`: merges the accounts read again into the folder

The least-privilege IAM policy generated from the table is `ssmreach.permissions`.
"""

from __future__ import annotations

from ssmreach.collect.accounts import AccountFailure, Organization, OrgRequest
from ssmreach.collect.calls import CALLS, ApiCall
from ssmreach.collect.collector import (
    CallFailure,
    CollectResult,
    CollectStats,
    ProgressEvent,
    collect_snapshot,
)
from ssmreach.collect.organization import collect_organization
from ssmreach.collect.readonly import ReadOnlyViolation, install_guard, is_read_only

__all__ = [
    "CALLS",
    "AccountFailure",
    "ApiCall",
    "CallFailure",
    "CollectResult",
    "CollectStats",
    "OrgRequest",
    "Organization",
    "ProgressEvent",
    "ReadOnlyViolation",
    "collect_organization",
    "collect_snapshot",
    "install_guard",
    "is_read_only",
]
