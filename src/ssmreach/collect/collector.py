"""Run the calls table against live accounts and build a `RawSnapshot` in memory.

Work is split into tasks, one per (account, Region) plus one per account for the
global services, run in a bounded thread pool; every task builds its own clients.
Inside a task the table runs in order, so a call list always finds the merged
result of its source operation. Whole-account operations are written exactly as the
AWS CLI prints them with `--output json` (pages merged with the botocore paginator,
paging tokens and `ResponseMetadata` dropped, timestamps as ISO-8601 strings).

A failed operation never stops the run: it becomes `<Operation>.error.json`, and
call lists that depend on it are not written. Only the read-only guard, and the
preflight checks in `ssmreach.collect.session`, stop a collection. The accounts of an
organization (`--org`) are read by `ssmreach.collect.organization` with the same tasks.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from ssmreach import __version__
from ssmreach.collect import calls as calls_module
from ssmreach.collect.accounts import AccountFailure, Organization
from ssmreach.collect.calls import ApiCall, Params
from ssmreach.collect.readonly import ReadOnlyViolation
from ssmreach.collect.retry_budget import RetryBudgetExceeded, summarise
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
from ssmreach.errors import UsageError
from ssmreach.model.estate import gap_kind_for
from ssmreach.model.raw import (
    FORMAT,
    GLOBAL,
    Manifest,
    OperationKey,
    RawError,
    RawFile,
    RawOk,
    RawSnapshot,
)

FailureKind = Literal["denied", "throttled", "failed"]

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)

CALL_LIST_WORKERS = 8
"""How many calls of one call list run at once (adaptive retries slow them when throttled)."""

_ABSENT_MARKERS = ("NotFound", "NoSuch", "InvalidDocument")
"""Error codes of a call-list element that only say the resource does not exist (for
example `GetDocument` on an account that never saved Session Manager preferences)."""


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Progress of a collection, for a progress bar.

    `start` carries the number of operations planned (`total`); `operation` is sent
    after each operation of each task (`ok` is False when it failed or was skipped).
    With `--org`, `account` is sent when an account's reading starts, is done, or
    failed (`state`); a failed one says why (`detail`) and how many of the planned
    operations it will not run (`total`).
    """

    kind: Literal["start", "operation", "account"]
    total: int = 0
    account: str = ""
    region: str = ""
    service: str = ""
    operation: str = ""
    ok: bool = True
    state: Literal["", "started", "done", "failed"] = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CallFailure:
    """An operation (or one call of a call list) that did not answer."""

    account: str
    region: str
    service: str
    operation: str
    code: str
    message: str
    kind: FailureKind
    request: Mapping[str, Any] | None = None

    @property
    def api(self) -> str:
        return f"{self.service}:{self.operation}"


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


# --- JSON -----------------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def encode_json(value: object) -> bytes:
    """The bytes of one snapshot file: indent 1, key order as AWS sent it, UTF-8."""
    return json.dumps(value, indent=1, ensure_ascii=False, default=_json_default).encode("utf-8")


# --- one call ------------------------------------------------------------------------------


