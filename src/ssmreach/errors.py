"""The one exception tree of ssmreach.

    SsmreachError                 base; carries a one-line message and an exit code
    ├── SnapshotError             a snapshot folder or file cannot be read (exit 2)
    ├── CollectError              reading a live account failed as a whole (exit 2)
    ├── SitesError                a `--sites` file cannot be read (exit 2)
    └── UsageError                options that do not fit together (exit 2)

Nothing below `ssmreach.cli` prints or exits: the CLI catches `SsmreachError`,
prints `error: <message>` on one line and exits with `exit_code`.
"""

from __future__ import annotations


class SsmreachError(Exception):
    """Base of every error ssmreach raises on purpose."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SnapshotError(SsmreachError):
    """A snapshot cannot be read: names the file and what is wrong with it."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class SitesError(SsmreachError):
    """A `--sites` file (the on-premises networks) cannot be read: names the file and
    what is wrong with it, on one line."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class CollectError(SsmreachError):
    """Reading the live account failed in a way that makes the snapshot useless."""


class UsageError(SsmreachError):
    """Options that do not fit together."""
