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
from ssmreach.report.json_report import (
    reasons_document,
    services_document,
)
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


_CHUNK = {"docs": 2000, "paths": 500, "reasons": 500, "services": 50}
"""Entries of each trace table encoded at a time (a list of service results holds its
whole hop trace)."""


class _Traces:
    """Every result's trace for the page, each distinct list of reasons and of service
    results once (instances of a group share them), so the page stays a fraction of the
    size of one trace per result; report.js puts a result's document back together.
    Each list of service results has its path on the diagrams (`diagram_path.py`)
    under the same key.

    The keys are given in one pass over the results; the JSON (as `script_json` writes
    it: keys sorted) is then encoded a few thousand entries at a time, from the results,
    so that no table of documents is held whole."""

    def __init__(self, result: CheckResult) -> None:
        self.reason_keys: dict[int, str] = {}
        self.service_keys: dict[int, str] = {}
        self.reasons: dict[str, FeatureResult] = {}  # key: the first result holding it
        self.services: dict[str, FeatureResult] = {}
        self.docs: dict[str, FeatureResult] = {}
        for r in result.results:
            if id(r.reasons) not in self.reason_keys:
                key = self.reason_keys[id(r.reasons)] = f"r{len(self.reason_keys)}"
                self.reasons[key] = r
            if id(r.services) not in self.service_keys:
                key = self.service_keys[id(r.services)] = f"s{len(self.service_keys)}"
                self.services[key] = r
            self.docs[f"{r.instance}|{r.feature}"] = r
        self.encoder = msgspec.json.Encoder(order="sorted")

    def _doc(self, r: FeatureResult) -> dict[str, Any]:
        """`result_document_head` without its reasons, with the keys of its lists."""
        doc: dict[str, Any] = {
            "instance": r.instance,
            "account": r.account,
            "region": r.region,
            "vpc": r.vpc,
            "subnet": r.subnet,
            "name": r.name,
            "state": r.state,
            "feature": r.feature,
            "verdict": r.verdict.value,
            "r": self.reason_keys[id(r.reasons)],
            "s": self.service_keys[id(r.services)],
        }
        if r.accepted:
            doc["accepted"] = [msgspec.structs.asdict(a) for a in r.accepted]
        return doc

    def _table(
        self, name: str, table: dict[str, FeatureResult], value: Callable[[FeatureResult], Any]
    ) -> Iterator[bytes]:
        keys = sorted(table)
        yield self.encoder.encode(name) + b":{"
        size = _CHUNK[name]
        for start in range(0, len(keys), size):
            part = {key: value(table[key]) for key in keys[start : start + size]}
            yield (b"," if start else b"") + _script_safe(self.encoder.encode(part)[1:-1])
        yield b"}"

    def pieces(self) -> Iterator[bytes]:
        """The `script_json` of the trace data, in pieces."""
        yield b"{"
        yield from self._table("docs", self.docs, self._doc)
        yield b","
        yield from self._table(
            "paths", self.services, lambda r: [list(step) for step in service_path(r.services)]
        )
        yield b","
        yield from self._table("reasons", self.reasons, lambda r: reasons_document(r.reasons))
        yield b","
        yield from self._table("services", self.services, lambda r: services_document(r.services))
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
    trace data encoded piece by piece where the template places it."""
    features = sorted({r.feature for r in result.results}, key=_feature_key)
    rows = _rows(result)
    labels = {row.instance: (row.name or row.instance) for row in rows}
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
    marker = f"traces-{secrets.token_hex(16)}"
    page = template.generate(
        version=__version__,
        result=result,
        counts={v.value: result.count(v) for v in VERDICT_ORDER},
        verdicts=[v.value for v in VERDICT_ORDER],
        colours={v.value: c for v, c in VERDICT_COLOUR.items()},
        features=features,
        rows=rows,
        labels=labels,
        findings=_findings(result, labels),
        diagrams=diagrams,
        vpcs=vpcs,
        accounts=accounts if len(accounts) > 1 else [],
        traces=Markup(marker),
        css=_asset(env, "report.css"),
        js=_asset(env, "report.js"),
    )
    yield from _spliced(page, marker, lambda: _Traces(result).pieces())


def _spliced(
    page: Iterator[str], marker: str, traces: Callable[[], Iterator[bytes]]
) -> Iterator[bytes]:
    """The template's pieces joined a thousand at a time, with the traces put where
    the marker stands."""
    waiting = True
    while batch := list(islice(page, 1024)):
        text = "".join(batch)
        if waiting and marker in text:
            before, after = text.split(marker, 1)
            yield before.encode("utf-8")
            yield from traces()
            text, waiting = after, False
        yield text.encode("utf-8")
