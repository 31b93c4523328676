"""`--via-ssm`: SendCommand against moto; DescribeInstanceInformation and the command's
output come from botocore hooks (moto lacks the first and cannot run the script)."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ssmreach.probe import node
from ssmreach.probe.controller.via_ssm import build_commands, decode_output, run_via_ssm

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def probe_output(instance: str | None, verdict: str = "PRIVATE") -> str:
    doc = {
        "format": "ssmreach.probe/1",
        "node": {"instance": instance, "region": REGION},
        "verdict": verdict,
        "reasons": [],
        "services": [],
    }
    return base64.b64encode(gzip.compress(json.dumps(doc).encode())).decode() + "\n"


class Hooks:
    """Online nodes for DescribeInstanceInformation; per-instance invocation answers."""

    def __init__(self, ssm: Any, online: dict[str, str]) -> None:
        self.online = online
        self.answers: dict[str, list[dict[str, Any]]] = {}
        self.sent: list[dict[str, Any]] = []
        ssm.meta.events.register("before-call.ssm.DescribeInstanceInformation", self.describe)
        ssm.meta.events.register("after-call.ssm.GetCommandInvocation", self.invocation)
        ssm.meta.events.register("before-call.ssm.SendCommand", self.send)

    def describe(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        wanted = json.loads(params["body"])["Filters"][0]["Values"]
        found = [{"InstanceId": i, "PingStatus": s} for i, s in self.online.items() if i in wanted]
        return SimpleNamespace(status_code=200, headers={}), {"InstanceInformationList": found}

    def send(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append(json.loads(params["body"]))

    def invocation(self, parsed: dict[str, Any], **kwargs: Any) -> None:
        instance = parsed.get("InstanceId")
        queue = self.answers.get(instance or "", [])
        if queue:
            parsed.update(queue.pop(0) if len(queue) > 1 else queue[0])


def instances(count: int) -> list[str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    made = ec2.run_instances(ImageId="ami-12345678", MinCount=count, MaxCount=count)
    return [i["InstanceId"] for i in made["Instances"]]


def test_send_poll_and_collect(aws: None) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    a, b, c = instances(3)
    hooks = Hooks(ssm, {a: "Online", b: "Online", c: "ConnectionLost"})
    hooks.answers[a] = [
        {"Status": "InProgress", "StandardOutputContent": ""},
        {"Status": "Success", "StandardOutputContent": probe_output(a)},
    ]
    hooks.answers[b] = [{"Status": "Success", "StandardOutputContent": probe_output(None)}]
    sleeps: list[float] = []
    results = run_via_ssm(
        ssm, [a, b, c, "i-0notlisted"], ["--region", REGION], sleep=sleeps.append, poll_interval=1
    )
    by_id = {r.instance: r for r in results}
    doc_a, doc_b = by_id[a].document, by_id[b].document
    assert doc_a is not None and doc_a["node"]["instance"] == a
    assert doc_b is not None and doc_b["node"]["instance"] == b
    assert by_id[c].status == "NotOnline" and "ConnectionLost" in (by_id[c].error or "")
    assert "not listed" in (by_id["i-0notlisted"].error or "")
    [sent] = hooks.sent
    assert sent["DocumentName"] == "AWS-RunShellScript" and sent["InstanceIds"] == [a, b]
    commands = sent["Parameters"]["commands"]
    assert any("--compress" in line and "--region us-east-1" in line for line in commands)
    assert sleeps == [1]


def test_polling_is_bounded(aws: None) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    [a] = instances(1)
    hooks = Hooks(ssm, {a: "Online"})
    hooks.answers[a] = [{"Status": "InProgress"}]
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    [result] = run_via_ssm(ssm, [a], wait=10, poll_interval=3, sleep=sleep, clock=lambda: now[0])
    assert result.status == "Waiting" and "get-command-invocation" in (result.error or "")
    assert now[0] == pytest.approx(10)


def test_output_that_is_not_a_probe(aws: None) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    [a] = instances(1)
    hooks = Hooks(ssm, {a: "Online"})
    hooks.answers[a] = [
        {
            "Status": "Failed",
            "StandardOutputContent": "",
            "StandardErrorContent": "ssmreach: python3 is not installed on this node",
        }
    ]
    [result] = run_via_ssm(ssm, [a], sleep=lambda s: None)
    assert result.document is None and "python3 is not installed" in (result.error or "")


def test_decode_output_accepts_plain_json_too() -> None:
    assert decode_output('{"format": "ssmreach.probe/1"}\n')["format"] == "ssmreach.probe/1"
    with pytest.raises(ValueError):
        decode_output("")


def test_the_shell_commands_unpack_and_run_the_script(tmp_path: Path) -> None:
    """The command lines, run locally, rebuild the script and run it (on loopback only)."""
    commands = build_commands(
        "import sys\nprint('probe ran with', ' '.join(sys.argv[1:]))\n", ["--region", REGION]
    )
    done = subprocess.run(
        ["/bin/sh", "-c", "\n".join(commands)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "probe ran with --compress --format json --region us-east-1"
    assert list(tmp_path.iterdir()) == []  # the script was removed


def test_cli_via_ssm_writes_a_list_that_check_can_read(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ssmreach.analysis.evidence import load_probe_documents
    from ssmreach.cli import probe_cmd

    ssm = boto3.client("ssm", region_name=REGION)
    a, b = instances(2)
    hooks = Hooks(ssm, {a: "Online", b: "Online"})
    hooks.answers[a] = [{"Status": "Success", "StandardOutputContent": probe_output(a)}]
    hooks.answers[b] = [
        {"Status": "Success", "StandardOutputContent": probe_output(b, verdict="BLOCKED")}
    ]
    monkeypatch.setattr(probe_cmd, "_ssm_client", lambda profile, region: ssm)
    target = tmp_path / "probes.json"
    args = ["--via-ssm", a, "--via-ssm", b, "--region", REGION, "--format", "json"]
    args += ["--output", str(target)]
    result = CliRunner().invoke(probe_cmd.probe_command, args)
    assert result.exit_code == 1, result.output  # b is BLOCKED
    assert [d.instance for d in load_probe_documents([target])] == [a, b]
    assert node.PROBE_FORMAT == "ssmreach.probe/1"
