"""A live `check` (moto standing in for AWS) gives the same results as `check` on a
snapshot of the same account: one collector, one parser."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from ssmreach.cli.app import cli
from ssmreach.demo.estate import build_estate
from ssmreach.demo.moto_adapter import add_default_group_self_rules
from ssmreach.demo.runner import embedded_aws


@pytest.fixture
def account() -> object:
    with embedded_aws():
        session = boto3.Session(region_name="us-east-1")
        ec2 = session.client("ec2")
        build_estate(ec2, session.client("iam"), session.client("route53"))
        add_default_group_self_rules(ec2)
        yield session


def results(doc: str) -> list[dict[str, object]]:
    return list(json.loads(doc)["results"])


@pytest.mark.usefixtures("account")
def test_live_check_equals_check_on_a_snapshot(tmp_path: Path) -> None:
    runner = CliRunner()
    live = runner.invoke(cli, ["check", "--region", "us-east-1", "--format", "json"])
    assert live.exit_code == 1, live.stderr  # the estate has BLOCKED instances
    assert "calls" in live.stderr  # the collector's one-line summary
    snap = tmp_path / "snap"
    made = runner.invoke(cli, ["snapshot", "--output", str(snap), "--region", "us-east-1"])
    assert made.exit_code == 0, made.stderr
    offline = runner.invoke(cli, ["check", "--snapshot", str(snap), "--format", "json"])
    assert offline.exit_code == 1
    assert results(live.stdout) == results(offline.stdout)
    names = {r["name"] for r in results(live.stdout)}
    assert {"prod-web-1", "spoke-app-1", "data-etl"} <= names
