"""The report formats of `ssmreach check`: one registry that the CLI reads.

Each `ReportFormat` names itself, says what it is for (the `--help` text), gives the file
suffix used with `--output-dir`, and renders a check result into bytes (or a stream of
byte pieces). Adding a format is one entry here plus its renderer module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ssmreach.analysis.verdict import CheckResult
from ssmreach.model.estate import Estate


@dataclass(frozen=True, slots=True)
class RenderContext:
    estate: Estate
    trace: bool = False
    color: bool = False
    width: int = 140
    quiet: bool = False
    detail: str = "full"  # json-compact: "failing" leaves out the traces of PRIVATE results
    all_vpcs: bool = False  # html: draw VPCs that no checked instance uses, too


Renderer = Callable[[CheckResult, RenderContext], bytes | Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class ReportFormat:
    name: str
    purpose: str
    suffix: str
    render: Renderer


def _text(result: CheckResult, ctx: RenderContext) -> bytes | Iterable[bytes]:
    from ssmreach.report.text_report import iter_text, render_summary

    if ctx.quiet:
        return render_summary(result).encode()
    return iter_text(result, trace=ctx.trace, color=ctx.color, width=ctx.width)


def _json(result: CheckResult, ctx: RenderContext) -> Iterable[bytes]:
    from ssmreach.report.json_report import iter_json

    return iter_json(result)


def _compact(result: CheckResult, ctx: RenderContext) -> Iterable[bytes]:
    from ssmreach.report.json_report import iter_compact_json

    return iter_compact_json(result, detail=ctx.detail)


def _sarif(result: CheckResult, ctx: RenderContext) -> Iterable[bytes]:
    from ssmreach.report.sarif import iter_sarif

    return iter_sarif(result)


def _html(result: CheckResult, ctx: RenderContext) -> Iterable[bytes]:
    from ssmreach.report.html import iter_html

    return iter_html(result, ctx.estate, all_vpcs=ctx.all_vpcs)


def _markdown(result: CheckResult, ctx: RenderContext) -> bytes:
    from ssmreach.report.markdown import render_markdown

    return render_markdown(result)


def _csv(result: CheckResult, ctx: RenderContext) -> Iterable[bytes]:
    from ssmreach.report.csv_report import iter_csv

    return iter_csv(result)


FORMATS: dict[str, ReportFormat] = {
    f.name: f
    for f in (
        ReportFormat("text", "for people", "txt", _text),
        ReportFormat("json", "ssmreach.check/1, for machines", "json", _json),
        ReportFormat(
            "json-compact",
            "ssmreach.check-compact/1: each distinct hop trace once (large estates)",
            "compact.json",
            _compact,
        ),
        ReportFormat("sarif", "for code scanning", "sarif", _sarif),
        ReportFormat("html", "one self-contained file with network diagrams", "html", _html),
        ReportFormat("markdown", "for a pull-request comment", "md", _markdown),
        ReportFormat("csv", "one row per instance and feature, for spreadsheets", "csv", _csv),
    )
}
"""Every format, in the order `--help` lists them."""
