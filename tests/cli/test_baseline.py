"""Accepted findings: shown as accepted, not failing the run, expiring, written by `baseline`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from paths import EXAMPLES
from ssmreach.analysis.baseline import BaselineError, apply_baseline, parse_baseline
from ssmreach.analysis.engine import check_estate
from ssmreach.cli.app import cli
from ssmreach.model.reader import load_snapshot

PARTLY = str(EXAMPLES / "partly-private")
TRAP = str(EXAMPLES / "default-sg-trap")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _write(path: Path, entries: list[dict[str, object]]) -> str:
    path.write_text(yaml.safe_dump({"accepted": entries}))
    return str(path)


def test_accepted_findings_are_shown_and_do_not_fail_require_private(tmp_path: Path) -> None:
    code, _, _ = invoke("check", "--snapshot", PARTLY, "--require-private")
    assert code == 1
    baseline = _write(
        tmp_path / "b.yaml",
        [
            {"code": "INTERNET_PATH", "reason": "the NAT stays until the endpoints are paid for"},
            {
                "code": "ENDPOINT_MISSING",
                "reason": "the NAT stays until the endpoints are paid for",
            },
        ],
    )
    code, out, err = invoke(
        "check",
        "--snapshot",
        PARTLY,
        "--require-private",
        "--baseline",
        baseline,
        "--format",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["summary"]["accepted"] == 4
    internet = [r for r in doc["results"] if r["verdict"] == "INTERNET"]
    assert internet and all(r["accepted"][0]["reason"].startswith("the NAT") for r in internet)
    assert "4 result(s) accepted" in err


def test_an_expired_entry_fails_again_with_a_note(tmp_path: Path) -> None:
    baseline = _write(
        tmp_path / "b.yaml",
        [
            {"code": "INTERNET_PATH", "reason": "until spring", "expires": "2020-03-01"},
            {"code": "ENDPOINT_MISSING", "reason": "until spring", "expires": "2020-03-01"},
        ],
    )
    code, _, err = invoke(
        "check", "--snapshot", PARTLY, "--require-private", "--baseline", baseline
    )
    assert code == 1
    assert "expired on 2020-03-01" in err and "fail again" in err


def test_a_narrow_entry_accepts_only_what_it_names(tmp_path: Path) -> None:
    estate = load_snapshot(TRAP)
    result = check_estate(estate)
    web = next(r for r in result.results if r.name == "web")
    baseline = parse_baseline(
        yaml.safe_dump(
            {
                "accepted": [
                    {
                        "code": "SG_INGRESS_DENIED",
                        "instance": web.instance,
                        "feature": "core",
                        "reason": "r",
                    }
                ]
            }
        ),
        "b.yaml",
    )
    triage = apply_baseline(result, baseline, {}, date(2026, 12, 3))
    assert triage.accepted == {(web.instance, "core")}


def test_the_default_file_is_read_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / ".ssmreach-baseline.yaml", [{"code": "SG_INGRESS_DENIED", "reason": "known"}])
    code, _, err = invoke("check", "--snapshot", TRAP)
    assert code == 0 and "accepted" in err


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"code": "NOT_A_CODE", "reason": "x"}], "not a reason code"),
        ([{"code": "INTERNET_PATH"}], "say why"),
        ([{"code": "INTERNET_PATH", "reason": "x", "expires": "soon"}], "not a date"),
        ([{"code": "INTERNET_PATH", "reason": "x", "tag": "env"}], "KEY=VALUE"),
        ([{"code": "INTERNET_PATH", "reason": "x", "colour": "red"}], "unknown field"),
    ],
)
def test_a_bad_entry_is_one_line_naming_the_file_and_entry(
    tmp_path: Path, entries: list[dict[str, object]], message: str
) -> None:
    baseline = _write(tmp_path / "b.yaml", entries)
    code, _, err = invoke("check", "--snapshot", PARTLY, "--baseline", baseline)
    assert code == 2
    [line] = err.strip().splitlines()
    assert "b.yaml: entry 1" in line and message in line


def test_baseline_writes_one_from_todays_findings_that_check_then_accepts(tmp_path: Path) -> None:
    target = tmp_path / "baseline.yaml"
    code, _, err = invoke("baseline", "--snapshot", TRAP, "--output", str(target))
    assert code == 0, err
    document = yaml.safe_load(target.read_text())
    assert {e["code"] for e in document["accepted"]} == {"SG_INGRESS_DENIED"}
    code, _, _ = invoke("check", "--snapshot", TRAP, "--baseline", str(target))
    assert code == 0
    code, _, err = invoke("baseline", "--snapshot", TRAP, "--output", str(target))
    assert code == 2 and "--force" in err


def test_a_document_that_is_not_a_list_of_entries_is_refused() -> None:
    with pytest.raises(BaselineError):
        parse_baseline("accepted: 3", "b.yaml")


def test_a_tag_entry_matches_instances_by_tag() -> None:
    result = check_estate(load_snapshot(TRAP))
    web = next(r for r in result.results if r.name == "web")
    baseline = parse_baseline(
        "accepted:\n  - {code: SG_INGRESS_DENIED, tag: env=dev, reason: dev only}\n", "b.yaml"
    )
    tagged = apply_baseline(result, baseline, {web.instance: {"env": "dev"}}, date(2026, 12, 3))
    assert {i for i, _ in tagged.accepted} == {web.instance}
    other = apply_baseline(result, baseline, {web.instance: {"env": "prod"}}, date(2026, 12, 3))
    assert other.accepted == frozenset()
