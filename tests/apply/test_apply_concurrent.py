"""Two `ssmreach apply` runs of one plan at once, in two processes against one moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from filelock import FileLock

from apply.apply_helpers import REGION, aws, broken_estate, server
from ssmreach.apply.lock import lock_path

if TYPE_CHECKING:  # boto3-stubs: types only
    from mypy_boto3_ec2.type_defs import VpcEndpointTypeDef

__all__ = ["aws", "server"]  # the moto fixtures


def _ssmreach(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ssmreach", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def _live_endpoints() -> list[VpcEndpointTypeDef]:
    ec2 = boto3.client("ec2", region_name=REGION)
    return [
        e
        for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
        if str(e["State"]).lower() not in ("deleted", "deleting")
    ]


def test_two_applies_at_once_make_nothing_twice_and_the_second_says_why(
    aws: str, tmp_path: Path
) -> None:
    broken_estate()
    plan_file = tmp_path / "plan.json"
    made = _ssmreach("plan", "--region", REGION, "--format", "json", "--output", str(plan_file))
    assert made.wait(120) == 0, made.communicate()
    planned = [c["type"] for c in json.loads(plan_file.read_text())["changes"]]
    assert "CreateInterfaceEndpoint" in planned
    first, second = (_ssmreach("apply", "--plan", str(plan_file), "--yes") for _ in range(2))
    outcomes = [(p.wait(180), *p.communicate()) for p in (first, second)]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 2], outcomes
    _, _, err = next(o for o in outcomes if o[0] == 2)
    [line] = err.strip().splitlines()
    assert "another `ssmreach apply`" in line or "plan again" in line, line
    services = [str(e["ServiceName"]).rsplit(".", 1)[-1] for e in _live_endpoints()]
    assert len(services) == len(set(services)), services  # nothing made twice


def test_a_held_lock_stops_apply_at_once_with_one_line(aws: str, tmp_path: Path) -> None:
    broken_estate()
    plan_file = tmp_path / "plan.json"
    made = _ssmreach("plan", "--region", REGION, "--format", "json", "--output", str(plan_file))
    assert made.wait(120) == 0
    account = json.loads(plan_file.read_text())["scope"][0]["account"]
    before = _live_endpoints()
    with FileLock(str(lock_path(account))):
        run = _ssmreach("apply", "--plan", str(plan_file), "--yes")
        code = run.wait(120)
        _, err = run.communicate()
    assert code == 2
    [line] = err.strip().splitlines()
    assert "another `ssmreach apply` is changing account" in line
    assert _live_endpoints() == before
