"""Several formats in one run, CSV, --quiet, terminal manners and the files `--output` writes."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from paths import EXAMPLES
from ssmreach.cli.app import cli
from ssmreach.report.formats import FORMATS

PARTLY = str(EXAMPLES / "partly-private")


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_several_formats_are_written_from_one_analysis(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    code, stdout, _ = invoke(
        "check", "--snapshot", PARTLY, "--format", "html,sarif,json,csv", "--output-dir", str(out)
    )
    assert code == 0 and stdout == ""
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "ssmreach-report.csv",
        "ssmreach-report.html",
        "ssmreach-report.json",
        "ssmreach-report.sarif",
    ]
    assert json.loads((out / "ssmreach-report.json").read_text())["format"] == "ssmreach.check/1"


def test_several_formats_need_a_folder_and_an_unknown_one_is_named() -> None:
    code, _, err = invoke("check", "--snapshot", PARTLY, "--format", "json,sarif")
    assert code == 2 and "--output-dir" in err
    code, _, err = invoke("check", "--snapshot", PARTLY, "--format", "json,yaml")
    assert code == 2 and "yaml" in err and "csv" in err


def test_csv_has_one_row_per_instance_and_feature() -> None:
    code, out, _ = invoke("check", "--snapshot", PARTLY, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5
    internet = next(r for r in rows if r["feature"] == "session-manager")
    assert internet["verdict"] == "INTERNET" and "INTERNET_PATH" in internet["codes"]


def test_quiet_prints_the_summary_line_only() -> None:
    code, out, _ = invoke("check", "--snapshot", PARTLY, "--quiet")
    assert code == 0
    assert out.splitlines() == [
        "ssmreach check: 1 instance(s), 5 results (1 PRIVATE, 4 INTERNET, 0 UNKNOWN, 0 BLOCKED)"
    ]


def test_text_follows_columns_and_stays_within_80() -> None:
    code, out, _ = invoke("check", "--snapshot", PARTLY, env={"COLUMNS": "80"})
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80


def test_output_json_is_an_aws_cli_habit_and_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("check", "--snapshot", PARTLY, "--output", "json")
    assert code == 0
    assert "--format json" in err and (tmp_path / "json").is_file()


def test_a_report_file_gets_the_mode_of_the_users_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "report.json"
        code, _, _ = invoke(
            "check", "--snapshot", PARTLY, "--format", "json", "--output", str(target)
        )
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_sarif_rules_carry_security_severity() -> None:
    code, out, _ = invoke("check", "--snapshot", PARTLY, "--format", "sarif")
    assert code == 0
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    assert all(float(r["properties"]["security-severity"]) > 0 for r in rules if "properties" in r)


def test_every_format_is_in_the_help() -> None:
    code, out, _ = invoke("check", "--help")
    assert code == 0
    assert all(name in out for name in FORMATS)
