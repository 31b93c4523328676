"""Carry out a plan against the live account: check the state, act in order, roll back, re-check.

`apply_plan(plan, state, clients, options)`:

1. reads the current state (`state()`, normally the collector) and refuses a plan
   whose fingerprint differs from it (`PlanStaleError`) unless `force`; recomputes the
   plan from that state and refuses any change of the file that the fresh plan does
   not hold, parameter for parameter (`PlanMismatchError`, plan/verify.py);
2. checks the instances (the "before" verdicts);
3. carries out each change in the plan's order with its handler (`handlers.py`):
   idempotent, tagged `ssmreach:managed=true` and `ssmreach:plan-id`, endpoints waited
   for until available; with `dry_run`, EC2 calls go out with `DryRun=True` and
   nothing changes;
4. when a step fails for any reason (an AWS error, a lost connection, a timeout, any
   exception, Ctrl-C), undoes what this run created or added, newest first, and says
   what could not be undone, by id;
5. reads the state again and checks the instances (the "after" verdicts).

This package and `ssmreach.collect` are the only ones that call AWS; only this one
writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.verdict import CheckResult
from ssmreach.apply.handlers import Context, Outcome, run_change
from ssmreach.apply.lock import apply_lock
from ssmreach.errors import SsmreachError
from ssmreach.model.estate import Estate
from ssmreach.plan.changes import Change
from ssmreach.plan.guards import problems as guard_problems
from ssmreach.plan.plan import Plan, fingerprint
from ssmreach.plan.planner import PlanOptions, make_plan
from ssmreach.plan.verify import PlanMismatchError, verified_plan

__all__ = [
    "ApplyOptions",
    "ApplyResult",
    "PlanStaleError",
    "Prepared",
    "StepResult",
    "apply_plan",
    "carry_out",
    "prepare_apply",
]

Status = Literal["done", "unchanged", "skipped", "dry-run", "failed", "rolled-back", "not-run"]

SKIPPED_NOTE = "a plan of the account as it is now does not hold it: not carried out"


class PlanStaleError(SsmreachError):
    """The account no longer matches the state the plan was computed from."""


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    dry_run: bool = False
    force: bool = False
    timeout: float = 300.0  # per endpoint, waiting for `available`
    poll: float = 2.0
    recheck: bool = True


@dataclass(frozen=True, slots=True)
class StepResult:
    change_id: str
    summary: str
    status: Status
    resource: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    plan_id: str
    dry_run: bool
    steps: tuple[StepResult, ...]
    failed: StepResult | None = None
    rolled_back: tuple[str, ...] = ()  # what this run undid
    left: tuple[str, ...] = ()  # what it could not undo
    before: CheckResult | None = None
    after: CheckResult | None = None
    stale: bool = False  # applied with force although the state had moved on
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed is None

    @property
    def changed(self) -> int:
        return sum(1 for s in self.steps if s.status == "done")


def _message(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return " ".join(str(exc).split()) or type(exc).__name__


@dataclass(frozen=True, slots=True)
class Prepared:
    """A plan checked against the live state: what `carry_out` will do, and may show."""

    plan: Plan  # the file's changes as the plan recomputed from `estate` holds them
    estate: Estate
    stale: bool  # the fingerprint differs and --force was given
    skipped: tuple[Change, ...] = ()  # with --force: changes a fresh plan no longer holds
    before: CheckResult | None = None  # the check the fresh plan was made from


def prepare_apply(
    plan: Plan, estate: Estate, *, force: bool = False, source: str = "the plan"
) -> Prepared:
    """Refuse a stale plan (unless `force`), then keep only what a fresh plan also holds.

    The plan is recomputed from `estate` (the state just read) with the file's features
    and design; a change of the file that the fresh plan lacks, parameter for parameter,
    is refused with `PlanMismatchError` (plan/verify.py). What is returned, and shown to
    the user, comes from the fresh plan, never from text in the file.
    """
    current = fingerprint(estate, plan.scope)
    stale = current != plan.fingerprint
    if stale and not force:
        raise PlanStaleError(
            f"the account changed since plan {plan.id} was made (fingerprint {current[:19]}… "
            f"is not {plan.fingerprint[:19]}…): plan again, or pass --force"
        )
    before = check_estate(estate, CheckOptions(features=plan.features))
    fresh = make_plan(estate, before, PlanOptions(features=plan.features, hub=plan.hub_vpc))
    verified, skipped = verified_plan(plan, fresh, source, skip_unplanned=stale)
    refused = list(guard_problems(verified, estate))
    if refused:
        raise PlanMismatchError(
            f"{source}: {refused[0]}"
            + (f" (and {len(refused) - 1} more)" if len(refused) > 1 else "")
            + "; nothing was done"
        )
    return Prepared(verified, estate, stale, skipped, before)


def apply_plan(
    plan: Plan,
    state: Callable[[], Estate],
    clients: Callable[[str, str], Any],
    options: ApplyOptions | None = None,
) -> ApplyResult:
    """Carry out `plan`; `state()` reads the account, `clients(service, region)` makes clients."""
    options = options or ApplyOptions()
    with apply_lock(plan):
        prepared = prepare_apply(plan, state(), force=options.force)
        return carry_out(prepared, state, clients, options)


def carry_out(
    prepared: Prepared,
    state: Callable[[], Estate],
    clients: Callable[[str, str], Any],
    options: ApplyOptions | None = None,
) -> ApplyResult:
    """Carry out a prepared plan: ordered steps, rollback on failure, before/after checks."""
    options = options or ApplyOptions()
    plan = prepared.plan
    check = CheckOptions(features=plan.features)
    before = None
    if options.recheck:  # the check the plan was verified on, when prepare_apply made one
        before = prepared.before or check_estate(prepared.estate, check)
    ctx = Context(
        plan_id=plan.id,
        clients=clients,
        dry_run=options.dry_run,
        timeout=options.timeout,
        poll=options.poll,
    )
    run = _run_steps(ctx, prepared)
    if run.failed is not None:
        _roll_back(run, plan.changes)
    after = None
    if options.recheck and not options.dry_run and not run.interrupted:
        after = check_estate(state(), check)
    return ApplyResult(
        plan_id=plan.id,
        dry_run=options.dry_run,
        steps=tuple(run.steps),
        failed=run.failed,
        rolled_back=tuple(run.rolled_back),
        left=tuple(run.left),
        before=before,
        after=after,
        stale=prepared.stale,
    )


@dataclass(slots=True)
class _Run:
    """One run of the steps so far: their results, what can be undone, and the failure."""

    steps: list[StepResult]
    undo: list[Outcome] = field(default_factory=list)
    failed: StepResult | None = None
    interrupted: bool = False
    rolled_back: list[str] = field(default_factory=list)  # what the rollback undid
    left: list[str] = field(default_factory=list)  # what it could not undo


def _run_steps(ctx: Context, prepared: Prepared) -> _Run:
    """Carry out the changes in order; stop at the first failure, any exception or Ctrl-C."""
    run = _Run(
        [
            StepResult(c.id, type(c).__name__, "skipped", None, SKIPPED_NOTE)
            for c in prepared.skipped
        ]
    )
    for change in prepared.plan.changes:
        try:
            outcome = run_change(ctx, change)
        except KeyboardInterrupt:
            run.interrupted = True
            run.failed = StepResult(
                change.id, change.summary, "failed", None, "interrupted (Ctrl-C)"
            )
            run.steps.append(run.failed)
            break
        except Exception as exc:  # any failure at all: roll back what this run did
            run.failed = StepResult(change.id, change.summary, "failed", None, _message(exc))
            run.steps.append(run.failed)
            break
        if outcome.acted and outcome.undo is not None:
            run.undo.append(outcome)
        status: Status = "dry-run" if ctx.dry_run else ("done" if outcome.acted else "unchanged")
        run.steps.append(
            StepResult(change.id, change.summary, status, outcome.resource, outcome.note)
        )
    return run


def _roll_back(run: _Run, changes: Sequence[Change]) -> None:
    """After a failure: mark the changes not reached, undo what this run did, newest first."""
    done = {s.change_id for s in run.steps}
    run.steps.extend(StepResult(c.id, c.summary, "not-run") for c in changes if c.id not in done)
    for outcome in reversed(run.undo):
        assert outcome.undo is not None
        try:
            outcome.undo()
            run.rolled_back.append(outcome.undo_what)
        except Exception as exc:
            run.left.append(
                f"{outcome.undo_what} failed ({_message(exc)}); {outcome.resource} is left"
            )
    undone = {o.resource for o in run.undo}
    run.steps = [
        StepResult(s.change_id, s.summary, "rolled-back", s.resource, s.note)
        if s.status == "done" and s.resource in undone
        else s
        for s in run.steps
    ]
