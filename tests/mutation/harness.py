"""Running ssmreach in process on a mutation, and classifying what it did.

Outcomes (see `classify_check`):

- `clean-error`: exit 2, one non-empty line on stderr, no traceback, no half-written JSON;
- `unchanged`: every (instance, feature) verdict is the baseline's;
- `unknown-with-reason`: every verdict that changed became UNKNOWN, and carries a new
  `DATA_MISSING` / `READ_DENIED` reason (or a new warning naming the damaged resource or
  operation);
- `success` (export only): exit 0 and output that parses, without dangling references;
- `BAD-crash`: an exception escaped, a traceback was printed, the exit code is not 0-3, or
  the report is not whole JSON;
- `BAD-hang`: the run took longer than `TIMEOUT` seconds;
- `BAD-unclear-error`: exit 2, but not with exactly one line (or with half a report);
- `BAD-silent-change`: a verdict became another definite verdict, or UNKNOWN without a data
  reason, or a result appeared, vanished or was repeated;
- `BAD-unknown-kind-ignored`: damage the format says to ignore (an unknown key) changed
  the result (or was refused);
- `BAD-broken-output` (export only): exit 0 with output that does not parse, or that
  still holds a dangling reference.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from click.testing import CliRunner

from mutation.mutations import Mutation
from ssmreach.cli.app import cli

TIMEOUT = 20.0
DATA_CODES = frozenset({"DATA_MISSING", "READ_DENIED"})
DEFINITE = frozenset({"PRIVATE", "INTERNET", "BLOCKED"})
GOOD = ("clean-error", "unchanged", "unknown-with-reason", "success")


class Hang(BaseException):
    """Raised by the alarm when a run passes its deadline (a BaseException: not swallowed)."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread on POSIX; elsewhere only timed)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True, slots=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None  # one that escaped the CLI (not SystemExit)
    seconds: float
    hung: bool


_RUNNER = CliRunner()


def invoke(args: Sequence[str], timeout: float = TIMEOUT) -> Run:
    """`ssmreach ARGS` in process, as the console script would run it (without --debug)."""
    start = time.perf_counter()
    try:
        with deadline(timeout):
            result = _RUNNER.invoke(cli, list(args), catch_exceptions=True)
    except Hang:
        return Run(-1, "", "", None, time.perf_counter() - start, True)
    seconds = time.perf_counter() - start
    exc = result.exception
    if isinstance(exc, SystemExit):
        exc = None
    return Run(result.exit_code, result.stdout, result.stderr, exc, seconds, seconds > timeout)


def where(exc: BaseException) -> str:
    """`module.py:line function` of the innermost ssmreach frame of a traceback."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/ssmreach/" in f.filename.replace("\\", "/")]
    if not (ours or frames):
        return "?"
    frame = (ours or frames)[-1]
    name = frame.filename.replace("\\", "/").split("/ssmreach/")[-1]
    return f"ssmreach/{name}:{frame.lineno} {frame.name}"


def crash_note(exc: BaseException) -> str:
    message = " ".join(str(exc).split())[:100]
    return f"{type(exc).__name__}: {message} at {where(exc)}"


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    label: str
    note: str = ""

    @property
    def bad(self) -> bool:
        return self.label.startswith("BAD")


def first_checks(run: Run, must_be_unchanged: bool) -> Outcome | None:
    """The outcomes decided before looking at the report: hang, crash, error exit."""
    if run.hung:
        return Outcome("BAD-hang", f"over {TIMEOUT:g} s ({run.seconds:.1f} s)")
    if run.exception is not None:
        return Outcome("BAD-crash", crash_note(run.exception))
    if "Traceback" in run.stdout or "Traceback" in run.stderr:
        return Outcome("BAD-crash", "a traceback was printed")
    if run.exit_code not in (0, 1, 2, 3):
        return Outcome("BAD-crash", f"exit {run.exit_code}")
    if run.exit_code == 2:
        lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
        half = run.stdout.lstrip().startswith(("{", "["))
        message = lines[-1] if lines else ""
        if must_be_unchanged:
            return Outcome("BAD-unknown-kind-ignored", f"refused: {message[:160]}")
        if len(lines) != 1 or half:
            shown = " | ".join(line[:100] for line in lines[:3]) or "(nothing)"
            extra = "; half a report on stdout" if half else ""
            return Outcome(
                "BAD-unclear-error", f"exit 2, {len(lines)} stderr line(s): {shown}{extra}"
            )
        return Outcome("clean-error", message[:200])
    return None


Key = tuple[str, str, str, str]  # account, region, instance, feature
ReasonKey = tuple[str, str, str | None, str]  # code, severity, resource, message


@dataclass(frozen=True, slots=True)
class Row:
    verdict: str
    reasons: frozenset[ReasonKey]
    label: str  # name or instance id


@dataclass(frozen=True)
class Report:
    rows: Mapping[Key, tuple[Row, ...]]
    exit_code: int
    stderr: str = ""

    @property
    def verdicts(self) -> dict[Key, tuple[str, ...]]:
        return {k: tuple(r.verdict for r in v) for k, v in self.rows.items()}


def parse_report(text: str, exit_code: int) -> Report:
    """The rows of an `ssmreach.check/1` document (raises ValueError when it is not one)."""
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("format") != "ssmreach.check/1":
        raise ValueError("not an ssmreach.check/1 document")
    rows: dict[Key, list[Row]] = defaultdict(list)
    for item in doc["results"]:
        key = (item["account"], item["region"], item["instance"], item["feature"])
        reasons = frozenset(
            (r["code"], r["severity"], r.get("resource"), r["message"]) for r in item["reasons"]
        )
        rows[key].append(Row(item["verdict"], reasons, item.get("name") or item["instance"]))
    return Report({k: tuple(v) for k, v in rows.items()}, exit_code)


def _justified(row: Row, before: Row | None, m: Mutation) -> bool:
    """A result that became UNKNOWN says why: a new data reason, or a new warning naming
    the damaged resource or operation."""
    old = before.reasons if before else frozenset()
    for code, severity, resource, message in row.reasons - old:
        if code in DATA_CODES:
            return True
        text = f"{resource or ''} {message}"
        if severity == "warning" and (
            (m.operation and m.operation in text) or any(r in text for r in m.resources)
        ):
            return True
    return False


def _codes(row: Row, severity: str = "error") -> str:
    codes = sorted({c for c, s, _, _ in row.reasons if s == severity})
    return ",".join(codes)


def compare(m: Mutation, after: Report, before: Report) -> Outcome:
    """Classify a report against the baseline's."""
    if after.verdicts == before.verdicts:
        return Outcome("unchanged")
    changes: list[str] = []
    bad = False
    for key in sorted(set(after.rows) | set(before.rows)):
        old, new = before.rows.get(key, ()), after.rows.get(key, ())
        label = (new or old)[0].label + "/" + key[3]
        if not new:
            changes.append(f"{label} vanished (was {old[0].verdict})")
            bad = True
            continue
        if not old:
            changes.append(f"{label} appeared ({new[0].verdict})")
            bad = True
            continue
        if len(new) != len(old):
            changes.append(f"{label} reported {len(new)}x (was {len(old)}x)")
            bad = True
        for row in new:
            if row.verdict == old[0].verdict:
                continue
            arrow = f"{label} {old[0].verdict}→{row.verdict}"
            if row.verdict in DEFINITE:
                codes = _codes(row) or _codes(row, "warning")
                changes.append(arrow + (f" [{codes}]" if codes else ""))
                bad = True
            elif not _justified(row, old[0], m):
                codes = _codes(row, "warning")
                changes.append(arrow + f" without a data reason [{codes}]")
                bad = True
            else:
                changes.append(arrow)
    shown = "; ".join(changes[:4]) + (f"; +{len(changes) - 4} more" if len(changes) > 4 else "")
    note = f"{shown}, exit {after.exit_code}"
    if m.must_be_unchanged:
        return Outcome("BAD-unknown-kind-ignored", note)
    if bad:
        return Outcome("BAD-silent-change", note)
    return Outcome("unknown-with-reason", note)


