"""Run the calls table against live accounts and build a `RawSnapshot` in memory.

Work is split into tasks (`ssmreach.collect.task`), one per (account, Region) plus one
per account for the global services, run in a bounded thread pool; every task builds its
own clients, and the call lists of all of them share one `CallPool`. Whole-account
operations are written exactly as the AWS CLI prints them with `--output json`
(`ssmreach.collect.invoke`).

A failed operation never stops the run: it becomes `<Operation>.error.json`, and
call lists that depend on it are not written. Only the read-only guard, and the
preflight checks in `ssmreach.collect.session`, stop a collection. The accounts of an
organization (`--org`) are read by `ssmreach.collect.organization` with the same tasks.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from ssmreach import __version__
from ssmreach.collect import calls as calls_module
from ssmreach.collect.accounts import AccountFailure, Organization
from ssmreach.collect.invoke import CallFailure, FailureKind
from ssmreach.collect.session import (
    AccountSession,
    SessionFactory,
    assume_role,
    check_role_arn,
    enabled_regions,
    identify,
    open_session,
    parse_region_values,
    partition_of,
)
from ssmreach.collect.task import CallPool, ProgressEvent, Task
from ssmreach.errors import UsageError
from ssmreach.model.raw import FORMAT, GLOBAL, Manifest, OperationKey, RawFile, RawSnapshot

__all__ = [  # the results, and what a progress display and a summary read
    "CallFailure",
    "CollectResult",
    "CollectStats",
    "FailureKind",
    "ProgressEvent",
    "collect_snapshot",
]

# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CollectStats:
    calls: int
    seconds: float
    failures: tuple[CallFailure, ...] = ()

    def _apis(self, kind: FailureKind) -> tuple[str, ...]:
        return tuple(sorted({f.api for f in self.failures if f.kind == kind}))

    @property
    def denied(self) -> tuple[str, ...]:
        """`service:Operation` names that were denied somewhere."""
        return self._apis("denied")

    @property
    def throttled(self) -> tuple[str, ...]:
        """Names still throttled after all retries."""
        return self._apis("throttled")

    @property
    def failed(self) -> tuple[str, ...]:
        """Names that failed for another reason."""
        return self._apis("failed")


@dataclass(frozen=True, slots=True)
class CollectResult:
    """The snapshot and the run's numbers; with `--org`, also the organization and the
    accounts that could not be read (not in the snapshot, named in its manifest)."""

    raw: RawSnapshot
    stats: CollectStats
    organization: Organization | None = None
    failed_accounts: tuple[AccountFailure, ...] = ()

    @property
    def accounts(self) -> tuple[str, ...]:
        return self.raw.manifest.accounts

    @property
    def regions(self) -> tuple[str, ...]:
        return self.raw.manifest.regions


# --- the whole collection ----------------------------------------------------------------


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Start:
    """What every collection begins with: the base account, its Regions and partition.

    `regions` are the Regions asked for by name until `resolve_regions` has run (it lists
    the enabled ones for `all`, or takes the home Region when none was named).
    """

    base: AccountSession
    home: str
    regions: list[str]
    want_all: bool
    partition: str
    factory: SessionFactory
    profile: str | None
    started: float
    preflight_calls: int = 1  # GetCallerIdentity

    def resolve_regions(self) -> None:
        if self.want_all:
            self.regions = enabled_regions(self.base, self.home)
            self.preflight_calls += 1
        elif not self.regions:
            self.regions = [self.home]


def start_collection(
    regions: Sequence[str],
    profile: str | None,
    session_factory: SessionFactory | None,
    *,
    check: Callable[[], None] = lambda: None,
) -> Start:
    """Open the base session, check the Regions, identify the account (`check` runs first,
    to refuse bad options before any credentials are looked for)."""
    started = time.monotonic()
    if session_factory is None:
        import boto3

        session_factory = boto3.Session
    check()
    base_session = open_session(session_factory, profile)
    wanted, want_all = parse_region_values(regions)
    home = _home_region(wanted, want_all, base_session)
    partition = partition_of(base_session, wanted or [home])
    base = identify(base_session, home)
    return Start(base, home, wanted, want_all, partition, session_factory, profile, started)


def collect_snapshot(
    regions: Sequence[str],
    *,
    profile: str | None = None,
    role_arns: Sequence[str] = (),
    max_workers: int = 4,
    progress: Callable[[ProgressEvent], None] | None = None,
    session_factory: SessionFactory | None = None,
) -> CollectResult:
    """Read every account and Region with read-only calls and return the raw snapshot.

    `regions` are `--region` values: repeated and/or comma-separated codes, `all` for
    every enabled Region, or empty for the configured Region (`AWS_REGION`, profile).
    The accounts are the base credentials' account plus one per `role_arns` entry.
    `session_factory` builds `boto3.Session`s (default: `boto3.Session` itself).
    Raises `UsageError`/`CollectError` (one line) when nothing useful can be read.
    """

    def check() -> None:
        for role_arn in role_arns:
            check_role_arn(role_arn)

    run = start_collection(regions, profile, session_factory, check=check)
    accounts = _accounts(run.base, role_arns, run.home, run.factory, profile)
    run.preflight_calls += len(role_arns)  # one AssumeRole per role
    run.resolve_regions()

    emit = progress or (lambda _event: None)
    stop = threading.Event()
    pool = CallPool(sent=run.preflight_calls)
    tasks = account_tasks(accounts, run.regions, run.home, emit, stop, pool)
    emit(ProgressEvent("start", total=sum(len(t.table) for t in tasks), calls=pool.sent))
    try:
        _run_tasks(tasks, max_workers, stop)
    finally:
        pool.close()

    manifest = new_manifest(run, tuple(a.account for a in accounts))
    return joined_result(manifest, tasks, run.preflight_calls, run.started)


def new_manifest(
    run: Start, accounts: Sequence[str], failed: Mapping[str, str] | None = None
) -> Manifest:
    """The manifest of a collection: now, its partition, accounts and Regions, and (with
    `--org`) the accounts that could not be read and why."""
    return Manifest(
        format=FORMAT,
        created=_utc_now(),
        partition=run.partition,
        accounts=tuple(accounts),
        regions=tuple(run.regions),
        collector={"name": "ssmreach", "version": __version__},
        failed_accounts=dict(failed) if failed else msgspec.UNSET,
    )


def _home_region(wanted: Sequence[str], want_all: bool, session: Any) -> str:
    """The Region of the preflight calls and the global services: the first one asked for,
    else the configured one (AWS_REGION wins over AWS_DEFAULT_REGION and the profile, as in
    the AWS CLI v2); for `all` with no Region configured, us-east-1."""
    home: str | None = (
        wanted[0] if wanted else (os.environ.get("AWS_REGION") or session.region_name)
    )
    if home is None and want_all:
        home = "us-east-1"
    if home is None:
        raise UsageError("no Region: pass --region R (or set AWS_REGION)")
    return home


def _accounts(
    base: AccountSession,
    role_arns: Sequence[str],
    home: str,
    session_factory: SessionFactory,
    profile: str | None,
) -> list[AccountSession]:
    """The base credentials' account, then one assumed role per account (never two)."""
    accounts = [base]
    for role_arn in role_arns:
        assumed = assume_role(base, role_arn, home, session_factory, profile)
        clash = next((a for a in accounts if a.account == assumed.account), None)
        if clash is not None:
            what = f"--role-arn {clash.role_arn}" if clash.role_arn else "your base credentials"
            raise UsageError(
                f"--role-arn {role_arn} is in account {assumed.account}, which {what} already "
                "reads; pass one role per account"
            )
        accounts.append(assumed)
    return accounts


