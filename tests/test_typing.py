"""The package and its tests type-check with mypy (the strict settings of pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from paths import ROOT


def test_mypy_is_clean_on_src_and_tests() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "pyproject.toml",
            "src",
            "tests",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
