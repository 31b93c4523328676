"""The streamed JSON report is exactly the `ssmreach.check/1` document."""

from __future__ import annotations

import json

import msgspec

from generated import generate
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import FEATURES
from ssmreach.report.json_report import check_document, iter_json, render_json


def test_streamed_pieces_make_the_plain_document() -> None:
    result = check_estate(generate(120, 9).estate(), CheckOptions(features=FEATURES))
    streamed = json.loads(render_json(result))
    assert streamed == json.loads(msgspec.json.encode(check_document(result)))
    assert len(streamed["results"]) == 120 * len(FEATURES)
    assert {r["verdict"] for r in streamed["results"]} >= {"PRIVATE", "INTERNET", "BLOCKED"}
    assert any(r["reasons"] for r in streamed["results"])


def test_shared_parts_are_encoded_once() -> None:
    result = check_estate(generate(60, 3).estate(), CheckOptions(features=("core",)))
    pieces = list(iter_json(result))
    # One result is two pieces (its own fields, then its services); instances of one
    # group get the very same bytes object for their services from its second on (a
    # tuple met once is not kept).
    services = pieces[2:-1:2]
    assert len(services) == 60
    distinct = len({id(r.services) for r in result.results})
    assert distinct < 30
    assert len({id(p) for p in services}) <= 2 * distinct
