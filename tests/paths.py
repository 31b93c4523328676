"""Paths the tests share (import from here, not from a conftest: there are several)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "snapshots"
DATA = Path(__file__).parent / "data"
