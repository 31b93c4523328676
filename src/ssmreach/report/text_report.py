"""`--format text`: a matrix of instances by feature, then the findings grouped by the
resource in the way, each with its fix and how many instances it affects. With
`--instance`, the full hop trace of that instance follows.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.verdict import CheckResult, FeatureResult, Outcome, Severity, Verdict

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
    groups: dict[tuple[str, str | None, str | None], Finding] = {}
    for r in result.results:
        for reason in r.reasons:
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
            finding.instances.add(r.instance)
            finding.features.add(r.feature)
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(
        groups.values(),
        key=lambda f: (order[f.severity], -len(f.instances), f.code, f.resource or ""),
    )


def _label(r: FeatureResult) -> str:
    return f"{r.name} ({r.instance})" if r.name else r.instance


def _fit(text: str, size: int) -> str:
    return text if len(text) <= size else text[: max(1, size - 1)] + "…"


def _matrix(
    result: CheckResult,
    by_instance: dict[str, dict[str, FeatureResult]],
    features: list[str],
    width: int,
) -> Text:
    """One line per instance, one mark per feature, in fixed columns that fit `width`.

    Built as one styled text rather than a rich Table: a table measures and wraps every cell
    of every row, which at 10,000 instances costs seconds; these cells are short words.
    """
    wide = width >= 110
    heads = [feature if wide else SHORT.get(feature, feature) for feature in features]
    marks = [len(m[0]) + 1 for m in MARK.values()]  # "+ 1": the accepted marker
    cols = [max(len(h), *marks) for h in heads]
    rows: list[tuple[str, str, list[tuple[str, str]]]] = []
    for row in sorted(by_instance.values(), key=lambda r: _label(next(iter(r.values())))):
        first = next(iter(row.values()))
        cells: list[tuple[str, str]] = []
        for feature in features:
            fr = row.get(feature)
            if fr is None:
                cells.append(("-", ""))
                continue
            word, style = MARK[fr.verdict]
            if result.accepted and (fr.instance, fr.feature) in result.accepted:
                word, style = word + "*", "dim"
            cells.append((word, style))
        label = _label(first) if wide else (first.name or first.instance)
        if first.state != "running":
            label = f"[{first.state}] {label}"  # first, so a narrow column keeps it
        rows.append((label, first.subnet or "-" if wide else "", cells))
    subnet_w = max([len("subnet"), *(len(r[1]) for r in rows)]) if wide else 0
    fixed = sum(c + 2 for c in cols) + (subnet_w + 2 if wide else 0)
    label_w = max(len("instance"), *(len(r[0]) for r in rows))
    label_w = max(8, min(label_w, width - fixed))
    out = Text()
    out.append(f"{'instance':<{label_w}}", style="bold")
    if wide:
        out.append(f"  {'subnet':<{subnet_w}}", style="bold")
    last = len(cols) - 1
    for n, (head, size) in enumerate(zip(heads, cols, strict=True)):
        out.append("  " + (head if n == last else f"{head:<{size}}"), style="bold")
    for label, subnet, cells in rows:
        out.append("\n" + f"{_fit(label, label_w):<{label_w}}")
        if wide:
            out.append(f"  {subnet:<{subnet_w}}", style="dim")
        for n, ((word, style), size) in enumerate(zip(cells, cols, strict=True)):
            out.append("  ")
            out.append(word if n == last else f"{word:<{size}}", style=style or None)
    return out


def render_summary(result: CheckResult) -> str:
    """The one summary line (all of `--quiet`)."""
    summary = ", ".join(f"{result.count(v)} {v.value}" for v in Verdict)
    return (
        f"ssmreach check: {result.instances} instance(s)"
        + (f" ({result.not_running} not running)" if result.not_running else "")
        + f", {len(result.results)} results ({summary})\n"
    )


def _by_account(result: CheckResult) -> Text | None:
    """Counts per account, when the results span more than one (an organisation)."""
    counts: dict[str, dict[Verdict, int]] = defaultdict(lambda: dict.fromkeys(Verdict, 0))
    instances: dict[str, set[str]] = defaultdict(set)
    for r in result.results:
        counts[r.account][r.verdict] += 1
        instances[r.account].add(r.instance)
    if len(counts) < 2:
        return None
    out = Text()
    out.append(f"{'account':<14}{'instances':>10}", style="bold")
    for v in Verdict:
        out.append(f"{v.value:>10}", style="bold")
    for account in sorted(counts):
        out.append(f"\n{account:<14}{len(instances[account]):>10}")
        for v in Verdict:
            n = counts[account][v]
            out.append(f"{n:>10}", style=MARK[v][1] if n and v is not Verdict.PRIVATE else None)
    return out


def render_text(
    result: CheckResult, *, trace: bool = False, color: bool = False, width: int = 140
) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False
    )
    features = sorted({r.feature for r in result.results}, key=_feature_order)
    by_instance: dict[str, dict[str, FeatureResult]] = defaultdict(dict)
    for r in result.results:
        by_instance[r.instance][r.feature] = r
    console.print(Text(render_summary(result).rstrip("\n"), style="bold"))
    if not result.results:
        console.print(
            "No instances in the snapshot."
            if result.instances == 0
            else "No results matched. Check --instance and --feature."
        )
        return buffer.getvalue()
    accounts = _by_account(result)
    if accounts is not None:
        console.print(accounts, crop=False, soft_wrap=True)
        console.print()
    console.print(_matrix(result, by_instance, features, width), crop=False, soft_wrap=True)
    findings = group_findings(result)
    console.print()
    if findings:
        console.print(Text("Findings (grouped by the resource in the way):", style="bold"))
        for f in findings:
            n = len(f.instances)
            head = Text()
            head.append(f"{f.severity.value.upper():7} ", style=SEVERITY_STYLE[f.severity])
            head.append(f"{f.code}", style="bold")
            head.append(
                f"  {f.resource or '-'}  ({n} instance{'s' if n != 1 else ''}; {', '.join(sorted(f.features, key=_feature_order))})"
            )
            console.print(head)
            console.print(f"        {f.message}", soft_wrap=False)
            if f.fix:
                console.print(Text(f"        fix: {f.fix}", style="green"))
    else:
        console.print(Text("No findings: every checked path works.", style="green"))
    for x in result.estate_findings:
        console.print(
            Text(f"{x.severity.value.upper():7} {x.code}  {x.resource or '-'}", style="bold")
        )
        console.print(f"        {x.message}", soft_wrap=False)
        if x.fix:
            console.print(Text(f"        fix: {x.fix}", style="green"))
    if result.accepted:
        console.print(
            Text(
                f"\n* {len(result.accepted)} result(s) accepted by the baseline: their findings are "
                "shown, and they do not fail the run.",
                style="dim",
            )
        )
    internet = [r for r in result.results if r.verdict is Verdict.INTERNET]
    if internet:
        console.print(
            Text(
                f"\n{len(internet)} result(s) work only over the internet; `--require-private` makes that an exit-1 failure.",
                style="yellow",
            )
        )
    if trace:
        for row in by_instance.values():
            _render_trace(console, list(row.values()))
    return buffer.getvalue()


def _render_trace(console: Console, results: list[FeatureResult]) -> None:
    first = results[0]
    console.print()
    console.print(
        Text(
            f"Trace of {_label(first)} in {first.account}/{first.region}, {first.vpc} / {first.subnet}",
            style="bold",
        )
    )
    seen: set[tuple[str, str | None]] = set()
    for r in sorted(results, key=lambda x: _feature_order(x.feature)):
        word, style = MARK[r.verdict]
        line = Text(f"  {r.feature}: ")
        line.append(word, style=style)
        line.append(
            "  (" + ", ".join(f"{s.service} {s.verdict.value.lower()}" for s in r.services) + ")"
        )
        console.print(line)
    console.print()
    for r in results:
        for s in r.services:
            key = (s.service, s.via)
            if key in seen:
                continue
            seen.add(key)
            word, style = MARK[s.verdict]
            head = Text(f"  {s.service}", style="bold")
            head.append(f"  {s.host or '?'}  ")
            head.append(word, style=style)
            head.append(f"  via {s.via or '-'}")
            console.print(head)
            for hop in s.hops:
                mark, mstyle = HOP_MARK[hop.result]
                line = Text("    ")
                line.append(mark, style=mstyle)
                line.append(f" {hop.step:16} {hop.detail}")
                console.print(line)
    instance_reasons = [
        x
        for x in first.reasons
        if x.code in ("NO_INSTANCE_PROFILE", "IMDS_DISABLED", "AGENT_OFFLINE", "AGENT_TOO_OLD")
    ]
    for x in instance_reasons:
        console.print(
            Text(f"  {x.severity.value}: {x.code} {x.message}", style=SEVERITY_STYLE[x.severity])
        )


_ORDER = FEATURES


def _feature_order(feature: str) -> int:
    return _ORDER.index(feature) if feature in _ORDER else len(_ORDER)
