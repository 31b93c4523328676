"""What every change handler shares: the run's `Context`, the `Outcome` of one change, and
the dry-run form of an EC2 call.

A `Context` is made once per run: the plan id, the client factory, dry-run and waiting
settings, and the ids made so far (a later change names an earlier one with a reference,
`Context.real` turns it into the id). Its `token` is the `ClientToken` of an EC2
creation call, its `tags` the tags of what this run creates.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ssmreach.plan import changes as c

__all__ = ["MANAGED_TAG", "PLAN_TAG", "Context", "Outcome", "dry_run_call", "error_code"]

MANAGED_TAG = "ssmreach:managed"
PLAN_TAG = "ssmreach:plan-id"


@dataclass(slots=True)
class Outcome:
    """What one change did: the resource it names, whether it acted, and how to undo it."""

    resource: str | None
    acted: bool
    note: str = ""
    undo: Callable[[], None] | None = None
    undo_what: str = ""


@dataclass(slots=True)
class Context:
    plan_id: str
    clients: Callable[[str, str], Any]  # (service, region) -> boto3 client
    dry_run: bool = False
    timeout: float = 300.0
    poll: float = 2.0
    made: dict[str, str] = field(default_factory=dict)  # change id -> resource id
    # One per run: a ClientToken makes a retried call within this run safe; a later run
    # (after a rollback deleted what this one made) must not be handed the deleted
    # resource back. Across runs, the handlers look for what exists before creating.
    run: str = field(default_factory=lambda: secrets.token_hex(8))

    def token(self, change: c.Change) -> str:
        return hashlib.sha256(f"{self.plan_id}/{change.id}/{self.run}".encode()).hexdigest()[:64]

    def real(self, value: str) -> str:
        if not c.is_ref(value):
            return value
        target = c.ref_target(value)
        if target not in self.made:
            raise LookupError(f"{target} has not been carried out")
        return self.made[target]

    def tags(self, resource_type: str, name: str) -> list[dict[str, Any]]:
        return [
            {
                "ResourceType": resource_type,
                "Tags": [
                    {"Key": "Name", "Value": name},
                    {"Key": MANAGED_TAG, "Value": "true"},
                    {"Key": PLAN_TAG, "Value": self.plan_id},
                ],
            }
        ]


def error_code(exc: ClientError) -> str:
    """The AWS error code of a failed call."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def dry_run_call(call: Callable[..., Any], **kwargs: Any) -> Outcome:
    """Send an EC2 call with DryRun=True: DryRunOperation means it would succeed."""
    try:
        call(DryRun=True, **kwargs)
    except ClientError as exc:
        if error_code(exc) == "DryRunOperation":
            return Outcome(None, False, "dry run: would succeed")
        raise
    return Outcome(None, False, "dry run: accepted")
