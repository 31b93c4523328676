"""`--format html`: one self-contained page (inline CSS, JS and SVG; nothing is loaded
from the network) to read offline or attach to a ticket.

The page holds a summary, the instance x feature matrix with filters, the findings
with their fix and the instances they affect, the hop trace of any result (click a
cell), and one network diagram per VPC, on which the selected result's path is
highlighted. It is rendered by jinja2 with autoescaping
on; the traces travel as JSON in a `<script type="application/json">` block, escaped
so that no string can close it, and are drawn with `textContent`.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import msgspec
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ssmreach import __version__
from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.reasons import BY_CODE
from ssmreach.analysis.verdict import CheckResult, FeatureResult, Verdict, worst
from ssmreach.model.estate import Estate
from ssmreach.report.diagram import VERDICT_COLOUR, vpc_diagrams
from ssmreach.report.diagram_path import service_path
from ssmreach.report.json_report import DistinctLists, reason_item, service_item
from ssmreach.report.text_report import group_findings

VERDICT_ORDER = (Verdict.BLOCKED, Verdict.UNKNOWN, Verdict.INTERNET, Verdict.PRIVATE)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("ssmreach.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def script_json(data: Any) -> Markup:
    """JSON safe inside a `<script>` element: no `<`, `>` or `&` can end it early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _asset(env: Environment, name: str) -> Markup:
    """A static file of the templates folder, inlined as it is (not a template)."""
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    if "</" in source:
        raise ValueError(f"{name} must not contain '</': it is inlined into the page")
    return Markup(source)


def _feature_key(feature: str) -> int:
    return FEATURES.index(feature) if feature in FEATURES else len(FEATURES)


@dataclass(frozen=True, slots=True)
class Row:
    instance: str
    name: str | None
    account: str
    region: str
    vpc: str | None
    subnet: str | None
    worst: Verdict
    cells: dict[str, FeatureResult]


def _rows(result: CheckResult) -> list[Row]:
    by_instance: dict[str, dict[str, FeatureResult]] = defaultdict(dict)
    for r in result.results:
        by_instance[r.instance][r.feature] = r
    rows = []
    for iid, cells in by_instance.items():
        first = next(iter(cells.values()))
        rows.append(
            Row(
                instance=iid,
                name=first.name,
                account=first.account,
                region=first.region,
                vpc=first.vpc,
                subnet=first.subnet,
                worst=worst([c.verdict for c in cells.values()]),
                cells=cells,
            )
        )
    return rows


_SCRIPT_SAFE = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


def _script_safe(data: bytes) -> bytes:
    """`script_json`'s escapes on encoded JSON (each escaped character stands alone, so
    pieces of a document can be escaped one by one)."""
    for raw, escaped in _SCRIPT_SAFE:
        data = data.replace(raw, escaped)
    return data


AFFECTED_SHOWN = 50
"""Instances a finding lists in the page as it loads; the rest are drawn on request."""

LAZY_DIAGRAMS = 20
"""Above this many VPC diagrams, each is kept in an inert `<template>` and drawn when it
nears the viewport or holds the selected path: a browser lays out tens of megabytes of
SVG slowly, and a page of hundreds of VPCs would otherwise take seconds to open."""

_ROWS_AT_ONCE = 2000
"""Matrix rows encoded into one piece of the page."""


