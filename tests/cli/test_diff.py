"""`ssmreach diff`: what got worse or better between two snapshots or two reports, and why."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from builders import tcp
from scenario import one_vpc
from ssmreach.analysis.diff import diff_documents
from ssmreach.cli.app import cli


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _snapshots(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """Before: private. After: the endpoint group no longer admits the app subnet."""
    folders = []
    endpoint_group = ""
    for n, ingress in enumerate(([tcp(443, cidr="10.0.0.0/16")], [tcp(443, cidr="10.9.0.0/16")])):
        e = one_vpc(endpoints=False)
        endpoint_group = e.b.sg(e.vpc, "ep", ingress=ingress)
        e.b.private_endpoints(e.vpc, [e.ep_a, e.ep_b], [endpoint_group], [e.rtb])
        e.b.instance("web", e.app, [e.app_sg], e.profile)
        folders.append(e.b.write(tmp_path / f"snap{n}"))
    return folders[0], folders[1], endpoint_group, "web"


def test_a_verdict_that_got_worse_names_the_resource_and_exits_1(tmp_path: Path) -> None:
    before, after, group, name = _snapshots(tmp_path)
    code, out, _ = invoke("diff", str(before), str(after), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["format"] == "ssmreach.diff/1" and doc["summary"]["worse"] >= 1
    core = next(c for c in doc["worse"] if c["feature"] == "core")
    assert (core["name"], core["before"], core["after"]) == (name, "PRIVATE", "BLOCKED")
    assert any(c["resource"] == group and c["step"] == "sg-ingress" for c in core["causes"])
    assert "SG_INGRESS_DENIED" in core["codes_added"]


def test_the_other_way_round_is_better_and_exits_0(tmp_path: Path) -> None:
    before, after, _, _ = _snapshots(tmp_path)
    code, out, _ = invoke("diff", str(after), str(before))
    assert code == 0
    assert out.startswith("ssmreach diff: 0 worse") and "BETTER" in out


def test_saved_reports_diff_like_snapshots_and_markdown_renders(tmp_path: Path) -> None:
    before, after, _, _ = _snapshots(tmp_path)
    reports = []
    for snap in (before, after):
        target = tmp_path / f"{snap.name}.json"
        invoke("check", "--snapshot", str(snap), "--format", "json", "--output", str(target))
        reports.append(target)
    code, out, _ = invoke("diff", str(reports[0]), str(reports[1]), "--format", "markdown")
    assert code == 1 and "| worse |" in out and "sg-ingress" in out


def test_an_unchanged_estate_and_new_or_gone_instances() -> None:
    one = {"format": "ssmreach.check/1", "results": [_result("i-1", "PRIVATE")]}
    two = {
        "format": "ssmreach.check/1",
        "results": [_result("i-1", "PRIVATE"), _result("i-2", "BLOCKED")],
    }
    diff = diff_documents(one, two)
    assert (diff.worse, diff.better, diff.unchanged) == ((), (), 1)
    assert [k[2] for k in diff.added] == ["i-2"]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    code, _, err = invoke("diff", str(bad), str(bad))
    assert code == 2
    [line] = err.strip().splitlines()
    assert "notes.txt" in line and "check report" in line


def _result(instance: str, verdict: str) -> dict[str, object]:
    return {
        "account": "1",
        "region": "r",
        "instance": instance,
        "feature": "core",
        "verdict": verdict,
        "reasons": [],
        "services": [],
    }
