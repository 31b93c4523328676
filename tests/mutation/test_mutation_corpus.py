"""Damaged snapshots never crash `ssmreach check` and never change a definite verdict silently.

Each mutation of `mutations.snapshot_corpus()` (files removed, denied, truncated, badly
encoded, nested too deep, of the wrong shape; keys AWS always returns deleted; values of the
wrong type; impossible CIDRs and ports; duplicated records; unknown keys) is checked in
process with `check --format json` and its outcome classified against the unmutated
snapshot's (see `harness`). The table of kinds x outcomes is printed and written as
`snapshot-mutations.json` in the test's temporary folder (and in `$SSMREACH_MUTATION_REPORTS`
when that is set).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from mutation.harness import (
    Outcome,
    Report,
    Tally,
    classify_check,
    invoke,
    parse_report,
    write_report,
)
from mutation.mutations import SNAPSHOTS, Mutation, examples_root, snapshot_corpus

# Every family a mutation may belong to: damage to the form of the data, never its meaning.
DATA_QUALITY_FAMILIES = (
    "remove-file",
    "error-file:",
    "truncate",
    "empty-file",
    "invalid-utf8",
    "utf8-bom",
    "deep-nesting",
    "wrong-top-type",
    "delete-required-key",
    "wrong-type:",
    "bad-cidr",
    "bad-port",
    "ports-reversed",
    "huge-number",
    "duplicate-record",
    "extra-key",
    "call-error:",
    "embedded-policy:",
    "manifest-",
)


@pytest.fixture(scope="module")
def corpus() -> list[Mutation]:
    return snapshot_corpus()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutation")


def check(folder: Path) -> list[str]:
    return ["check", "--snapshot", str(folder), "--format", "json"]


@pytest.fixture(scope="module")
def baselines(work: Path) -> dict[str, Report]:
    """The report of each unmutated snapshot (read through the same links as the mutants)."""
    found: dict[str, Report] = {}
    for name in SNAPSHOTS:
        same = Mutation(id=f"base-{name}", kind="none", base=name, file="", detail="", writes=())
        folder = same.materialize(examples_root() / name, work / same.id)
        run = invoke(check(folder))
        assert run.exception is None and run.exit_code in (0, 1), (run.exit_code, run.stderr)
        found[name] = parse_report(run.stdout, run.exit_code)
    return found


def test_the_corpus_is_large_deterministic_and_only_data_quality(corpus: list[Mutation]) -> None:
    assert len(corpus) >= 500
    assert len({m.id for m in corpus}) == len(corpus)
    assert all(m.kind.startswith(DATA_QUALITY_FAMILIES) for m in corpus), sorted(
        {m.kind for m in corpus if not m.kind.startswith(DATA_QUALITY_FAMILIES)}
    )
    again = snapshot_corpus()
    assert [(m.id, m.kind, m.writes) for m in again] == [(m.id, m.kind, m.writes) for m in corpus]
    for name in SNAPSHOTS:
        assert sum(m.base == name for m in corpus) >= 200, name


def test_the_baselines_give_the_expected_verdicts(baselines: dict[str, Report]) -> None:
    for name, report in baselines.items():
        expected = json.loads((examples_root() / name / "expected.json").read_text())
        got = {(rows[0].label, key[3]): rows[0].verdict for key, rows in report.rows.items()}
        want = {(r["name"], r["feature"]): r["verdict"] for r in expected["results"]}
        assert got == want, name


def code_drift(after: Report, before: Report) -> list[str]:
    """Rows whose verdict held but whose error codes changed (a different diagnosis)."""
    drift: list[str] = []
    for key, rows in after.rows.items():
        old = before.rows.get(key)
        if not old or rows[0].verdict != old[0].verdict:
            continue
        new_codes = {r[0] for r in rows[0].reasons if r[1] == "error"}
        old_codes = {r[0] for r in old[0].reasons if r[1] == "error"}
        if new_codes != old_codes:
            drift.append(
                f"{rows[0].label}/{key[3]} {rows[0].verdict} "
                f"[{','.join(sorted(old_codes))}]→[{','.join(sorted(new_codes))}]"
            )
    return drift


def names_the_damage(m: Mutation, message: str) -> bool:
    """Whether an error line names the damaged file (or its operation), as cli.md asks."""
    name = Path(m.file).name
    return bool(name and name in message) or bool(m.operation and m.operation in message)


def run_corpus(corpus: list[Mutation], baselines: dict[str, Report], work: Path) -> Tally:
    tally = Tally("ssmreach check on damaged snapshots")
    start = time.perf_counter()
    root = examples_root()
    for m in corpus:
        folder = m.materialize(root / m.base, work / m.id)
        try:
            run = invoke(check(folder))
            outcome: Outcome = classify_check(m, run, baselines[m.base])
            extra = {"exit": run.exit_code, "seconds": round(run.seconds, 3)}
            if outcome.label == "clean-error" and not names_the_damage(m, outcome.note):
                tally.notes.append(
                    {
                        "id": m.id,
                        "kind": m.kind,
                        "file": m.file,
                        "detail": m.detail,
                        "unnamed": outcome.note,
                    }
                )
            if outcome.label == "unchanged":
                drift = code_drift(parse_report(run.stdout, run.exit_code), baselines[m.base])
                if drift:
                    tally.notes.append(
                        {
                            "id": m.id,
                            "kind": m.kind,
                            "file": m.file,
                            "detail": m.detail,
                            "drift": drift,
                        }
                    )
            tally.add(m, outcome, **extra)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    tally.seconds = time.perf_counter() - start
    return tally


def test_no_damaged_snapshot_crashes_or_changes_a_verdict_silently(
    corpus: list[Mutation], baselines: dict[str, Report], work: Path
) -> None:
    tally = run_corpus(corpus, baselines, work)
    report = write_report(tally, work, "snapshot-mutations.json")
    print(tally.table())
    print(f"report: {report}")
    assert tally.total >= 500
    assert not tally.failures, tally.message()
