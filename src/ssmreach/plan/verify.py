"""Apply trusts the account, not the file: a plan file is checked against a fresh plan.

`apply` recomputes the plan from the live state it has just read (same features, same
design) and carries out a change of the file only when the recomputed plan holds the
same change, parameter for parameter: its kind and every field that decides what is
sent to AWS. The text a file carries (summaries, the findings it claims to fix, costs,
manual steps) is never shown or used: the changes carried out, and the confirmation
screen, come from the recomputed plan. Any other change is refused, named, and
nothing is done.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ssmreach.errors import SsmreachError
from ssmreach.plan.changes import Change
from ssmreach.plan.plan import Plan

__all__ = ["DESCRIPTIVE_FIELDS", "PlanMismatchError", "action_key", "verified_plan"]

DESCRIPTIVE_FIELDS = frozenset({"summary", "fixes", "monthly_cost", "permissions"})
"""Fields that describe a change but do not decide what is sent to AWS."""


class PlanMismatchError(SsmreachError):
    """A plan file holds changes that ssmreach would not make to the account as it is."""


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def action_key(change: Change) -> tuple[Any, ...]:
    """What a change does: its kind and every field that is sent to AWS."""
    fields = msgspec.structs.asdict(change)
    return (
        type(change).__name__,
        tuple(sorted((k, _frozen(v)) for k, v in fields.items() if k not in DESCRIPTIVE_FIELDS)),
    )


def verified_plan(
    file_plan: Plan, fresh: Plan, source: str, *, skip_unplanned: bool = False
) -> tuple[Plan, tuple[Change, ...]]:
    """The changes of `file_plan`, as `fresh` (recomputed from the live state) holds them,
    and the changes of the file that `fresh` lacks.

    Without `skip_unplanned` such a change raises `PlanMismatchError` naming every one
    (the file says the account is as it was, so a change ssmreach would not make was
    written by someone else). With it (`--force` on a plan the account has moved away
    from) they are left out and returned, never carried out.
    """
    planned = {action_key(c): c for c in fresh.changes}
    refused = tuple(c for c in file_plan.changes if action_key(c) not in planned)
    if refused and not skip_unplanned:
        names = ", ".join(f"{c.id} ({type(c).__name__})" for c in refused[:5])
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        raise PlanMismatchError(
            f"{source}: {len(refused)} change(s) are not what ssmreach plans for the account "
            f"as it is now: {names}{more}; nothing was done. Plan again and apply the new plan."
        )
    chosen = [planned[k] for c in file_plan.changes if (k := action_key(c)) in planned]
    kept = {c.id for c in chosen}
    missing = sorted({d for c in chosen for d in c.depends_on if d not in kept})
    if missing:
        raise PlanMismatchError(
            f"{source}: the plan leaves out change(s) {', '.join(missing)} that its changes "
            "depend on; nothing was done. Plan again and apply the new plan."
        )
    plan = msgspec.structs.replace(
        fresh,
        changes=tuple(chosen),
        monthly_cost=round(sum(c.monthly_cost for c in chosen), 2),
    )
    return plan, refused
