"""The README's first quickstart command works in a fresh virtual environment."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from paths import ROOT


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_quickstart_commands() -> None:
    commands = quickstart_commands()
    assert len(commands) == 2
    assert "ssmreach demo" in commands[0]
    assert "pytest" in commands[1] and ".[test]" in commands[1]


def test_first_quickstart_command_runs_the_demo_in_a_fresh_venv(tmp_path: Path) -> None:
    copy = tmp_path / "ssmreach"
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in tracked:
        source = ROOT / name
        if source.is_file():
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIRTUAL_ENV", "PYTHON"))
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    command = quickstart_commands()[0].replace("python3 ", f"{sys.executable} ", 1)
    proc = subprocess.run(
        ["bash", "-c", command], cwd=copy, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "6. What changed" in proc.stdout
    assert (copy / "ssmreach-demo" / "check-after.html").is_file()