class _PageData:
    """What report.js draws from, as two JSON blocks of the page.

    `rows` (parsed as the page loads): one array per instance, `[id, name, account,
    Region, VPC, subnet, state, worst verdict, cells]`, a cell per feature of `features`,
    `null` or `[verdict, reasons key, services key]` (and the accepted findings, when
    there are); and the instances of each finding beyond the first `AFFECTED_SHOWN`.
    The matrix is drawn from it a page at a time, so the page holds a few hundred rows
    whatever the estate.

    `traces` (parsed when a trace is first opened): each distinct list of reasons and of
    service results once, under the keys the cells name (`json_report.DistinctLists`, as
    the compact JSON report writes them), and each list of service results' path on the
    diagrams (`diagram_path.py`) under the same key.
    """

    def __init__(self, rows: list[Row], features: list[str], findings: list[dict[str, Any]]):
        self.rows = rows
        self.features = features
        self.findings = findings
        self.encoder = msgspec.json.Encoder()
        self.reasons = DistinctLists("r", self.encoder)
        self.services = DistinctLists("s", self.encoder)
        self.paths: list[bytes] = []

    def _cell(self, r: FeatureResult | None) -> list[Any] | None:
        if r is None:
            return None
        known = len(self.services)
        skey = self.services.key(r.services, service_item)
        if len(self.services) > known:  # a list not seen yet: its path too
            path = [list(step) for step in service_path(r.services)]
            self.paths.append(self.encoder.encode(skey) + b":" + self.encoder.encode(path))
        cell: list[Any] = [r.verdict.value, self.reasons.key(r.reasons, reason_item), skey]
        if r.accepted:
            cell.append([msgspec.structs.asdict(a) for a in r.accepted])
        return cell

    def _row(self, row: Row) -> list[Any]:
        first = next(iter(row.cells.values()))
        cells = [self._cell(row.cells.get(f)) for f in self.features]
        head = [row.instance, row.name, row.account, row.region, row.vpc, row.subnet]
        return [*head, first.state, row.worst.value, cells]

    def rows_block(self) -> Iterator[bytes]:
        """The `rows` block, a couple of thousand rows a piece."""
        yield b'{"features":' + self.encoder.encode(self.features) + b',"rows":['
        for start in range(0, len(self.rows), _ROWS_AT_ONCE):
            part = [self._row(row) for row in self.rows[start : start + _ROWS_AT_ONCE]]
            yield (b"," if start else b"") + _script_safe(self.encoder.encode(part)[1:-1])
        more = {
            str(index): item["instances"][AFFECTED_SHOWN:]
            for index, item in enumerate(self.findings)
            if len(item["instances"]) > AFFECTED_SHOWN
        }
        yield b'],"affected":' + _script_safe(self.encoder.encode(more)) + b"}"

    def traces_block(self) -> Iterator[bytes]:
        """The `traces` block (after `rows_block`, which gives the keys)."""
        tables = (
            ("paths", self.paths),
            ("reasons", self.reasons.entries()),
            ("services", self.services.entries()),
        )
        for index, (name, entries) in enumerate(tables):
            yield (b"," if index else b"{") + self.encoder.encode(name) + b":{"
            for at, entry in enumerate(entries):
                yield (b"," if at else b"") + _script_safe(entry)
            yield b"}"
        yield b"}"


def render_html(result: CheckResult, estate: Estate, *, all_vpcs: bool = False) -> bytes:
    return b"".join(iter_html(result, estate, all_vpcs=all_vpcs))


def _findings(result: CheckResult, labels: dict[str, str]) -> list[dict[str, Any]]:
    findings = []
    for f in group_findings(result):
        entry = BY_CODE.get(f.code)
        findings.append(
            {
                "finding": f,
                "meaning": entry.meaning if entry else "",
                "features": sorted(f.features, key=_feature_key),
                "instances": sorted(f.instances, key=lambda i: (labels.get(i, i), i)),
            }
        )
    return findings


def iter_html(result: CheckResult, estate: Estate, *, all_vpcs: bool = False) -> Iterator[bytes]:
    """The page as UTF-8 pieces: the template's output as jinja2 generates it, with the
    data blocks encoded piece by piece where the template places them."""
    features = sorted({r.feature for r in result.results}, key=_feature_key)
    rows = _rows(result)
    labels = {row.instance: (row.name or row.instance) for row in rows}
    findings = _findings(result, labels)
    diagrams = [
        {
            "account": d.account,
            "region": d.region,
            "vpc": d.vpc_id,
            "name": d.name,
            "svg": Markup(d.svg),  # built by diagram.py, which escapes every string
        }
        for d in vpc_diagrams(estate, result, all_vpcs=all_vpcs)
    ]
    vpcs = sorted({row.vpc for row in rows if row.vpc})
    accounts = sorted({row.account for row in rows})
    env = _environment()
    template = env.get_template("report.html.j2")
    token = secrets.token_hex(16)
    data = _PageData(rows, features, findings)
    blocks = {f"rows-{token}": data.rows_block, f"traces-{token}": data.traces_block}
    page = template.generate(
        version=__version__,
        result=result,
        counts={v.value: result.count(v) for v in VERDICT_ORDER},
        verdicts=[v.value for v in VERDICT_ORDER],
        colours={v.value: c for v, c in VERDICT_COLOUR.items()},
        features=features,
        instances=len(rows),
        labels=labels,
        findings=findings,
        affected_shown=AFFECTED_SHOWN,
        diagrams=diagrams,
        lazy_diagrams=len(diagrams) > LAZY_DIAGRAMS,
        vpcs=vpcs,
        accounts=accounts if len(accounts) > 1 else [],
        rows_data=Markup(f"rows-{token}"),
        traces=Markup(f"traces-{token}"),
        css=_asset(env, "report.css"),
        js=_asset(env, "report.js"),
    )
    yield from _spliced(page, blocks)


def _spliced(
    page: Iterator[str], blocks: dict[str, Callable[[], Iterator[bytes]]]
) -> Iterator[bytes]:
    """The template's pieces joined a thousand at a time, each block's pieces put where
    its marker stands (in the order the page holds them)."""
    waiting = list(blocks)
    text = ""
    while batch := list(islice(page, 1024)):
        text += "".join(batch)
        while waiting and waiting[0] in text:
            before, text = text.split(waiting[0], 1)
            yield before.encode("utf-8")
            yield from blocks[waiting.pop(0)]()
        yield text.encode("utf-8")
        text = ""
