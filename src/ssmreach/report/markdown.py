"""`--format markdown`: a compact summary for a pull-request comment or a chat message.

Counts per verdict, results per feature, a small instance matrix (worst instances
first) and the top findings with their fix and how many instances they affect.
Long lists end in "and N more", so that a big estate stays near 50 lines. Every
string from the estate is escaped, so a Name tag cannot inject Markdown or HTML.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict

from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.verdict import CheckResult, FeatureResult, Verdict
from ssmreach.report.text_report import group_findings

ICON = {
    Verdict.PRIVATE: "🟢",
    Verdict.INTERNET: "🟡",
    Verdict.UNKNOWN: "🟣",
    Verdict.BLOCKED: "🔴",
}
ORDER = (Verdict.BLOCKED, Verdict.UNKNOWN, Verdict.INTERNET, Verdict.PRIVATE)
MAX_INSTANCES = 10
MAX_FINDINGS = 8
MAX_TEXT = 220

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: str) -> str:
    """Plain text, safe inside Markdown prose and table cells."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")  # no mentions


def code(text: str) -> str:
    """An id in a code span (ids never hold backticks; they are dropped if they do)."""
    return f"`{' '.join(text.replace('`', '').split())}`"


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sentence(text: str) -> str:
    return text if text.endswith((".", "…", "!", "?")) else text + "."


def _feature_key(feature: str) -> int:
    return FEATURES.index(feature) if feature in FEATURES else len(FEATURES)


def _label(r: FeatureResult) -> str:
    return f"{md(shorten(r.name, 40))} ({code(r.instance)})" if r.name else code(r.instance)


def render_markdown(result: CheckResult) -> bytes:
    features = sorted({r.feature for r in result.results}, key=_feature_key)
    where = ", ".join(result.accounts) or "no account"
    regions = ", ".join(result.regions) or "no Region"
    lines = [
        f"### ssmreach check: {result.instances} instance(s) in {md(where)} / {md(regions)}",
        "",
        " · ".join(f"{ICON[v]} **{result.count(v)}** {v.value}" for v in ORDER)
        + f" (of {len(result.results)} results)",
    ]
    if not result.results:
        lines += ["", "No instances matched."]
        return ("\n".join(lines) + "\n").encode()
    lines += _feature_table(result, features)
    lines += _matrix(result, features)
    lines += _top_findings(result)
    internet = result.count(Verdict.INTERNET)
    if internet:
        lines.append("")
        lines.append(
            f"{internet} result(s) work only over the internet; `--require-private` makes that a failure."
        )
    return ("\n".join(lines) + "\n").encode()


def _feature_table(result: CheckResult, features: list[str]) -> list[str]:
    """Results per feature."""
    lines = ["", "| feature | " + " | ".join(f"{ICON[v]} {v.value}" for v in ORDER) + " |"]
    lines.append("|---|" + "---:|" * len(ORDER))
    per_feature: dict[str, dict[Verdict, int]] = defaultdict(lambda: dict.fromkeys(ORDER, 0))
    for r in result.results:
        per_feature[r.feature][r.verdict] += 1
    for feature in features:
        counts = per_feature[feature]
        lines.append(f"| {feature} | " + " | ".join(str(counts[v] or "") for v in ORDER) + " |")
    return lines


def _matrix(result: CheckResult, features: list[str]) -> list[str]:
    """A small matrix, worst instances first."""
    by_instance: dict[str, dict[str, FeatureResult]] = defaultdict(dict)
    for r in result.results:
        by_instance[r.instance][r.feature] = r
    rank = {v: v.rank for v in Verdict}

    def badness(cells: dict[str, FeatureResult]) -> tuple[int, int, str, str]:
        ranks = [rank[c.verdict] for c in cells.values()]
        first = next(iter(cells.values()))
        return (-max(ranks, default=0), -sum(ranks), first.name or "", first.instance)

    # nsmallest is sorted(...)[:n], ties kept in order, without sorting every instance.
    ranked = heapq.nsmallest(MAX_INSTANCES, by_instance.values(), key=badness)
    lines = ["", "| instance | " + " | ".join(features) + " |"]
    lines.append("|---|" + ":---:|" * len(features))
    for cells in ranked:
        first = next(iter(cells.values()))
        marks = [ICON[cells[f].verdict] if f in cells else "-" for f in features]
        lines.append(f"| {_label(first)} | " + " | ".join(marks) + " |")
    if len(by_instance) > MAX_INSTANCES:
        bad = sum(
            1
            for cells in by_instance.values()
            if any(c.verdict is not Verdict.PRIVATE for c in cells.values())
        )
        bad -= sum(
            1 for cells in ranked if any(c.verdict is not Verdict.PRIVATE for c in cells.values())
        )
        lines.append("")
        lines.append(
            f"…and {len(by_instance) - MAX_INSTANCES} more instances ({bad} of them not fully private)."
        )
    return lines


def _top_findings(result: CheckResult) -> list[str]:
    """The top findings, with their fix and how many instances they affect."""
    findings = group_findings(result)
    if not findings:
        return ["", "No findings: every checked path works."]
    lines = ["", "**Top findings**", ""]
    for f in findings[:MAX_FINDINGS]:
        n = len(f.instances)
        on = f" on {code(f.resource)}" if f.resource else ""
        head = f"- **{f.severity.value}** {code(f.code)}{on}, {n} instance{'s' if n != 1 else ''}"
        text = f"{head}: {md(_sentence(shorten(f.message)))}"
        if f.fix:
            text += f" **Fix:** {md(shorten(f.fix))}"
        lines.append(text)
    if len(findings) > MAX_FINDINGS:
        lines.append(f"- …and {len(findings) - MAX_FINDINGS} more findings.")
    return lines
