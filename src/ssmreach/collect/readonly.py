"""The read-only guard: every client the collector creates can only read.

A botocore `before-call` handler runs before any request is signed or sent. It lets
an operation through only if it is one of the operations the collector calls
(`OPERATIONS`: exact names, from the call table, fixed when ssmreach is loaded) and, as
a second check, its name reads (`READ_PREFIXES`) or it is one of the STS calls that take
on credentials (`ALLOWED`, which change nothing in the account). So a read that could
reveal a secret (`secretsmanager:GetSecretValue`, `ec2:GetPasswordData`) is refused as
surely as a write. Anything else raises `ReadOnlyViolation`, which stops the whole
collection: such an attempt is a bug, never a partial failure.
"""

from __future__ import annotations

from typing import Any

from ssmreach.collect.calls import (
    ACCOUNT_LISTING,
    ASSUME_ROLE,
    CALLER_IDENTITY,
    CALLS,
    REGION_LISTING,
)
from ssmreach.errors import CollectError

READ_PREFIXES: tuple[str, ...] = ("Describe", "List", "Get", "Search")

ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        ("sts", "AssumeRole"),
        ("sts", "GetCallerIdentity"),
    }
)
"""(service, operation) pairs allowed although they do not read resources."""

OPERATIONS: frozenset[tuple[str, str]] = frozenset(
    (call.service, call.operation)
    for call in (*CALLS, REGION_LISTING, CALLER_IDENTITY, ASSUME_ROLE, ACCOUNT_LISTING)
)
"""Every (service, operation) the collector calls, by exact name (with `--org`, also
`organizations:ListAccounts`; `organizations:DescribeOrganization` is in the table)."""

_HANDLER_ID = "ssmreach-read-only-guard"


class ReadOnlyViolation(CollectError):
    """The collector tried an operation that is not a read."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            f"refused {service}:{operation}: the collector makes read-only calls only "
            "(this is a bug in ssmreach, please report it)"
        )
        self.service = service
        self.operation = operation


def is_read_only(service: str, operation: str) -> bool:
    """True when `operation` of `service` (botocore service name) may be called."""
    if (service, operation) not in OPERATIONS:
        return False
    return operation.startswith(READ_PREFIXES) or (service, operation) in ALLOWED


def _guard(model: Any, **_: Any) -> None:
    service = str(model.service_model.service_name)
    operation = str(model.name)
    if not is_read_only(service, operation):
        raise ReadOnlyViolation(service, operation)


def install_guard(client: Any) -> Any:
    """Register the guard on a boto3 client (idempotent) and return the client."""
    client.meta.events.register("before-call", _guard, unique_id=_HANDLER_ID)
    return client
