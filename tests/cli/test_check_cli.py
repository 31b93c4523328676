"""`ssmreach check` through the CLI: formats, filters, exit codes and error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from builders import EstateBuilder, tcp
from paths import DATA, EXAMPLES
from ssmreach.cli.app import cli

SCHEMA = json.loads((DATA / "check-output.schema.json").read_text())


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_output_validates_against_the_schema() -> None:
    code, out, _ = invoke(
        "check", "--snapshot", str(EXAMPLES / "partly-private"), "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["summary"] == {
        "instances": 1,
        "not_running": 0,
        "verdicts": {"PRIVATE": 1, "INTERNET": 4, "BLOCKED": 0, "UNKNOWN": 0},
    }
    keys = [(r["account"], r["region"], r["instance"], r["feature"]) for r in doc["results"]]
    assert keys == sorted(keys)


def test_blocked_exits_1_and_text_names_the_fix() -> None:
    code, out, _ = invoke("check", "--snapshot", str(EXAMPLES / "default-sg-trap"))
    assert code == 1
    assert "SG_INGRESS_DENIED" in out and "fix:" in out and "BLOCKED" in out


def test_require_private_turns_internet_into_exit_1() -> None:
    snap = str(EXAMPLES / "partly-private")
    assert invoke("check", "--snapshot", snap)[0] == 0
    assert invoke("check", "--snapshot", snap, "--require-private")[0] == 1


def test_fail_on_unknown_exits_3(tmp_path: Path) -> None:
    b = EstateBuilder()
    vpc = b.vpc(dhcp_servers=["10.0.0.2"])
    sn = b.subnet(vpc, "10.0.1.0/24")
    b.instance("web", sn, [b.sg(vpc, "app")], b.role("r"))
    snap = b.write(tmp_path / "snap")
    assert invoke("check", "--snapshot", str(snap))[0] == 0
    assert invoke("check", "--snapshot", str(snap), "--fail-on-unknown")[0] == 3


def test_instance_and_feature_filters_and_trace() -> None:
    code, out, _ = invoke(
        "check",
        "--snapshot",
        str(EXAMPLES / "default-sg-trap"),
        "--instance",
        "i-035ef5207c488e022",
        "--feature",
        "core",
        "--format",
        "text",
    )
    assert code == 1
    assert "Trace of web" in out and "sg-ingress" in out and "✗" in out
    assert "ops" not in out


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, _ = invoke(
        "check",
        "--snapshot",
        str(EXAMPLES / "partly-private"),
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["format"] == "ssmreach.check/1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--snapshot", "/nonexistent/snap"], "no such folder"),
        (
            ["--snapshot", str(EXAMPLES / "partly-private"), "--instance", "i-0000"],
            "instance i-0000 is not in the snapshot",
        ),
        (
            ["--snapshot", str(EXAMPLES / "partly-private"), "--region", "us-east-1"],
            "do not combine",
        ),
        (
            ["--snapshot", str(EXAMPLES / "partly-private"), "--output", "/nonexistent/dir/r.json"],
            "does not exist",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, _out, err = invoke("check", *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_broken_snapshot_file_is_one_line_exit_2(tmp_path: Path) -> None:
    b = EstateBuilder()
    b.vpc()
    snap = b.write(tmp_path / "snap")
    (snap / "111122223333" / "us-east-1" / "ec2" / "DescribeSubnets.json").write_text(
        '{"Subnets": ['
    )
    code, _, err = invoke("check", "--snapshot", str(snap))
    assert code == 2 and "DescribeSubnets.json" in err and len(err.strip().splitlines()) == 1


def test_console_script_and_module_entry_points() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ssmreach", "--version"], capture_output=True, text=True, check=True
    )
    assert "ssmreach" in out.stdout
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ssmreach",
            "check",
            "--snapshot",
            str(EXAMPLES / "default-sg-trap"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and json.loads(proc.stdout)["summary"]["verdicts"]["BLOCKED"] == 5


def test_check_reads_a_snapshot_written_by_the_builder(tmp_path: Path) -> None:
    b = EstateBuilder()
    vpc = b.vpc()
    sn = b.subnet(vpc, "10.0.1.0/24")
    ep_sg = b.sg(vpc, "ep", ingress=[tcp(443, cidr="10.0.0.0/16")])
    rtb = b.route_table(vpc, [sn])
    b.private_endpoints(vpc, [sn], [ep_sg], [rtb])
    b.instance("web", sn, [b.sg(vpc, "app")], b.role("r"))
    snap = b.write(tmp_path / "snap")
    code, out, _ = invoke("check", "--snapshot", str(snap), "--format", "json")
    assert code == 0
    assert {r["verdict"] for r in json.loads(out)["results"]} == {"PRIVATE"}


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [("sarif", b'"version":"2.1.0"'), ("html", b"<svg"), ("markdown", b"SG_INGRESS_DENIED")],
)
def test_report_formats_through_the_cli(tmp_path: Path, fmt: str, marker: bytes) -> None:
    target = tmp_path / f"report.{fmt}"
    code, _, _ = invoke(
        "check",
        "--snapshot",
        str(EXAMPLES / "default-sg-trap"),
        "--format",
        fmt,
        "--output",
        str(target),
    )
    assert code == 1
    assert marker in target.read_bytes().replace(b" ", b"").replace(b"\n", b"")


def test_broken_probe_file_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "probe.json"
    bad.write_text("{not json")
    code, _, err = invoke(
        "check", "--snapshot", str(EXAMPLES / "partly-private"), "--probe", str(bad)
    )
    assert code == 2 and "probe.json" in err and len(err.strip().splitlines()) == 1


def test_assume_ec2messages_retired_blocks_an_old_agent(tmp_path: Path) -> None:
    from scenario import one_vpc

    e = one_vpc()
    e.b.instance("old", e.app, [e.app_sg], e.profile, agent="3.0.1124.0")
    snap = str(e.b.write(tmp_path / "snap"))
    code, out, _ = invoke(
        "check", "--snapshot", snap, "--feature", "run-command", "--format", "json"
    )
    assert code == 0 and "EC2MESSAGES_RETIRED" in out
    code, out, _ = invoke(
        "check", "--snapshot", snap, "--feature", "run-command", "--assume-ec2messages", "retired"
    )
    assert code == 1 and "EC2MESSAGES_RETIRED" in out
    code, _, err = invoke("check", "--snapshot", snap, "--assume-ec2messages", "gone")
    assert code == 2 and "gone" in err


@pytest.mark.parametrize(("how", "suffix"), [("omitted", ".json"), ("denied", ".error.json")])
def test_no_instances_read_is_an_error_naming_the_file(
    tmp_path: Path, how: str, suffix: str
) -> None:
    b = EstateBuilder()
    vpc = b.vpc()
    sn = b.subnet(vpc, "10.0.1.0/24")
    b.instance("web", sn, [b.sg(vpc, "app")], b.role("r"))
    getattr(b, how).add("DescribeInstances")
    snap = b.write(tmp_path / "snap")
    for command in (["check"], ["check", "--require-private", "--fail-on-unknown"], ["plan"]):
        code, out, err = invoke(*command, "--snapshot", str(snap))
        assert code == 2, (command, out, err)
        assert f"ec2/DescribeInstances{suffix}" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_folders_and_files_with_unknown_names_are_named_in_a_warning(tmp_path: Path) -> None:
    b = EstateBuilder()
    vpc = b.vpc()
    sn = b.subnet(vpc, "10.0.1.0/24")
    b.instance("web", sn, [b.sg(vpc, "app")], b.role("r"))
    snap = b.write(tmp_path / "snap")
    (snap / "backup").mkdir()
    (snap / b.account / "us-east-1x").mkdir()
    (snap / b.account / "us-east-1" / "ec2" / "notes.json").write_text("{}")
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(snap), "--format", "json"])
    assert result.exit_code in (0, 1), result.output  # the estate has findings
    err = result.stderr
    for name in ("backup", "us-east-1x", "notes.json"):
        assert f"warning: skipped {snap}" in err and name in err, err
