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
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ssmreach import __version__
from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.reasons import BY_CODE
from ssmreach.analysis.verdict import CheckResult, FeatureResult, Verdict, worst
from ssmreach.model.estate import Estate
from ssmreach.report.diagram import VERDICT_COLOUR, vpc_diagrams
from ssmreach.report.diagram_path import service_path
from ssmreach.report.json_report import result_document, result_document_head
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


def _trace_data(result: CheckResult) -> dict[str, Any]:
    """Every result's trace for the page, each distinct list of reasons and of service
    results once (instances of a group share them), so the page stays a fraction of the
    size of one trace per result; report.js puts a result's document back together.
    Each list of service results has its path on the diagrams (`diagram_path.py`)
    under the same key."""
    reason_keys: dict[int, str] = {}
    service_keys: dict[int, str] = {}
    reasons: dict[str, Any] = {}
    services: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    docs: dict[str, Any] = {}
    for r in result.results:
        rkey, skey = reason_keys.get(id(r.reasons)), service_keys.get(id(r.services))
        if rkey is None or skey is None:
            doc = result_document(r)  # only for a list not seen yet
            if rkey is None:
                rkey = reason_keys[id(r.reasons)] = f"r{len(reason_keys)}"
                reasons[rkey] = doc["reasons"]
            if skey is None:
                skey = service_keys[id(r.services)] = f"s{len(service_keys)}"
                services[skey] = doc["services"]
                paths[skey] = [list(step) for step in service_path(r.services)]
        head = {k: v for k, v in result_document_head(r).items() if k != "reasons"}
        docs[f"{r.instance}|{r.feature}"] = {**head, "r": rkey, "s": skey}
    return {"docs": docs, "paths": paths, "reasons": reasons, "services": services}


def render_html(result: CheckResult, estate: Estate, *, all_vpcs: bool = False) -> bytes:
    features = sorted({r.feature for r in result.results}, key=_feature_key)
    rows = _rows(result)
    labels = {row.instance: (row.name or row.instance) for row in rows}
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
    traces = _trace_data(result)
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
    page = template.render(
        version=__version__,
        result=result,
        counts={v.value: result.count(v) for v in VERDICT_ORDER},
        verdicts=[v.value for v in VERDICT_ORDER],
        colours={v.value: c for v, c in VERDICT_COLOUR.items()},
        features=features,
        rows=rows,
        labels=labels,
        findings=findings,
        diagrams=diagrams,
        vpcs=vpcs,
        accounts=accounts if len(accounts) > 1 else [],
        traces=script_json(traces),
        css=_asset(env, "report.css"),
        js=_asset(env, "report.js"),
    )
    return page.encode("utf-8")
