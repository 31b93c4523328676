"""The streamed renderings write what the whole-document ones write, byte for byte.

The text report writes plain lines itself and leaves to rich only the lines rich would
change; SARIF, CSV and the HTML trace data encode shared parts once and join them. Each
is compared here with the plain way of writing the same thing, on the report cases and
on a result whose strings hold everything that needs escaping, wrapping or quoting.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import msgspec
import pytest
from rich.console import Console
from rich.text import Text

from report.report_cases import Case
from ssmreach.analysis.verdict import AcceptedFinding, CheckResult, FeatureResult, Reason
from ssmreach.report.csv_report import COLUMNS, iter_csv
from ssmreach.report.html import iter_html, render_html
from ssmreach.report.sarif import iter_sarif, sarif_document
from ssmreach.report.text_lines import Lines
from ssmreach.report.text_report import iter_text, render_text

AWKWARD = (
    "tab\there",
    "cr\rbell\x07",
    "[bold]b[/bold] and [red]",
    "x :smile: y",
    "名前-テスト",
    "wrap " * 40,
    "new\nline",
    'quote " comma , semicolon ;',
    "<&>|`*_ \u2028 \u2029",
    "trailing  ",
    "",
)


def _awkward_reason(reason: Reason, n: int) -> Reason:
    word = AWKWARD[n % len(AWKWARD)]
    return msgspec.structs.replace(
        reason,
        message=f"{reason.message} {word}",
        resource=(reason.resource or "") + word if n % 3 else None,
        fix=None if n % 4 == 1 else f"{reason.fix or ''} {word}",
    )


def awkward(result: CheckResult) -> CheckResult:
    """The result with awkward names and reasons, shared as the analysis shares them."""
    reasons: dict[int, tuple[Reason, ...]] = {}
    out: list[FeatureResult] = []
    names: dict[str, str] = {}
    for n, r in enumerate(result.results):
        listed = reasons.get(id(r.reasons))
        if listed is None:
            listed = reasons[id(r.reasons)] = tuple(
                _awkward_reason(x, n + i) for i, x in enumerate(r.reasons)
            )
        name = names.setdefault(r.instance, AWKWARD[len(names) % len(AWKWARD)])
        accepted = (AcceptedFinding("X", "r<", "why & <", None, 2),) if n % 5 == 0 else ()
        out.append(msgspec.structs.replace(r, name=name, reasons=listed, accepted=accepted))
    chosen = frozenset((r.instance, r.feature) for r in out[::3])
    return dataclasses.replace(result, results=tuple(out), accepted=chosen)


@pytest.fixture(scope="module")
def awkward_case(spoke_case: Case) -> Case:
    return Case("awkward", spoke_case.estate, awkward(spoke_case.result))


def _rich(width: int) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=False, no_color=True, width=width, highlight=False
    )
    return console, buffer


@pytest.mark.parametrize("width", [20, 60, 140])
def test_lines_are_what_rich_prints(width: int) -> None:
    out = Lines(color=False, width=width)
    for word in AWKWARD:
        line = f"        {word} end"
        console, buffer = _rich(width)
        console.print(Text(line, style="green"))
        assert out.text((line, None), style="green") == buffer.getvalue(), repr(word)
        console, buffer = _rich(width)
        console.print(line, soft_wrap=False)
        assert out.markup(line) == buffer.getvalue(), repr(word)
    rows = [[(word, "bold"), ("  ", None), ("x" * width, "dim")] for word in AWKWARD]
    console, buffer = _rich(width)
    whole = Text()
    for n, row in enumerate(rows):
        whole.append("\n" if n else "")
        for piece, style in row:
            whole.append(piece, style=style)
    console.print(whole, crop=False, soft_wrap=True)
    assert "".join(out.block(rows)) == buffer.getvalue()


@pytest.mark.parametrize("trace", [False, True])
def test_text_stream_is_the_text(any_case: Case, awkward_case: Case, trace: bool) -> None:
    for case in (any_case, awkward_case):
        for width in (60, 140):
            text = render_text(case.result, trace=trace, width=width)
            assert b"".join(iter_text(case.result, trace=trace, width=width)) == text.encode()


def test_sarif_lines_are_the_built_results(any_case: Case, awkward_case: Case) -> None:
    for case in (any_case, awkward_case):
        streamed = b"".join(iter_sarif(case.result))
        built = sarif_document(case.result)
        assert json.loads(streamed) == json.loads(json.dumps(built))
        lines = streamed.split(b"\n")
        results = built["runs"][0]["results"]
        assert [line.removesuffix(b",") for line in lines[1:-2]] == [
            msgspec.json.encode(item) for item in results
        ]


def _csv_rows(result: CheckResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rank = {"error": 0, "warning": 1, "info": 2}
    for r in result.results:
        found = dict.fromkeys(r.reasons)
        for s in r.services:
            found.update(dict.fromkeys(s.reasons))
        reasons = sorted(found, key=lambda x: rank[x.severity.value])
        first = next((x for x in reasons if x.severity.value != "info"), None)
        writer.writerow(
            [
                *(r.account, r.region, r.vpc or "", r.subnet or "", r.instance, r.name or ""),
                *(r.state, r.feature, r.verdict.value),
                " ".join(dict.fromkeys(x.code for x in reasons)),
                (first.resource or "") if first else "",
                first.message if first else "",
                (first.fix or "") if first else "",
            ]
        )
    return buffer.getvalue().encode()


def test_csv_is_what_the_csv_writer_writes(any_case: Case, awkward_case: Case) -> None:
    for case in (any_case, awkward_case):
        assert b"".join(iter_csv(case.result, batch=7)) == _csv_rows(case.result)


def test_html_pieces_are_the_page(any_case: Case, awkward_case: Case) -> None:
    for case in (any_case, awkward_case):
        pieces = list(iter_html(case.result, case.estate))
        assert len(pieces) > 2
        assert b"".join(pieces) == render_html(case.result, case.estate)
