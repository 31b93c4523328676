"""Writing a report: to stdout, or atomically to a file (nothing half-written on failure)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ssmreach.errors import UsageError


def write_output(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    parent = output.resolve().parent
    if not parent.is_dir():
        raise UsageError(
            f"{output}: folder {parent} does not exist; create it or choose another --output"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
