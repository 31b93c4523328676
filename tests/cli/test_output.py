"""Writing reports: pieces reach the file in order, short writes are resumed, and a
failed write leaves nothing behind."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ssmreach.cli.output import write_output

PIECES = [b"{", b"", b'"a":', b"1" * 3000, b",", b'"b":[]', b"}"] * 300


def test_pieces_are_written_in_order(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_output(iter(PIECES), target)
    assert target.read_bytes() == b"".join(PIECES)


def test_short_writes_are_resumed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.writev
    sizes: list[int] = []

    def short(fd: int, buffers: Sequence[bytes | memoryview]) -> int:
        # A pipe or a signal may cut a write short: write at most 1,001 bytes each time.
        budget, taken = 1001, []
        for b in buffers:
            if budget <= 0:
                break
            taken.append(memoryview(b)[:budget])
            budget -= len(taken[-1])
        written = real(fd, taken)
        sizes.append(written)
        return written

    monkeypatch.setattr(os, "writev", short)
    target = tmp_path / "report.json"
    write_output(iter(PIECES), target)
    assert target.read_bytes() == b"".join(PIECES)
    assert max(sizes) == 1001 and len(sizes) > 100


def test_a_failed_stream_leaves_no_file(tmp_path: Path) -> None:
    def failing() -> Iterator[bytes]:
        yield b"{"
        raise RuntimeError("analysis failed")

    target = tmp_path / "report.json"
    with pytest.raises(RuntimeError):
        write_output(failing(), target)
    assert list(tmp_path.iterdir()) == []


def test_stdout_gets_the_same_bytes(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    write_output(iter(PIECES), None)
    assert capfdbinary.readouterr().out == b"".join(PIECES)


def test_without_writev_the_pieces_are_joined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "writev")  # as on Windows
    target = tmp_path / "report.json"
    write_output(iter(PIECES), target)
    assert target.read_bytes() == b"".join(PIECES)
