"""One task of a collection (an account in one Region, or its global part) and the pool
its call lists share.

A `Task` runs the table in order, so a call list always finds the merged result of its
source operation. The calls of call lists (one per VPC, private zone, key, ...) go to one
`CallPool` per collection, bounded and shared by every task; consecutive call lists that
do not read each other are sent together (`batches`), and every file keeps its requests'
order. A failed operation becomes `<Operation>.error.json`, and the call lists that depend
on it are not written. `ProgressEvent`s tell a progress display what was done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from ssmreach.collect.calls import ApiCall, Params
from ssmreach.collect.invoke import CallFailure, OperationFailed, classify, encode_json, invoke
from ssmreach.collect.session import AccountSession
from ssmreach.model.raw import OperationKey, RawError, RawFile, RawOk

CALL_WORKERS = 16
"""How many calls of call lists run at once in one collection, over all its tasks (each
client's adaptive retries slow them when throttled)."""

_ABSENT_MARKERS = ("NotFound", "NoSuch", "InvalidDocument")
"""Error codes of a call-list element that only say the resource does not exist (for
example `GetDocument` on an account that never saved Session Manager preferences)."""


# --- progress -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Progress of a collection, for a progress bar.

    `start` carries the number of operations planned (`total`); `operation` is sent
    after each operation of each task (`ok` is False when it failed or was skipped).
    With `--org`, `account` is sent when an account's reading starts, is done, or
    failed (`state`); a failed one says why (`detail`) and how many of the planned
    operations it will not run (`total`). `calls` is the number of calls the collection
    had sent when the event was sent, and `calls_left` the calls known to be still to
    come: those of call lists already built and not yet answered (the pages of an
    operation, and a call list before its source answered, are not known in advance).
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
    calls: int = 0
    calls_left: int = 0


# --- the calls of call lists: one pool per collection ---------------------------------------


Answer = dict[str, Any] | OperationFailed


@dataclass
class CallPool:
    """One bounded pool in which the calls of every call list of a collection run, and the
    count of the calls sent and of those known to come, for the progress display.

    `sent` starts at the calls made before the tasks (identity, Regions, roles) so that it
    ends at the collection's total; `left` is the calls of call lists submitted and not
    yet answered. The threads start with the first submitted call; `close` ends them.
    """

    sent: int = 0
    workers: int = CALL_WORKERS
    left: int = 0
    _executor: ThreadPoolExecutor | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count_sent(self) -> None:
        with self._lock:
            self.sent += 1

    def _left(self, change: int) -> None:
        with self._lock:
            self.left += change

    def submit(
        self, requests: Sequence[Params], send: Callable[[Params], Answer | None]
    ) -> list[Future[Answer | None]]:
        """Send each request with `send` in the pool; the futures are in request order."""
        if not requests:
            return []
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=max(1, self.workers), thread_name_prefix="ssmreach-call"
                )
            executor = self._executor
            self.left += len(requests)

        def one(request: Params) -> Answer | None:
            try:
                return send(request)
            finally:
                self._left(-1)

        return [executor.submit(one, request) for request in requests]

    def close(self) -> None:
        """End the threads (once every task is done: queued calls are dropped)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def batches(table: Sequence[ApiCall]) -> list[tuple[ApiCall, ...]]:
    """The table in runs of operations: each whole-account operation alone, and consecutive
    call lists together as long as none reads another one of its run (as `source` or in
    `also`), so that all of a run's calls can be sent at once."""
    runs: list[list[ApiCall]] = []
    for call in table:
        current = runs[-1] if runs else []
        joins = call.is_call_list and bool(current) and current[0].is_call_list
        if joins and not {call.source, *call.also} & {c.operation for c in current}:
            current.append(call)
        else:
            runs.append([call])
    return [tuple(run) for run in runs]


# --- one task: an account in one Region, or its global part ---------------------------------


@dataclass
class Task:
    account: AccountSession
    region: str  # a Region code, or GLOBAL
    client_region: str
    table: tuple[ApiCall, ...]
    emit: Callable[[ProgressEvent], None]
    pool: CallPool
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
        self.pool.count_sent()

    def client(self, service: str) -> Any:
        with self._lock:  # call lists of one run may ask for their clients from two threads
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
                classify(failed.code),
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
                calls=self.pool.sent,
                calls_left=self.pool.left,
            )
        )

    def run(self) -> None:
        results: dict[str, dict[str, Any]] = {}
        for run in batches(self.table):
            if self.stop.is_set():  # another task failed, or the user interrupted
                return
            if not run[0].is_call_list:
                outcomes = [(run[0], self._whole(run[0], results))]
            else:
                done = self._call_lists(run, results)
                if done is None:
                    return
                outcomes = done
            for call, ok in outcomes:
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

    def _send(self, call: ApiCall) -> Callable[[Params], Answer | None]:
        client = self.client(call.service)

        def send(request: Params) -> Answer | None:
            if self.stop.is_set():
                return None  # the collection stops: the task writes nothing more
            try:
                return invoke(client, call, request)
            except OperationFailed as failed:
                return failed

        return send

    def _call_lists(
        self, run: Sequence[ApiCall], results: dict[str, dict[str, Any]]
    ) -> list[tuple[ApiCall, bool]] | None:
        """Send the calls of a run of call lists at once; record them in table order
        (None: the collection was stopped meanwhile)."""
        pending: list[tuple[list[Params], list[Future[Answer | None]]] | None] = []
        for call in run:
            if call.source is not None and call.source not in results:
                pending.append(None)  # its source failed: the call list is not written
                continue
            assert call.requests is not None
            requests = call.requests(call.source_of(results))
            pending.append((requests, self.pool.submit(requests, self._send(call))))
        answers = [None if p is None else [f.result() for f in p[1]] for p in pending]
        if self.stop.is_set():
            return None
        outcomes: list[tuple[ApiCall, bool]] = []
        for call, entry, got in zip(run, pending, answers, strict=True):
            if entry is None or got is None:
                outcomes.append((call, False))
            else:
                outcomes.append((call, self._record(call, entry[0], got, results)))
        return outcomes

    def _record(
        self,
        call: ApiCall,
        requests: Sequence[Params],
        answers: Sequence[Answer | None],
        results: dict[str, dict[str, Any]],
    ) -> bool:
        """Write a call list's file (the requests' order) and keep it as a source."""
        elements: list[dict[str, Any]] = []
        ok = True
        for request, answer in zip(requests, answers, strict=True):
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
