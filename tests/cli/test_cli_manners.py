"""What users of AWS tools expect from the command line: a fast --help, named profiles."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from ssmreach.cli.app import cli
from ssmreach.cli.commands import COMMANDS, SUMMARIES, load


def test_the_group_help_imports_no_aws_sdk() -> None:
    code = (
        "import sys\n"
        "from ssmreach.cli.app import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'moto') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert all(name in out.stdout for name in COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_first_line_of_its_command_help(name: str) -> None:
    assert (load(name).help or "").strip().splitlines()[0] == SUMMARIES[name]


def test_an_unknown_aws_profile_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    result = CliRunner().invoke(cli, ["check", "--region", "us-east-1"])
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert "'nope' (AWS_PROFILE)" in line
