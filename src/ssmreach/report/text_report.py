"""`--format text`: a matrix of instances by feature, then the findings grouped by the
resource in the way, each with its fix and how many instances it affects. With
`--instance`, the full hop trace of that instance follows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.verdict import (
    CheckResult,
    FeatureResult,
    Outcome,
    Reason,
    Severity,
    Verdict,
)
from ssmreach.report.text_lines import Lines, Span

MARK = {
    Verdict.PRIVATE: ("private", "green"),
    Verdict.INTERNET: ("internet", "yellow"),
    Verdict.BLOCKED: ("BLOCKED", "bold red"),
    Verdict.UNKNOWN: ("unknown", "magenta"),
}
HOP_MARK = {
    Outcome.PASS: ("✓", "green"),
    Outcome.FAIL: ("✗", "bold red"),
    Outcome.UNKNOWN: ("?", "magenta"),
}
SHORT = {
    "run-command": "run-cmd",
    "session-manager": "session",
    "patch-manager": "patch",
    "agent-update": "agent-upd",
    "vss-snapshot": "vss",
    "cloudwatch-logs": "logs",
}
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


@dataclass
class Finding:
    code: str
    severity: Severity
    resource: str | None
    message: str
    fix: str | None
    instances: set[str] = field(default_factory=set)
    features: set[str] = field(default_factory=set)


def group_findings(result: CheckResult, *, include_info: bool = False) -> list[Finding]:
    """One finding per (code, resource), with every instance and feature it affects."""
    # Instances of a group share one tuple of reasons: each tuple is read once, with
    # every instance and feature that holds it, in the order the results first hold it.
    holders: dict[int, tuple[tuple[Reason, ...], set[str], set[str]]] = {}
    for r in result.results:
        if not r.reasons:
            continue
        held = holders.get(id(r.reasons))
        if held is None:
            held = holders[id(r.reasons)] = (r.reasons, set(), set())
        held[1].add(r.instance)
        held[2].add(r.feature)
    groups: dict[tuple[str, str | None, str | None], Finding] = {}
    for reasons, instances, features in holders.values():
        for reason in reasons:
            if reason.severity is Severity.INFO and not include_info:
                continue
            key = (reason.code, reason.resource, reason.fix)
            finding = groups.get(key)
            if finding is None:
                finding = groups[key] = Finding(
                    reason.code, reason.severity, reason.resource, reason.message, reason.fix
                )
            if reason.severity is Severity.ERROR:
                finding.severity = Severity.ERROR
            finding.instances |= instances
            finding.features |= features
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(
        groups.values(),
        key=lambda f: (order[f.severity], -len(f.instances), f.code, f.resource or ""),
    )


def _label(r: FeatureResult) -> str:
    return f"{r.name} ({r.instance})" if r.name else r.instance


def _fit(text: str, size: int) -> str:
    return text if len(text) <= size else text[: max(1, size - 1)] + "…"


def _cells(cols: list[int]) -> tuple[dict[tuple[int, Verdict, bool], Span], list[Span]]:
    """Every cell of the matrix a column can show, padded to its width (the last column
    unpadded): by (column, verdict, accepted), and the cell of a feature not checked."""
    last = len(cols) - 1
    cells: dict[tuple[int, Verdict, bool], Span] = {}
    for n, size in enumerate(cols):
        for verdict, (word, style) in MARK.items():
            for accepted in (False, True):
                shown, shown_style = (word + "*", "dim") if accepted else (word, style)
                cells[(n, verdict, accepted)] = (
                    shown if n == last else f"{shown:<{size}}",
                    shown_style,
                )
    missing: list[Span] = [
        ("-" if n == last else f"{'-':<{size}}", None) for n, size in enumerate(cols)
    ]
    return cells, missing


def _matrix(
    result: CheckResult,
    by_instance: dict[str, dict[str, FeatureResult]],
    features: list[str],
    width: int,
) -> list[list[Span]]:
    """One line per instance, one mark per feature, in fixed columns that fit `width`.

    Lines of short words in fixed columns rather than a rich Table: a table measures and
    wraps every cell of every row, which at 10,000 instances costs seconds.
    """
    wide = width >= 110
    heads = [feature if wide else SHORT.get(feature, feature) for feature in features]
    marks = [len(m[0]) + 1 for m in MARK.values()]  # "+ 1": the accepted marker
    cols = [max(len(h), *marks) for h in heads]
    last = len(cols) - 1
    cell_of, missing = _cells(cols)
    accepted = result.accepted or frozenset()
    rows: list[tuple[str, str, list[Span]]] = []
    for row in sorted(by_instance.values(), key=lambda r: _label(next(iter(r.values())))):
        first = next(iter(row.values()))
        cells: list[Span] = []
        for n, feature in enumerate(features):
            fr = row.get(feature)
            if fr is None:
                cells.append(missing[n])
            else:
                cells.append(
                    cell_of[
                        (n, fr.verdict, bool(accepted) and (fr.instance, fr.feature) in accepted)
                    ]
                )
        label = _label(first) if wide else (first.name or first.instance)
        if first.state != "running":
            label = f"[{first.state}] {label}"  # first, so a narrow column keeps it
        rows.append((label, first.subnet or "-" if wide else "", cells))
    subnet_w = max([len("subnet"), *(len(r[1]) for r in rows)]) if wide else 0
    fixed = sum(c + 2 for c in cols) + (subnet_w + 2 if wide else 0)
    label_w = max(len("instance"), *(len(r[0]) for r in rows))
    label_w = max(8, min(label_w, width - fixed))
    head: list[Span] = [(f"{'instance':<{label_w}}", "bold")]
    if wide:
        head.append((f"  {'subnet':<{subnet_w}}", "bold"))
    for n, (name, size) in enumerate(zip(heads, cols, strict=True)):
        head.append(("  " + (name if n == last else f"{name:<{size}}"), "bold"))
    lines = [head]
    gap: Span = ("  ", None)
    for label, subnet, cells in rows:
        line: list[Span] = [(f"{_fit(label, label_w):<{label_w}}", None)]
        if wide:
            line.append((f"  {subnet:<{subnet_w}}", "dim"))
        for cell in cells:
            line += (gap, cell)
        lines.append(line)
    return lines


def render_summary(result: CheckResult) -> str:
    """The one summary line (all of `--quiet`)."""
    summary = ", ".join(f"{result.count(v)} {v.value}" for v in Verdict)
    return (
        f"ssmreach check: {result.instances} instance(s)"
        + (f" ({result.not_running} not running)" if result.not_running else "")
        + f", {len(result.results)} results ({summary})\n"
    )


def _by_account(result: CheckResult) -> list[list[Span]] | None:
    """Counts per account, when the results span more than one (an organisation)."""
    counts: dict[str, dict[Verdict, int]] = defaultdict(lambda: dict.fromkeys(Verdict, 0))
    instances: dict[str, set[str]] = defaultdict(set)
    for r in result.results:
        counts[r.account][r.verdict] += 1
        instances[r.account].add(r.instance)
    if len(counts) < 2:
        return None
    head: list[Span] = [(f"{'account':<14}{'instances':>10}", "bold")]
    head += [(f"{v.value:>10}", "bold") for v in Verdict]
    lines = [head]
    for account in sorted(counts):
        line: list[Span] = [(f"{account:<14}{len(instances[account]):>10}", None)]
        for v in Verdict:
            n = counts[account][v]
            line.append((f"{n:>10}", MARK[v][1] if n and v is not Verdict.PRIVATE else None))
        lines.append(line)
    return lines


def render_text(
    result: CheckResult, *, trace: bool = False, color: bool = False, width: int = 140
) -> str:
    return "".join(_pieces(result, trace=trace, color=color, width=width))


def iter_text(
    result: CheckResult, *, trace: bool = False, color: bool = False, width: int = 140
) -> Iterator[bytes]:
    """The report as UTF-8 byte pieces of about 64 KB, line by line."""
    batch: list[str] = []
    size = 0
    for piece in _pieces(result, trace=trace, color=color, width=width):
        batch.append(piece)
        size += len(piece)
        if size >= 65536:
            yield "".join(batch).encode()
            batch, size = [], 0
    if batch:
        yield "".join(batch).encode()


def _pieces(result: CheckResult, *, trace: bool, color: bool, width: int) -> Iterator[str]:
    out = Lines(color=color, width=width)
    features = sorted({r.feature for r in result.results}, key=_feature_order)
    by_instance: dict[str, dict[str, FeatureResult]] = defaultdict(dict)
    for r in result.results:
        by_instance[r.instance][r.feature] = r
    yield out.text((render_summary(result).rstrip("\n"), None), style="bold")
    if not result.results:
        yield out.markup(
            "No instances in the snapshot."
            if result.instances == 0
            else "No results matched. Check --instance and --feature."
        )
        return
    accounts = _by_account(result)
    if accounts is not None:
        yield from out.block(accounts)
        yield "\n"
    yield from out.block(_matrix(result, by_instance, features, width))
    yield "\n"
    yield from _findings(out, result)
    yield from _notes(out, result)
    if trace:
        for row in by_instance.values():
            yield from _trace(out, list(row.values()))


def _findings(out: Lines, result: CheckResult) -> Iterator[str]:
    findings = group_findings(result)
    if findings:
        yield out.text(("Findings (grouped by the resource in the way):", None), style="bold")
        for f in findings:
            n = len(f.instances)
            features = ", ".join(sorted(f.features, key=_feature_order))
            yield out.text(
                (f"{f.severity.value.upper():7} ", SEVERITY_STYLE[f.severity]),
                (f"{f.code}", "bold"),
                (f"  {f.resource or '-'}  ({n} instance{'s' if n != 1 else ''}; {features})", None),
            )
            yield out.markup(f"        {f.message}")
            if f.fix:
                yield out.text((f"        fix: {f.fix}", None), style="green")
    else:
        yield out.text(("No findings: every checked path works.", None), style="green")
    for x in result.estate_findings:
        yield out.text(
            (f"{x.severity.value.upper():7} {x.code}  {x.resource or '-'}", None), style="bold"
        )
        yield out.markup(f"        {x.message}")
        if x.fix:
            yield out.text((f"        fix: {x.fix}", None), style="green")


def _notes(out: Lines, result: CheckResult) -> Iterator[str]:
    if result.accepted:
        yield out.text(
            (
                f"\n* {len(result.accepted)} result(s) accepted by the baseline: their findings are "
                "shown, and they do not fail the run.",
                None,
            ),
            style="dim",
        )
    internet = result.count(Verdict.INTERNET)
    if internet:
        yield out.text(
            (
                f"\n{internet} result(s) work only over the internet; `--require-private` makes that an exit-1 failure.",
                None,
            ),
            style="yellow",
        )


def _trace(out: Lines, results: list[FeatureResult]) -> Iterator[str]:
    first = results[0]
    yield "\n"
    yield out.text(
        (
            f"Trace of {_label(first)} in {first.account}/{first.region}, {first.vpc} / {first.subnet}",
            None,
        ),
        style="bold",
    )
    for r in sorted(results, key=lambda x: _feature_order(x.feature)):
        word, style = MARK[r.verdict]
        services = ", ".join(f"{s.service} {s.verdict.value.lower()}" for s in r.services)
        yield out.text((f"  {r.feature}: ", None), (word, style), (f"  ({services})", None))
    yield "\n"
    seen: set[tuple[str, str | None]] = set()
    for r in results:
        for s in r.services:
            key = (s.service, s.via)
            if key in seen:
                continue
            seen.add(key)
            word, style = MARK[s.verdict]
            yield out.text(
                (f"  {s.service}", None),
                (f"  {s.host or '?'}  ", None),
                (word, style),
                (f"  via {s.via or '-'}", None),
                style="bold",
            )
            for hop in s.hops:
                mark, mstyle = HOP_MARK[hop.result]
                yield out.text(
                    ("    ", None), (mark, mstyle), (f" {hop.step:16} {hop.detail}", None)
                )
    for x in first.reasons:
        if x.code in ("NO_INSTANCE_PROFILE", "IMDS_DISABLED", "AGENT_OFFLINE", "AGENT_TOO_OLD"):
            yield out.text(
                (f"  {x.severity.value}: {x.code} {x.message}", None),
                style=SEVERITY_STYLE[x.severity],
            )


_ORDER = FEATURES


def _feature_order(feature: str) -> int:
    return _ORDER.index(feature) if feature in _ORDER else len(_ORDER)
