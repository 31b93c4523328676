"""`ssmreach check --terraform-plan` through the CLI: exit codes, the plan's summary on
stderr, and one-line errors for files that are not plans and options that do not fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from paths import EXAMPLES, ROOT
from ssmreach.cli.app import cli

PARTLY = str(EXAMPLES / "partly-private")
PLANS = ROOT / "tests" / "data" / "terraform"
NACL_DENY = str(PLANS / "nacl-deny" / "plan.json")
NEW_VPC = str(PLANS / "new-vpc" / "plan.json")


@pytest.fixture(autouse=True)
def _no_baseline_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty folder, so no `.ssmreach-baseline.yaml` is picked up."""
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_line_error(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_a_plan_that_denies_https_exits_1_and_says_five_verdicts_are_worse() -> None:
    result = run("check", "--snapshot", PARTLY, "--terraform-plan", NACL_DENY)
    assert result.exit_code == 1, result.output
    assert f"{NACL_DENY}: 1 planned change(s) laid over the snapshot" in result.stderr
    assert f"{NACL_DENY}: 5 verdict(s) worse, 0 better once applied" in result.stderr
    assert "worse: web core: PRIVATE -> BLOCKED (NACL_OUTBOUND_DENIED)" in result.stderr


def test_the_report_is_of_the_estate_as_the_plan_leaves_it() -> None:
    result = run("check", "--snapshot", PARTLY, "--terraform-plan", NACL_DENY, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"]["verdicts"] == {
        "PRIVATE": 0,
        "INTERNET": 0,
        "BLOCKED": 5,
        "UNKNOWN": 0,
    }


def test_fail_on_worse_fails_a_plan_that_only_moves_private_to_internet(tmp_path: Path) -> None:
    """Deleting the ssm endpoint: core goes PRIVATE -> INTERNET, nothing is BLOCKED."""
    doc = json.loads((PLANS / "nacl-deny" / "plan.json").read_text())
    doc["resource_changes"] = [
        {
            "address": "aws_vpc_endpoint.ssm",
            "mode": "managed",
            "type": "aws_vpc_endpoint",
            "name": "ssm",
            "change": {
                "actions": ["delete"],
                "before": {"id": "vpce-0fe9e1694d41f67d5", "vpc_endpoint_type": "Interface"},
                "after": None,
                "after_unknown": {},
            },
        }
    ]
    doc["configuration"]["root_module"]["resources"] = []
    path = tmp_path / "delete-endpoint.json"
    path.write_text(json.dumps(doc))
    plain = run("check", "--snapshot", PARTLY, "--terraform-plan", str(path))
    assert plain.exit_code == 0, plain.output
    assert "1 verdict(s) worse" in plain.stderr
    gated = run("check", "--snapshot", PARTLY, "--terraform-plan", str(path), "--fail-on-worse")
    assert gated.exit_code == 1
    assert "the plan makes verdicts worse (--fail-on-worse)" in gated.stderr


def test_a_plan_file_that_is_not_json_is_one_line_naming_terraform_show(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("Terraform will perform the following actions:\n")
    line = one_line_error(
        run("check", "--snapshot", PARTLY, "--terraform-plan", str(path)),
        f"error: {path}: not valid JSON",
        "terraform show -json",
    )
    assert line.startswith(f"error: {path}: not valid JSON (")


def test_a_check_report_passed_as_the_plan_is_one_line_error(tmp_path: Path) -> None:
    report = run("check", "--snapshot", PARTLY, "--format", "json")
    path = tmp_path / "check.json"
    path.write_text(report.stdout)
    one_line_error(
        run("check", "--snapshot", PARTLY, "--terraform-plan", str(path)),
        f"{path}: not a Terraform JSON plan",
        "format_version",
        "terraform show -json",
    )


def test_a_missing_plan_file_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    one_line_error(
        run("check", "--snapshot", PARTLY, "--terraform-plan", str(path)),
        f"{path}: cannot be read",
    )


def test_plan_alone_with_a_snapshot_is_a_usage_error() -> None:
    one_line_error(
        run("check", "--snapshot", PARTLY, "--plan-alone", "--terraform-plan", NEW_VPC),
        "--plan-alone reads no snapshot or account",
    )


@pytest.mark.parametrize(
    "option", [["--terraform-account", "111122223333"], ["--plan-alone"], ["--fail-on-worse"]]
)
def test_plan_options_without_a_plan_are_a_usage_error(option: list[str]) -> None:
    one_line_error(
        run("check", "--snapshot", PARTLY, *option),
        "--terraform-account, --plan-alone and --fail-on-worse go with --terraform-plan FILE",
    )


def test_an_account_the_snapshot_does_not_hold_is_a_usage_error() -> None:
    one_line_error(
        run(
            "check",
            "--snapshot",
            PARTLY,
            "--terraform-plan",
            NACL_DENY,
            "--terraform-account",
            "444455556666",
        ),
        "account 444455556666 is not in the snapshot",
    )


def test_the_plan_alone_runs_and_every_verdict_is_unknown() -> None:
    result = run("check", "--plan-alone", "--terraform-plan", NEW_VPC, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["results"]
    assert {r["verdict"] for r in doc["results"]} == {"UNKNOWN"}
    assert "laid over nothing (--plan-alone)" in result.stderr
    assert "verdict(s) worse" not in result.stderr  # nothing to compare with


def test_the_plan_alone_fails_with_fail_on_unknown() -> None:
    result = run(
        "check", "--plan-alone", "--terraform-plan", NEW_VPC, "--fail-on-unknown", "--quiet"
    )
    assert result.exit_code == 3
