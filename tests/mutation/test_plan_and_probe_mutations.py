"""Damaged plan files never crash `ssmreach export`; damaged probe files never crash `check
--probe` nor change a definite verdict silently.

Plans: the plans of the two examples (written by `ssmreach plan --format json`) and the
export tests' hub, NACL and every-change-kind plans, each truncated, re-encoded, nested too
deep, retyped, with an unknown change kind, a required field deleted, a dangling `${...}`
reference, a duplicated change or an unknown key, exported with `--format terraform` and
`--format cloudformation`. An export either refuses the plan with one line (exit 2) or
writes code that parses and refers to nothing that is not there (an unknown key must not
change it at all). `apply` is not run: it needs an AWS account.

Probes: probe files for the example instances, some agreeing with the model and some
contradicting it (so that dropping the evidence would change verdicts), damaged the same
way and fed to `check --probe`, classified like the snapshot corpus.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hcl2
import pytest

from export.export_plans import PLANS
from mutation.harness import (
    Outcome,
    Report,
    Run,
    Tally,
    classify_check,
    crash_note,
    first_checks,
    invoke,
    parse_report,
    write_report,
)
from mutation.mutations import (
    DANGLING,
    PLAN_FILE,
    PROBE_FILE,
    Mutation,
    dump,
    examples_root,
    plan_mutations,
    probe_bases,
    probe_mutations,
)
from ssmreach.plan import encode_plan

FORMATS = ("terraform", "cloudformation")

Output = dict[str, str]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutation-plan-probe")


# --- plans ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_bases(work: Path) -> dict[str, Path]:
    """Folders holding one valid plan.json each."""
    bases: dict[str, Path] = {}
    for name in ("default-sg-trap", "partly-private"):
        folder = work / "plans" / name
        folder.mkdir(parents=True)
        run = invoke(
            [
                "plan",
                "--snapshot",
                str(examples_root() / name),
                "--format",
                "json",
                "--output",
                str(folder / PLAN_FILE),
            ]
        )
        assert run.exit_code == 0 and run.exception is None, run.stderr
        bases[name] = folder
    for name in ("hub", "every-kind", "nacl"):
        folder = work / "plans" / name
        folder.mkdir(parents=True)
        (folder / PLAN_FILE).write_bytes(encode_plan(PLANS[name]()))
        bases[name] = folder
    return bases


def export(plan: Path, fmt: str, out: Path) -> tuple[Run, Path]:
    target = out / ("tf" if fmt == "terraform" else "stack.json")
    args = ["export", "--plan", str(plan), "--format", fmt, "--output", str(target)]
    return invoke(args), target


def read_output(target: Path) -> Output:
    if target.is_dir():
        return {p.name: p.read_text() for p in sorted(target.iterdir()) if p.is_file()}
    return {target.name: target.read_text()} if target.is_file() else {}


_PARSED: dict[str, str | None] = {}


def parse_problem(name: str, text: str) -> str | None:
    """Why the exported file does not parse (None when it does); cached by content."""
    digest = hashlib.sha256(f"{name}\0{text}".encode()).hexdigest()
    if digest not in _PARSED:
        problem: str | None = None
        try:
            if name.endswith(".tf"):
                problem = duplicate_blocks(hcl2.loads(text))
            elif name.endswith(".json"):
                doc = json.loads(text)
                if not isinstance(doc, dict) or "Resources" not in doc:
                    problem = "not a CloudFormation template"
                else:
                    problem = dangling_cfn_ref(doc)
        except Exception as exc:
            problem = f"{type(exc).__name__}: {' '.join(str(exc).split())[:100]}"
        _PARSED[digest] = problem
    return _PARSED[digest]


def duplicate_blocks(doc: dict[str, object]) -> str | None:
    """A resource, variable or output that a Terraform file declares twice."""
    seen: set[tuple[str, ...]] = set()
    for block, entries in doc.items():
        if block not in ("resource", "data", "variable", "output", "module"):
            continue
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, dict):
                continue
            for label, body in entry.items():
                if str(label).startswith("__"):
                    continue
                names = list(body) if block == "resource" and isinstance(body, dict) else [""]
                for name in names:
                    key = (block, str(label), str(name))
                    if key in seen:
                        return f"declares {block} {'.'.join(key[1:]).strip('.')} twice"
                    seen.add(key)
    return None


def dangling_cfn_ref(doc: dict[str, object]) -> str | None:
    """A `Ref` / `Fn::GetAtt` to a resource or parameter the template does not declare."""
    resources, parameters = doc.get("Resources"), doc.get("Parameters")
    declared = set(resources if isinstance(resources, dict) else ())
    declared |= set(parameters if isinstance(parameters, dict) else ())
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str):
                    found.append(value)
                elif key == "Fn::GetAtt" and isinstance(value, list) and value:
                    found.append(str(value[0]))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)
    missing = sorted({r for r in found if r not in declared and not r.startswith("AWS::")})
    return f"refers to undeclared {', '.join(missing)}" if missing else None


_COUNT = re.compile(r"\((\d+) change\(s\)\)")


def change_count(run: Run) -> int | None:
    """The number of changes export says it wrote (`... (N change(s))` on stderr)."""
    found = _COUNT.search(run.stderr)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class ExportBase:
    output: Output
    changes: int | None


def classify_export(m: Mutation, run: Run, output: Output, base: ExportBase) -> Outcome:
    early = first_checks(run, m.must_be_unchanged)
    if early is not None:
        return early
    if run.exit_code != 0:
        return Outcome("BAD-crash", f"exit {run.exit_code}: {run.stderr.strip()[:120]}")
    if m.must_be_unchanged and output != base.output:
        changed = sorted(
            n for n in set(output) | set(base.output) if output.get(n) != base.output.get(n)
        )
        return Outcome("BAD-unknown-kind-ignored", f"exported files differ: {', '.join(changed)}")
    if not output:
        return Outcome("BAD-broken-output", "exit 0 but nothing written")
    for name, text in sorted(output.items()):
        if DANGLING in text and name.endswith((".tf", ".json")):
            return Outcome("BAD-broken-output", f"{name} keeps the dangling reference {DANGLING}")
        problem = parse_problem(name, text)
        if problem:
            return Outcome("BAD-broken-output", f"{name}: {problem}")
    count = change_count(run)
    if count != base.changes:
        return Outcome(
            "BAD-silent-change",
            f"exported {count} change(s); the undamaged plan has {base.changes}",
        )
    return Outcome("success")


_PASSED_THROUGH: dict[str, Callable[[Mutation], str | None]] = {
    "bad-port": lambda m: m.detail.rsplit(" = ", 1)[-1],
    "bad-cidr": lambda m: json.loads(m.detail.rsplit(" = ", 1)[-1]) or None,
}


def passed_through(m: Mutation, output: Output) -> bool:
    """Whether an impossible value of the damaged plan reached the exported code."""
    needle = _PASSED_THROUGH[m.kind](m) if m.kind in _PASSED_THROUGH else None
    if not needle or not needle.strip():
        return False
    pattern = re.compile(r"(?<![\w./-])" + re.escape(needle) + r"(?![\w./])")
    return any(pattern.search(text) for text in output.values())


@pytest.fixture(scope="module")
def export_bases(plan_bases: dict[str, Path], work: Path) -> dict[str, dict[str, ExportBase]]:
    """What export writes for each undamaged plan, per format (checked by the next test)."""
    found: dict[str, dict[str, ExportBase]] = {}
    for name, source in sorted(plan_bases.items()):
        for fmt in FORMATS:
            folder = work / "export-base" / name / fmt
            folder.mkdir(parents=True)
            run, target = export(source / PLAN_FILE, fmt, folder)
            output = read_output(target) if run.exit_code == 0 else {}
            found.setdefault(name, {})[fmt] = ExportBase(output, change_count(run))
    return found


def test_the_plan_bases_export_cleanly(
    plan_bases: dict[str, Path], export_bases: dict[str, dict[str, ExportBase]]
) -> None:
    for name, outputs in export_bases.items():
        plan = json.loads((plan_bases[name] / PLAN_FILE).read_bytes())
        for fmt, base in outputs.items():
            assert base.output and base.changes == len(plan["changes"]), (name, fmt)
            for file, text in base.output.items():
                assert parse_problem(file, text) is None, (name, fmt, file)


def test_the_plan_corpus_is_deterministic(plan_bases: dict[str, Path]) -> None:
    for name, folder in plan_bases.items():
        body = (folder / PLAN_FILE).read_bytes()
        first, second = plan_mutations(name, body), plan_mutations(name, body)
        assert [(m.id, m.writes) for m in first] == [(m.id, m.writes) for m in second]
        assert len(first) >= 30, name


def test_no_damaged_plan_crashes_export_or_exports_broken_code(
    plan_bases: dict[str, Path], export_bases: dict[str, dict[str, ExportBase]], work: Path
) -> None:
    tally = Tally("ssmreach export on damaged plans (runs: mutations x 2 formats)")
    start = time.perf_counter()
    for name, source in sorted(plan_bases.items()):
        for m in plan_mutations(name, (source / PLAN_FILE).read_bytes()):
            folder = m.materialize(source, work / m.id)
            try:
                for fmt in FORMATS:
                    out = folder / f"out-{fmt}"
                    out.mkdir()
                    run, target = export(folder / PLAN_FILE, fmt, out)
                    output = read_output(target)
                    outcome = classify_export(m, run, output, export_bases[name][fmt])
                    if outcome.label == "success" and passed_through(m, output):
                        tally.notes.append(
                            {"id": m.id, "format": fmt, "detail": m.detail, "passed-through": True}
                        )
                    tally.add(m, outcome, format=fmt, exit=run.exit_code)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    tally.seconds = time.perf_counter() - start
    report = write_report(tally, work, "plan-mutations.json")
    print(tally.table())
    print(f"report: {report}")
    assert tally.total >= 200
    assert not tally.failures, tally.message()


# --- probes --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe_sources(work: Path) -> dict[str, tuple[str, Path]]:
    """Folders holding one valid probe.json each, with the snapshot it belongs to."""
    found: dict[str, tuple[str, Path]] = {}
    for name, (snapshot, docs) in probe_bases().items():
        folder = work / "probes" / name
        folder.mkdir(parents=True)
        (folder / PROBE_FILE).write_bytes(dump(docs))
        found[name] = (snapshot, folder)
    return found


def check_with_probe(snapshot: str, probe: Path | None) -> Run:
    args = ["check", "--snapshot", str(examples_root() / snapshot), "--format", "json"]
    return invoke([*args, "--probe", str(probe)] if probe else args)


@pytest.fixture(scope="module")
def probe_baselines(probe_sources: dict[str, tuple[str, Path]]) -> dict[str, Report]:
    found: dict[str, Report] = {}
    for name, (snapshot, folder) in probe_sources.items():
        run = check_with_probe(snapshot, folder / PROBE_FILE)
        assert run.exception is None and run.exit_code in (0, 1), (
            name,
            run.stderr,
            run.exception and crash_note(run.exception),
        )
        found[name] = parse_report(run.stdout, run.exit_code)
    return found


def test_the_probe_bases_agree_or_disagree_as_named(
    probe_sources: dict[str, tuple[str, Path]], probe_baselines: dict[str, Report]
) -> None:
    for name, (snapshot, _) in probe_sources.items():
        model = check_with_probe(snapshot, None)
        plain = parse_report(model.stdout, model.exit_code).verdicts
        with_probe = probe_baselines[name].verdicts
        if name.endswith("-agrees"):
            assert with_probe == plain, name
        else:
            assert with_probe != plain, name  # the evidence decides verdicts


def test_no_damaged_probe_file_crashes_check_or_changes_a_verdict_silently(
    probe_sources: dict[str, tuple[str, Path]], probe_baselines: dict[str, Report], work: Path
) -> None:
    tally = Tally("ssmreach check --probe on damaged probe files")
    start = time.perf_counter()
    for name, (snapshot, source) in sorted(probe_sources.items()):
        docs = json.loads((source / PROBE_FILE).read_bytes())
        for m in probe_mutations(name, docs):
            folder = m.materialize(source, work / m.id)
            try:
                run = check_with_probe(snapshot, folder / PROBE_FILE)
                tally.add(m, classify_check(m, run, probe_baselines[name]), exit=run.exit_code)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    tally.seconds = time.perf_counter() - start
    report = write_report(tally, work, "probe-mutations.json")
    print(tally.table())
    print(f"report: {report}")
    assert tally.total >= 150
    assert not tally.failures, tally.message()
