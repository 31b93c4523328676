"""The demo runs end to end on the embedded AWS, offline, and ends where it says."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from ssmreach.analysis.verdict import CheckResult, Verdict
from ssmreach.cli.app import cli
from ssmreach.demo.runner import run_demo


def test_demo_story(tmp_path: Path) -> None:
    out = io.StringIO()
    outcome = run_demo(tmp_path / "demo", Console(file=out, width=100))
    text = out.getvalue()

    def verdicts(result: CheckResult, name: str) -> set[Verdict]:
        return {r.verdict for r in result.results if r.name == name}

    before, after = outcome.before, outcome.after
    # Six causes found before.
    codes = {r.code for res in before.results for r in res.reasons}
    assert {
        "SG_INGRESS_DENIED",
        "S3_BUCKET_NOT_ALLOWED",
        "PRIVATE_DNS_DISABLED",
        "ENDPOINT_MISSING",
        "NACL_INBOUND_DENIED",
        "NO_INSTANCE_PROFILE",
    } <= codes
    assert verdicts(before, "prod-web-1") == {Verdict.BLOCKED}
    assert verdicts(before, "batch-worker-1") == {Verdict.INTERNET}
    assert verdicts(before, "spoke-app-1") == {Verdict.PRIVATE}
    # Fixed after apply; only what needs a person is left.
    for name in (
        "prod-web-1",
        "prod-web-2",
        "prod-ops",
        "batch-worker-1",
        "data-api",
        "spoke-app-1",
    ):
        assert verdicts(after, name) == {Verdict.PRIVATE}, name
    assert verdicts(after, "batch-legacy") == {Verdict.BLOCKED}
    assert outcome.changes > 0
    # What it leaves on disk, and says.
    for name in (
        "snapshot-before/manifest.json",
        "snapshot-after/manifest.json",
        "plan.json",
        "check-before.json",
        "check-after.html",
    ):
        assert (tmp_path / "demo" / name).is_file(), name
    assert (
        json.loads((tmp_path / "demo" / "check-after.json").read_text())["format"]
        == "ssmreach.check/1"
    )
    for heading in (
        "1. An estate with problems",
        "2. ssmreach check",
        "3. ssmreach plan",
        "4. ssmreach apply",
        "5. ssmreach check, again",
        "6. What changed",
    ):
        assert heading in text


def test_demo_refuses_a_folder_in_use(tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "--output", str(used)])
    assert result.exit_code == 2 and "not empty" in result.stderr
    assert (used / "x").read_text() == "keep me"
