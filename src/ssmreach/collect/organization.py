"""Read every account of an AWS Organization (`--org`) into one snapshot.

Run from the management account or a delegated administrator: `organizations:
DescribeOrganization` (once, for the organization's id and management account) and the
pages of `organizations:ListAccounts` name the accounts; those that are not ACTIVE are
skipped, `--accounts` and `--exclude-accounts` select. The caller's own account is read
with the base credentials, every other one through `sts:AssumeRole` on
`arn:<partition>:iam::<account>:role/<role name>` (session `ssmreach`, with the external
ID when one is given).

Accounts are read `max_accounts_parallel` at a time. Each account's tasks (its global
part, then one per Region: `task.Task`) run in one pool of `max_workers` threads shared
by all accounts, and their call lists in one `CallPool`, so the calls in flight are
bounded as for a single account. An account whose role cannot be assumed, or none of
whose reads answered, becomes an `AccountFailure`: it is left out of the snapshot, named
in its manifest (`failed_accounts`), and the other accounts are read. A `ListAccounts`
that is denied stops the run with one line, and so does the read-only guard.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ssmreach.collect import calls as calls_module
from ssmreach.collect.accounts import AccountFailure, Organization, OrgRequest
from ssmreach.collect.calls import ACCOUNT_LISTING, ORGANIZATION_DESCRIPTION
from ssmreach.collect.collector import (
    CollectResult,
    Start,
    account_tasks,
    joined_result,
    new_manifest,
    start_collection,
)
from ssmreach.collect.invoke import OperationFailed, invoke
from ssmreach.collect.session import (
    AccountSession,
    RoleUnavailable,
    SessionFactory,
    assume_role,
    role_arn_for,
)
from ssmreach.collect.task import CallPool, ProgressEvent, Task
from ssmreach.errors import CollectError, UsageError
from ssmreach.model.aws import NOT_IN_ORGANIZATION
from ssmreach.model.estate import gap_kind_for

Emit = Callable[[ProgressEvent], None]


def collect_organization(
    regions: Sequence[str],
    org: OrgRequest,
    *,
    profile: str | None = None,
    max_workers: int = 4,
    progress: Emit | None = None,
    session_factory: SessionFactory | None = None,
) -> CollectResult:
    """Read the organization's accounts (or, with `org.resume`, those named there).

    `regions`, `profile`, `max_workers`, `progress` and `session_factory` are as for
    `collect_snapshot`. The result's snapshot holds the accounts that were read; the
    others are `failed_accounts`, in the result and in the manifest. Raises
    `UsageError`/`CollectError` (one line) when the organization cannot be listed or
    the options select no account.
    """
    run = start_collection(regions, profile, session_factory, check=org.check)
    run.resolve_regions()
    organization = list_organization(run, org)
    emit = progress or (lambda _event: None)
    planned = operations_per_account(len(run.regions)) * len(organization.selected)
    emit(ProgressEvent("start", total=planned, calls=run.preflight_calls))
    outcomes = _read_accounts(run, org, organization.selected, max_workers, emit)
    return _org_result(run, organization, outcomes)


def operations_per_account(regions: int) -> int:
    """The operations of one account: its global ones once, the regional ones per Region."""
    table = tuple(calls_module.CALLS)
    return len(calls_module.calls_for("global", table)) + regions * len(
        calls_module.calls_for("regional", table)
    )


# --- the accounts to read ---------------------------------------------------------------------


def list_organization(run: Start, org: OrgRequest) -> Organization:
    """The organization's ACTIVE accounts and those the options select (on a resumed run:
    the accounts named by the snapshot, without listing the organization again)."""
    if org.resume is not None:
        candidates = tuple(org.resume)
        _refuse_unknown(org.accounts, candidates, "is not one of the accounts left to read")
        return Organization(
            "",
            "",
            run.base.account,
            org.role_name,
            candidates,
            (),
            _selected(org, candidates),
            resumed=True,
        )
    client = run.base.client("organizations", run.home)

    def count(**_: Any) -> None:
        run.preflight_calls += 1

    client.meta.events.register("before-call", count)
    org_id, management = _describe(client, run.base)
    listed = _list_accounts(client, run.base)
    active = tuple(str(a["Id"]) for a in listed if _state(a) == "ACTIVE")
    inactive = tuple(str(a["Id"]) for a in listed if _state(a) != "ACTIVE")
    _refuse_unknown(org.accounts, active, "is not an ACTIVE account of the organization")
    return Organization(
        org_id,
        management,
        run.base.account,
        org.role_name,
        active,
        inactive,
        _selected(org, active),
    )


def _state(account: dict[str, Any]) -> str:
    """`State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, ...), else the older `Status`."""
    return str(account.get("State") or account.get("Status") or "")


def _selected(org: OrgRequest, candidates: Sequence[str]) -> tuple[str, ...]:
    selected = org.select(candidates)
    if not selected:
        raise UsageError("--accounts and --exclude-accounts leave no account to read")
    return selected


def _refuse_unknown(wanted: Sequence[str], known: Sequence[str], what: str) -> None:
    for account in wanted:
        if account not in known:
            raise UsageError(f"--accounts {account} {what}")


def _no_organization(base: AccountSession) -> str:
    return (
        f"account {base.account} is in no AWS Organization ({NOT_IN_ORGANIZATION}): "
        "drop --org, or pass --role-arn per account"
    )


def _describe(client: Any, base: AccountSession) -> tuple[str, str]:
    """The organization's id and management account; empty when DescribeOrganization is
    denied (ListAccounts then says whether the accounts can be listed)."""
    try:
        answer = invoke(client, ORGANIZATION_DESCRIPTION, {})
    except OperationFailed as failed:
        if failed.code == NOT_IN_ORGANIZATION:
            raise CollectError(_no_organization(base)) from None
        return "", ""
    organization = answer.get("Organization") or {}
    return str(organization.get("Id") or ""), str(organization.get("MasterAccountId") or "")


def _list_accounts(client: Any, base: AccountSession) -> list[dict[str, Any]]:
    """Every page of ListAccounts; a failure stops the run with one line."""
    try:
        answer = invoke(client, ACCOUNT_LISTING, {})
    except OperationFailed as failed:
        if failed.code == NOT_IN_ORGANIZATION:
            raise CollectError(_no_organization(base)) from None
        if gap_kind_for(failed.code) == "denied":
            raise CollectError(
                f"organizations:ListAccounts was denied to {base.principal} ({failed.code}: "
                f"{failed.message}): run --org from the organization's management account or "
                "a delegated administrator, or pass --role-arn per account"
            ) from None
        raise CollectError(
            f"organizations:ListAccounts failed ({failed.code}: {failed.message})"
        ) from None
    return [dict(a) for a in answer.get("Accounts") or []]


# --- reading the accounts ---------------------------------------------------------------------


@dataclass
class _Outcome:
    account: str
    tasks: list[Task] = field(default_factory=list)
    failure: AccountFailure | None = None
    assumed: int = 0  # AssumeRole calls made


@dataclass
class _AccountReader:
    """Reads one account at a time on an account thread; its tasks go to the shared pool,
    and their call lists to the shared `calls`."""

    run: Start
    org: OrgRequest
    pool: ThreadPoolExecutor
    emit: Emit
    stop: threading.Event
    calls: CallPool

    def read(self, account: str) -> _Outcome:
        outcome = _Outcome(account)
        if self.stop.is_set():
            return outcome
        self.emit(self._event(account, "started"))
        session = self._session(outcome)
        if session is None or self.stop.is_set():
            self._done(outcome, operations_per_account(len(self.run.regions)))
            return outcome
        outcome.tasks = account_tasks(
            [session], self.run.regions, self.run.home, self.emit, self.stop, self.calls
        )
        futures = [self.pool.submit(task.run) for task in outcome.tasks]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            error = future.exception()
            if error is not None:
                raise error
        outcome.failure = _unread(outcome, session.role_arn, self._read_hint(session))
        self._done(outcome, 0)
        return outcome

    def _session(self, outcome: _Outcome) -> AccountSession | None:
        """The caller's own account with the base credentials; any other through its role."""
        if outcome.account == self.run.base.account:
            return self.run.base
        role_arn = role_arn_for(self.run.partition, outcome.account, self.org.role_name)
        outcome.assumed = 1
        self.calls.count_sent()
        try:
            return assume_role(
                self.run.base,
                role_arn,
                self.run.home,
                self.run.factory,
                self.run.profile,
                external_id=self.org.external_id,
            )
        except RoleUnavailable as exc:
            outcome.failure = AccountFailure(
                outcome.account, role_arn, "sts:AssumeRole", exc.code, exc.detail, self._role_hint()
            )
            return None

    def _role_hint(self) -> str:
        external = " with the --external-id" if self.org.external_id else ""
        return (
            f"create the role {self.org.role_name} in that account with the policy from "
            f"`ssmreach permissions`, and check that its trust policy lets account "
            f"{self.run.base.account} assume it{external}"
        )

    def _read_hint(self, session: AccountSession) -> str:
        who = session.role_arn or "your credentials"
        return f"attach the policy from `ssmreach permissions` to {who}"

    def _done(self, outcome: _Outcome, skipped: int) -> None:
        failure = outcome.failure
        if failure is None:
            self.emit(self._event(outcome.account, "done"))
            return
        detail = f"{failure.api} {failure.code}"
        self.emit(replace(self._event(outcome.account, "failed"), total=skipped, detail=detail))

    def _event(self, account: str, state: Literal["started", "done", "failed"]) -> ProgressEvent:
        return ProgressEvent(
            "account",
            account=account,
            state=state,
            calls=self.calls.sent,
            calls_left=self.calls.left,
        )


def _unread(outcome: _Outcome, role_arn: str | None, hint: str) -> AccountFailure | None:
    """An account none of whose reads answered (all denied, say) is a failed account."""
    if any(task.answered for task in outcome.tasks):
        return None
    failures = [f for task in outcome.tasks for f in task.failures]
    if not failures:
        return None  # nothing was sent: the run was stopped
    code = Counter(f.code for f in failures).most_common(1)[0][0]
    first = next(f for f in failures if f.code == code)
    message = f"{len(failures)} calls, e.g. {first.api} in {first.region}: {first.message}"
    return AccountFailure(outcome.account, role_arn, "reads", code, message, hint)


def _read_accounts(
    run: Start, org: OrgRequest, selected: Sequence[str], max_workers: int, emit: Emit
) -> list[_Outcome]:
    """Read the accounts, `org.max_accounts_parallel` at a time; the first exception (or
    Ctrl-C) stops every account between operations."""
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="ssmreach")
    accounts = ThreadPoolExecutor(
        max_workers=org.max_accounts_parallel, thread_name_prefix="ssmreach-account"
    )
    calls = CallPool(sent=run.preflight_calls)
    reader = _AccountReader(run, org, pool, emit, stop, calls)
    try:
        futures = [accounts.submit(reader.read, account) for account in selected]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            error = future.exception()
            if error is not None:
                raise error
        return [future.result() for future in futures]
    except BaseException:
        stop.set()
        raise
    finally:
        accounts.shutdown(wait=True, cancel_futures=True)
        pool.shutdown(wait=True, cancel_futures=True)
        calls.close()


def _org_result(
    run: Start, organization: Organization, outcomes: Sequence[_Outcome]
) -> CollectResult:
    """The accounts that were read as one snapshot; the failed ones in its manifest."""
    read = [o for o in outcomes if o.failure is None]
    failed = sorted((o.failure for o in outcomes if o.failure), key=lambda f: f.account)
    other_calls = sum(o.assumed for o in outcomes) + sum(
        task.calls for o in outcomes if o.failure for task in o.tasks
    )
    manifest = new_manifest(
        run, sorted(o.account for o in read), {f.account: f.reason for f in failed}
    )
    tasks = [task for o in read for task in o.tasks]
    result = joined_result(manifest, tasks, run.preflight_calls + other_calls, run.started)
    return replace(result, organization=organization, failed_accounts=tuple(failed))
