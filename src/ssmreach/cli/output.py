"""Writing a report: to stdout, or atomically to a file (nothing half-written on failure)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ssmreach.errors import UsageError

_BATCH = 512  # pieces per system call (IOV_MAX is at least 1024 on Linux and macOS)


def _write_pieces(fd: int, pieces: Iterable[bytes]) -> None:
    """Write a stream of pieces to a file descriptor, many per system call.

    The report streams shared pieces (one encoded service result for a whole group of
    instances); `os.writev` hands them to the kernel without joining them first.
    """
    batch: list[bytes] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= _BATCH:
            _write_batch(fd, batch)
            batch = []
    if batch:
        _write_batch(fd, batch)


def _write_batch(fd: int, batch: list[bytes]) -> None:
    if not hasattr(os, "writev"):  # Windows
        data = memoryview(b"".join(batch))
        while data:
            data = data[os.write(fd, data) :]
        return
    size = sum(map(len, batch))
    written = os.writev(fd, batch)
    if written == size:
        return
    pending = _after(list(batch), written)
    while pending:
        pending = _after(pending, os.writev(fd, pending))


def _after(pieces: list[bytes | memoryview], count: int) -> list[bytes | memoryview]:
    """What is left of `pieces` once their first `count` bytes are written."""
    for index, piece in enumerate(pieces):
        if count < len(piece):
            return [memoryview(piece)[count:], *pieces[index + 1 :]]
        count -= len(piece)
    return []


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_output(data: bytes | Iterable[bytes], output: Path | None) -> None:
    """Write bytes (or pieces of bytes, streamed) to stdout or atomically to `output`."""
    chunks = [data] if isinstance(data, bytes) else data
    if output is None:
        out = sys.stdout.buffer
        sys.stdout.flush()
        try:
            fd = out.fileno()
        except (AttributeError, OSError):  # a captured stream (io.UnsupportedOperation)
            for chunk in chunks:
                out.write(chunk)
            sys.stdout.flush()
            return
        _write_pieces(fd, chunks)
        return
    parent = output.resolve().parent
    if not parent.is_dir():
        raise UsageError(
            f"{output}: folder {parent} does not exist; create it or choose another --output"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=parent)
    try:
        try:
            _write_pieces(fd, chunks)
        finally:
            os.close(fd)
        # mkstemp makes the file 0600; a report gets the mode any new file of the user gets.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
