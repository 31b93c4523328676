"""One `apply` at a time per account on a machine: a lock file, held while it reads and acts.

Two `apply` runs of one plan at once would both find a resource missing and both create
it. The lock (`filelock`, a well-kept cross-platform library) lives in the system's
temporary folder, one per account; a second run does not wait: it stops at once with a
one-line error naming the lock. Runs from different machines are not serialised by it;
there the handlers' idempotency tokens and their look-before-create keep a second run
from duplicating what the first made, and the stale-plan check refuses it afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ssmreach.errors import SsmreachError
from ssmreach.plan.plan import Plan


class ApplyLocked(SsmreachError):
    """Another apply is changing the same account from this machine."""


def lock_path(account: str) -> Path:
    return Path(tempfile.gettempdir()) / f"ssmreach-apply-{account}.lock"


@contextmanager
def apply_lock(plan: Plan) -> Iterator[None]:
    """Hold the lock of every account of `plan` while the block runs."""
    accounts = sorted({s.account for s in plan.scope} | {c.account for c in plan.changes})
    locks = [FileLock(str(lock_path(a)), timeout=0) for a in accounts]
    held: list[FileLock] = []
    try:
        for account, lock in zip(accounts, locks, strict=True):
            try:
                lock.acquire()
            except Timeout:
                raise ApplyLocked(
                    f"another `ssmreach apply` is changing account {account} from this machine "
                    f"(lock {lock.lock_file}); wait for it to finish, then plan and apply again"
                ) from None
            held.append(lock)
        yield
    finally:
        for lock in reversed(held):
            lock.release()