def account_tasks(
    accounts: Sequence[AccountSession],
    regions: Sequence[str],
    home: str,
    emit: Callable[[ProgressEvent], None],
    stop: threading.Event,
    pool: CallPool,
) -> list[Task]:
    """Per account: its global part (with clients in `home`), then one task per Region;
    their call lists all run in `pool`."""
    table = tuple(calls_module.CALLS)
    regional = calls_module.calls_for("regional", table)
    global_ = calls_module.calls_for("global", table)
    tasks: list[Task] = []
    for account in accounts:
        tasks.append(Task(account, GLOBAL, home, global_, emit, pool, stop))
        tasks.extend(
            Task(account, region, region, regional, emit, pool, stop) for region in regions
        )
    return tasks


def joined_result(
    manifest: Manifest, tasks: Sequence[Task], preflight_calls: int, started: float
) -> CollectResult:
    """The tasks' files and failures joined into one snapshot, with the run's numbers."""
    files: dict[OperationKey, RawFile] = {}
    failures: list[CallFailure] = []
    for task in tasks:
        files.update(task.files)
        failures.extend(task.failures)
    stats = CollectStats(
        calls=preflight_calls + sum(t.calls for t in tasks),
        seconds=time.monotonic() - started,
        failures=tuple(failures),
    )
    return CollectResult(RawSnapshot(manifest=manifest, files=files), stats)


def _run_tasks(tasks: Sequence[Task], max_workers: int, stop: threading.Event) -> None:
    """Run the tasks; the first exception (or Ctrl-C) stops the others between operations."""
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="ssmreach")
    try:
        futures = [pool.submit(task.run) for task in tasks]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            error = future.exception()
            if error is not None:
                raise error
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