class OperationFailed(Exception):
    """An operation that did not answer: its error code and message, each one short line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = summarise(code)
        self.message = summarise(message)


def _classify(code: str) -> FailureKind:
    if code in THROTTLING_CODES:
        return "throttled"
    return "denied" if gap_kind_for(code) == "denied" else "failed"


def invoke(client: Any, call: ApiCall, params: Mapping[str, Any]) -> dict[str, Any]:
    """One operation with every page merged, as the AWS CLI prints it; raises `OperationFailed`."""
    method = xform_name(call.operation)
    kwargs = copy.deepcopy(dict(params))
    try:
        if client.can_paginate(method):
            config: dict[str, int] = {"PageSize": call.page_size} if call.page_size else {}
            if call.max_items:
                config["MaxItems"] = call.max_items
            paginator = client.get_paginator(method)
            result: dict[str, Any] = paginator.paginate(
                **kwargs, PaginationConfig=config
            ).build_full_result()
        else:
            result = dict(getattr(client, method)(**kwargs))
    except (ReadOnlyViolation, ParamValidationError):
        raise
    except RetryBudgetExceeded as exc:
        raise OperationFailed(exc.code, str(exc)) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise OperationFailed(
            str(error.get("Code") or "Unknown"), str(error.get("Message") or "")
        ) from None
    except BotoCoreError as exc:
        raise OperationFailed(type(exc).__name__, str(exc)) from None
    except Exception as exc:  # an endpoint that answers with something botocore cannot map
        raise OperationFailed(type(exc).__name__, str(exc)) from None
    result.pop("ResponseMetadata", None)
    for token in ("NextToken", "Marker", "NextMarker", "IsTruncated"):
        result.pop(token, None)
    return result


# --- one task: an account in one Region, or its global part ---------------------------------


@dataclass
class Task:
    account: AccountSession
    region: str  # a Region code, or GLOBAL
    client_region: str
    table: tuple[ApiCall, ...]
    emit: Callable[[ProgressEvent], None]
    stop: threading.Event = field(default_factory=threading.Event)
    calls: int = 0
    answered: int = 0  # operations (or call-list elements) that answered
    files: dict[OperationKey, RawFile] = field(default_factory=dict)
    failures: list[CallFailure] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _count(self, **_: Any) -> None:
        with self._lock:
            self.calls += 1

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self.account.client(service, self.client_region)
            client.meta.events.register("before-call", self._count)
            self._clients[service] = client
        return self._clients[service]

    def _key(self, call: ApiCall) -> OperationKey:
        return OperationKey(self.account.account, self.region, call.service, call.operation)

    def _failure(
        self, call: ApiCall, failed: OperationFailed, request: Mapping[str, Any] | None
    ) -> None:
        self.failures.append(
            CallFailure(
                self.account.account,
                self.region,
                call.service,
                call.operation,
                failed.code,
                failed.message,
                _classify(failed.code),
                request,
            )
        )

    def _event(self, call: ApiCall, ok: bool) -> None:
        self.emit(
            ProgressEvent(
                "operation",
                account=self.account.account,
                region=self.region,
                service=call.service,
                operation=call.operation,
                ok=ok,
            )
        )

    def run(self) -> None:
        results: dict[str, dict[str, Any]] = {}
        for call in self.table:
            if self.stop.is_set():  # another task failed, or the user interrupted
                return
            if call.requests is None:
                ok = self._whole(call, results)
            elif call.source is not None and call.source not in results:
                ok = False  # its source failed: the call list is not written
            else:
                ok = self._call_list(call, call.source_of(results), results)
            self._event(call, ok)

    def _whole(self, call: ApiCall, results: dict[str, dict[str, Any]]) -> bool:
        try:
            answer = invoke(self.client(call.service), call, call.params)
        except OperationFailed as failed:
            self.files[self._key(call)] = RawError(failed.code, failed.message)
            if failed.code in call.answer_codes:
                self.answered += 1
                return True  # an error that is the answer (no organization): not a failure
            self._failure(call, failed, None)
            return False
        if call.reduce is not None:
            answer = call.reduce(answer)
        self.answered += 1
        results[call.operation] = answer
        self.files[self._key(call)] = RawOk(encode_json(answer))
        return True

    def _call_list(
        self, call: ApiCall, source: Mapping[str, Any], results: dict[str, dict[str, Any]]
    ) -> bool:
        assert call.requests is not None
        requests = call.requests(source)
        client = self.client(call.service)

        def one(request: Params) -> tuple[Params, dict[str, Any] | OperationFailed]:
            try:
                return request, invoke(client, call, request)
            except OperationFailed as failed:
                return request, failed

        # One call per VPC or private zone: run them side by side (clients are thread-safe),
        # a few at a time, and keep the requests' order in the file.
        if len(requests) > 1:
            with ThreadPoolExecutor(max_workers=min(CALL_LIST_WORKERS, len(requests))) as pool:
                answers = list(pool.map(one, requests))
        else:
            answers = [one(r) for r in requests]
        elements: list[dict[str, Any]] = []
        ok = True
        for request, answer in answers:
            if isinstance(answer, OperationFailed):
                elements.append(
                    {"Request": request, "Error": {"Code": answer.code, "Message": answer.message}}
                )
                if not any(marker in answer.code for marker in _ABSENT_MARKERS):
                    self._failure(call, answer, request)
                    ok = False
                continue
            elements.append({"Request": request, "Response": answer})
            self.answered += 1
        self.files[self._key(call)] = RawOk(encode_json(elements))
        results[call.operation] = {"Account": self.account.account, "Calls": elements}
        return ok


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
    tasks = account_tasks(accounts, run.regions, run.home, emit, stop)
    emit(ProgressEvent("start", total=sum(len(t.table) for t in tasks)))

    _run_tasks(tasks, max_workers, stop)

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
) -> list[Task]:
    """Per account: its global part (with clients in `home`), then one task per Region."""
    table = tuple(calls_module.CALLS)
    regional = calls_module.calls_for("regional", table)
    global_ = calls_module.calls_for("global", table)
    tasks: list[Task] = []
    for account in accounts:
        tasks.append(Task(account, GLOBAL, home, global_, emit, stop))
        tasks.extend(Task(account, region, region, regional, emit, stop) for region in regions)
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
