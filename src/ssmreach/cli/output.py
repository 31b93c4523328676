"""Writing a report: to stdout, or atomically to a file (nothing half-written on failure)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ssmreach.errors import UsageError


def write_output(data: bytes | Iterable[bytes], output: Path | None) -> None:
    """Write bytes (or chunks of bytes, streamed) to stdout or atomically to `output`."""
    chunks = [data] if isinstance(data, bytes) else data
    if output is None:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
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
            for chunk in chunks:
                handle.write(chunk)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
