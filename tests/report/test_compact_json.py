"""The compact JSON form: valid against its schema, and the same results as check/1."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from paths import EXAMPLES, ROOT
from ssmreach.analysis.engine import check_estate
from ssmreach.model.reader import load_snapshot
from ssmreach.report.json_report import check_document, iter_compact_json

SCHEMA = json.loads((ROOT / "docs" / "check-compact.schema.json").read_text())


def _compact(name: str, detail: str = "full") -> tuple[dict[str, object], dict[str, object]]:
    result = check_estate(load_snapshot(EXAMPLES / name))
    compact = json.loads(b"".join(iter_compact_json(result, detail=detail)))
    return compact, json.loads(json.dumps(check_document(result)))


def test_expanding_the_traces_gives_the_check_document() -> None:
    for name in ("default-sg-trap", "partly-private"):
        compact, full = _compact(name)
        jsonschema.validate(compact, SCHEMA)
        traces, reason_sets = compact["traces"], compact["reason_sets"]
        services, reasons = compact["service_results"], compact["reason_items"]
        assert isinstance(traces, dict) and isinstance(reason_sets, dict)
        assert isinstance(services, dict) and isinstance(reasons, dict)
        results = compact["results"]
        assert isinstance(results, list)
        expanded = [
            {
                **r,
                "reasons": [reasons[k] for k in reason_sets[r["reasons"]]],
                "services": [services[k] for k in traces[r["services"]]],
            }
            for r in results
        ]
        assert expanded == full["results"]
        assert compact["summary"] == full["summary"]
        assert len(traces) < len(expanded)  # instances of one configuration share one
        # each service result and reason is written once, however many traces hold it
        listed = [k for keys in traces.values() for k in keys]
        assert set(listed) == set(services) and len(services) <= len(listed)
        assert len(set(json.dumps(s, sort_keys=True) for s in services.values())) == len(services)


def test_detail_failing_leaves_out_the_traces_of_private_results() -> None:
    compact, _ = _compact("default-sg-trap", "failing")
    jsonschema.validate(compact, SCHEMA)
    results = compact["results"]
    assert isinstance(results, list)
    assert all((r["services"] is None) == (r["verdict"] == "PRIVATE") for r in results)


def test_the_schema_file_is_where_the_docs_say() -> None:
    assert (ROOT / "docs" / "compact-json.md").read_text().count("check-compact.schema.json")
    assert isinstance(SCHEMA, dict) and Path(ROOT / "docs").is_dir()