def classify_check(m: Mutation, run: Run, baseline: Report) -> Outcome:
    """The outcome of `ssmreach check --format json` on a mutation."""
    early = first_checks(run, m.must_be_unchanged)
    if early is not None:
        return early
    try:
        report = parse_report(run.stdout, run.exit_code)
    except (ValueError, KeyError, TypeError) as exc:
        return Outcome("BAD-crash", f"exit {run.exit_code} without a whole report ({exc})"[:200])
    return compare(m, report, baseline)


# --- the corpus table ---------------------------------------------------------------------------


@dataclass
class Tally:
    """Outcomes of a corpus: counts per kind and outcome, and every failure."""

    title: str
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    total: int = 0

    def add(self, m: Mutation, outcome: Outcome, **extra: Any) -> None:
        self.total += 1
        self.counts[m.kind][outcome.label] += 1
        entry = {
            "id": m.id,
            "kind": m.kind,
            "base": m.base,
            "file": m.file,
            "detail": m.detail,
            "outcome": outcome.label,
            "what": outcome.note,
            **extra,
        }
        self.outcomes.append(entry)
        if outcome.bad:
            self.failures.append(entry)

    def table(self) -> str:
        labels = sorted({label for c in self.counts.values() for label in c})
        labels = [x for x in GOOD if x in labels] + [x for x in labels if x not in GOOD]
        width = max([len(k) for k in self.counts] + [4])
        head = f"{'kind':<{width}}  " + "  ".join(f"{x:>{max(len(x), 4)}}" for x in labels)
        lines = [f"{self.title}: {self.total} runs in {self.seconds:.1f} s", head]
        for kind in sorted(self.counts):
            cells = "  ".join(f"{self.counts[kind].get(x, 0):>{max(len(x), 4)}}" for x in labels)
            lines.append(f"{kind:<{width}}  {cells}")
        return "\n".join(lines)

    def message(self, limit: int = 40) -> str:
        lines = [f"{len(self.failures)} BAD outcome(s) of {self.total} ({self.title}):"]
        for f in self.failures[:limit]:
            lines.append(
                f"  {f['id']} {f['kind']} {f['file'].rsplit('/', 1)[-1]} ({f['detail'][:60]}): "
                f"{f['outcome']}: {f['what'][:180]}"
            )
        if len(self.failures) > limit:
            lines.append(f"  ... and {len(self.failures) - limit} more (see the JSON report)")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "total": self.total,
            "seconds": round(self.seconds, 2),
            "counts": {k: dict(v) for k, v in sorted(self.counts.items())},
            "failures": self.failures,
            "notes": self.notes,
            "outcomes": self.outcomes,
        }


def write_report(tally: Tally, folder: Path, name: str) -> Path:
    """Write the tally as JSON in `folder` (and where SSMREACH_MUTATION_REPORTS points)."""
    import os

    text = json.dumps(tally.as_json(), indent=1, ensure_ascii=False)
    path = folder / name
    path.write_text(text)
    extra = os.environ.get("SSMREACH_MUTATION_REPORTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        (Path(extra) / name).write_text(text)
    return path
