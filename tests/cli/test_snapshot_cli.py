"""`ssmreach snapshot` through click: a written folder, the summary line, and one-line errors."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner, Result
from moto.server import ThreadedMotoServer

from collect.collect_helpers import aws_env, error_answer, moto, session_factory  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION, build_estate
from ssmreach.cli.app import cli
from ssmreach.cli.live import _progress_display, collect_live, summary_line
from ssmreach.collect import calls as calls_module
from ssmreach.collect.calls import CALLS
from ssmreach.collect.collector import (
    CallFailure,
    CollectResult,
    CollectStats,
    FailureKind,
    ProgressEvent,
)
from ssmreach.model.raw import Manifest, RawSnapshot

SUMMARY = re.compile(  # moto implements none of the five failed operations (six calls:
    # GetServiceSetting asks for two settings); the line names three and counts the rest
    r"^snapshot: 1 account \u00d7 1 Region, (\d+) calls, 6 failed "
    r"\(directconnect:DescribeDirectConnectGateways, ssm:DescribeActivations, "
    r"ssm:DescribeInstanceInformation, \+2 more\), "
    r"\d+\.\d s → (.+)$"
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_help_has_examples() -> None:
    result = run("snapshot", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "ssmreach snapshot --output snap/ --region us-east-1" in result.output
    for option in ("--output", "--region", "--profile", "--role-arn"):
        assert option in result.output


def test_snapshot_through_a_moto_server_and_aws_endpoint_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # moto answers 500 for what it lacks
        estate = build_estate(tgw=False)
        folder = tmp_path / "snap"
        result = run("snapshot", "-o", str(folder), "--region", REGION)
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    match = SUMMARY.match(line)
    assert match, line
    assert match.group(2) == str(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["accounts"] == [ACCOUNT] and manifest["regions"] == [REGION]
    region_dir = folder / ACCOUNT / REGION
    instances = json.loads((region_dir / "ec2" / "DescribeInstances.json").read_text())
    assert {i["InstanceId"] for r in instances["Reservations"] for i in r["Instances"]} == set(
        estate.instances
    )
    error = json.loads((region_dir / "ssm" / "DescribeInstanceInformation.error.json").read_text())
    assert error["Error"]["Code"] == "500"
    settings = json.loads((region_dir / "ssm" / "GetServiceSetting.json").read_text())
    assert [s["Error"]["Code"] for s in settings] == ["500", "500"]
    rules = json.loads((region_dir / "route53resolver" / "ListResolverRules.json").read_text())
    assert estate.resolver_rule in {r["Id"] for r in rules["ResolverRules"]}


def test_no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    result = run("snapshot", "-o", str(tmp_path / "snap"), "--region", REGION)
    assert_one_line_error(
        result, "no AWS credentials found: set AWS_PROFILE or run `aws configure`"
    )
    assert not (tmp_path / "snap").exists()


def test_unknown_region(tmp_path: Path) -> None:
    result = run("snapshot", "-o", str(tmp_path / "snap"), "--region", "us-east-1,xx-fake-1")
    assert_one_line_error(result, "unknown Region 'xx-fake-1'")
    assert not (tmp_path / "snap").exists()


def test_no_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = run("snapshot", "-o", str(tmp_path / "snap"))
    assert_one_line_error(result, "no Region: pass --region R (or set AWS_REGION)")
    assert not (tmp_path / "snap").exists()


def test_unknown_profile(tmp_path: Path) -> None:
    result = run("snapshot", "-o", str(tmp_path / "snap"), "--region", REGION, "--profile", "nope")
    assert_one_line_error(result, "profile 'nope' (--profile) not found")


def test_unreachable_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run("snapshot", "-o", str(tmp_path / "snap"), "--region", REGION)  # closed port
    assert_one_line_error(result, "sts:GetCallerIdentity", "cannot reach http://127.0.0.1:9")
    assert not (tmp_path / "snap").exists()


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId"])
def test_rejected_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    answer = error_answer(code, "The security token included in the request is invalid.", 403)
    monkeypatch.setattr(
        boto3, "Session", session_factory({"before-call.sts.GetCallerIdentity": answer})
    )
    result = run("snapshot", "-o", str(tmp_path / "snap"), "--region", REGION)
    assert_one_line_error(result, f"sts:GetCallerIdentity rejected the AWS credentials ({code}:")
    assert not (tmp_path / "snap").exists()


@pytest.mark.usefixtures("moto")
def test_assume_role_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    role = "arn:aws:iam::111111111111:role/ssmreach-read"
    answer = error_answer("AccessDenied", "not authorized to perform: sts:AssumeRole", 403)
    monkeypatch.setattr(boto3, "Session", session_factory({"before-call.sts.AssumeRole": answer}))
    result = run("snapshot", "-o", str(tmp_path / "snap"), "--region", REGION, "--role-arn", role)
    assert_one_line_error(result, f"sts:AssumeRole failed for {role} (AccessDenied:")
    assert not (tmp_path / "snap").exists()


def test_bad_role_arn(tmp_path: Path) -> None:
    result = run(
        "snapshot", "-o", str(tmp_path / "snap"), "--region", REGION, "--role-arn", "ssmreach-read"
    )
    assert_one_line_error(result, "--role-arn 'ssmreach-read' is not an IAM role ARN")


def test_existing_output_folder_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    result = run("snapshot", "-o", str(folder), "--region", REGION)
    assert_one_line_error(result, str(folder), "already exists and is not empty")
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def _result(
    failures: tuple[CallFailure, ...], accounts: int = 2, regions: int = 3
) -> CollectResult:
    manifest = Manifest(
        format="ssmreach-snapshot/1",
        accounts=tuple(f"{n:012d}" for n in range(accounts)),
        regions=tuple(f"us-east-{n + 1}" for n in range(regions)),
    )
    return CollectResult(
        RawSnapshot(manifest=manifest), CollectStats(calls=71, seconds=4.24, failures=failures)
    )


def _failure(api: str, kind: FailureKind, region: str = REGION) -> CallFailure:
    service, operation = api.split(":")
    return CallFailure(ACCOUNT, region, service, operation, "Code", "message", kind)


def test_summary_line() -> None:
    assert summary_line(_result(()), label="snapshot", destination="snap") == (
        "snapshot: 2 accounts \u00d7 3 Regions, 71 calls, 4.2 s \u2192 snap"
    )
    failures = (
        _failure("ssm:DescribeInstanceInformation", "denied"),
        _failure("ssm:DescribeInstanceInformation", "denied", "us-east-1"),
        _failure("ec2:DescribeSubnets", "throttled"),
        *(_failure(f"ec2:Describe{n}", "failed") for n in ("A", "B", "C", "D")),
    )
    line = summary_line(_result(failures, accounts=1, regions=1))
    assert line == (
        "read: 1 account \u00d7 1 Region, 71 calls, 2 denied (ssm:DescribeInstanceInformation), "
        "1 throttled (ec2:DescribeSubnets; still throttled after retries, run again later), "
        "4 failed (ec2:DescribeA, ec2:DescribeB, ec2:DescribeC, +1 more), 4.2 s"
    )


@pytest.mark.usefixtures("moto")
def test_collect_live_returns_the_raw_snapshot_and_prints_the_summary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        calls_module, "CALLS", tuple(c for c in CALLS if c.operation == "DescribeVpcs")
    )
    raw = collect_live((REGION,), None, ())
    assert raw.manifest.regions == (REGION,)
    assert [k.operation for k in raw.files] == ["DescribeVpcs"]
    err = capsys.readouterr().err
    assert err.startswith("read: 1 account \u00d7 1 Region, 2 calls, ")
    assert collect_live((REGION,), None, (), quiet=True).files.keys() == raw.files.keys()
    assert capsys.readouterr().err == ""


def test_progress_display_follows_events() -> None:
    with _progress_display(True) as on_event:
        assert on_event is not None
        on_event(ProgressEvent("start", total=2))
        on_event(
            ProgressEvent(
                "operation", account=ACCOUNT, region=REGION, service="ec2", operation="DescribeVpcs"
            )
        )
        on_event(
            ProgressEvent(
                "operation", account=ACCOUNT, region="global", service="iam", operation="X"
            )
        )
    with _progress_display(False) as nothing:
        assert nothing is None
