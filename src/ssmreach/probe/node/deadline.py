"""The probe's time budget: a global deadline every step is capped by, and its exceptions."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Callable


class ProbeUsageError(Exception):
    """Options that cannot work (no Region, unknown feature): exit 2."""


class DeadlineExceeded(Exception):
    """The global deadline passed before a step could start."""


class Deadline:
    """The whole probe's time budget; every step's timeout is capped by what is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def step(self, timeout: float) -> float:
        left = self.left()
        if left <= 0.01:
            raise DeadlineExceeded("the probe's deadline passed")
        return max(0.01, min(timeout, left))


def in_thread(func: Callable[[], Any], timeout: float) -> Any:
    """Run a call that has no timeout of its own (getaddrinfo) in a daemon thread."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise socket.timeout(f"no answer within {timeout:.1f} s")  # noqa: UP041 (Python 3.8)
    if "error" in box:
        raise box["error"]
    return box.get("value")
