"""The pre-commit hook of the pre-deploy check (`ssmreach-plan-hook`, `.pre-commit-hooks.yaml`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from paths import EXAMPLES, ROOT
from ssmreach.cli.plan_hook import run

PLANS = ROOT / "tests" / "data" / "terraform"
SNAPSHOT = ["--snapshot", str(EXAMPLES / "partly-private")]


def test_a_plan_that_makes_verdicts_worse_fails_the_commit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run([*SNAPSHOT, str(PLANS / "nacl-deny" / "plan.json")]) == 1
    assert "5 verdict(s) worse" in capsys.readouterr().err


def test_a_plan_that_only_helps_passes() -> None:
    assert run([*SNAPSHOT, str(PLANS / "full-fix" / "plan.json")]) == 0


def test_every_staged_plan_is_checked_and_the_worst_exit_wins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(PLANS / "full-fix" / "plan.json"), str(PLANS / "nacl-deny" / "plan.json")]
    assert run([*SNAPSHOT, *files]) == 1
    err = capsys.readouterr().err
    assert all(f"ssmreach: {f}" in err for f in files)


def test_a_broken_plan_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.tfplan.json"
    broken.write_text("{not json")
    assert run([*SNAPSHOT, str(broken), str(PLANS / "full-fix" / "plan.json")]) == 2
    assert f"error: {broken}: not valid JSON" in capsys.readouterr().err


def test_no_plan_among_the_files_checks_nothing() -> None:
    assert run(SNAPSHOT) == 0


def test_the_hook_definition_names_an_installed_command() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    (hook,) = hooks
    assert hook["entry"] in scripts
    assert hook["language"] == "python" and hook["pass_filenames"] is True
