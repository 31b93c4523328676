"""SARIF 2.1.0: valid against the official schema, and what code scanning needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from report.report_cases import Case
from ssmreach import __version__
from ssmreach.analysis.reasons import CATALOGUE
from ssmreach.analysis.verdict import Severity
from ssmreach.report.sarif import FINGERPRINT_KEY, information_uri, render_sarif

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def sarif(case: Case) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render_sarif(case.result))
    return doc


def test_the_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


def test_valid_against_the_schema(
    any_case: Case, validator: jsonschema.protocols.Validator
) -> None:
    doc = sarif(any_case)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert doc["version"] == "2.1.0"


def test_tool_and_one_rule_per_catalogue_code(default_sg_trap: Case) -> None:
    driver = sarif(default_sg_trap)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "ssmreach"
    assert driver["version"] == __version__
    assert driver.get("informationUri") == information_uri()
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [e.code for e in CATALOGUE]
    by_id = {r["id"]: r for r in rules}
    for entry in CATALOGUE:
        rule = by_id[entry.code]
        assert rule["fullDescription"]["text"] == entry.meaning
        assert rule["help"]["text"] == entry.fix
        assert rule["shortDescription"]["text"]
    assert by_id["SG_INGRESS_DENIED"]["defaultConfiguration"]["level"] == "error"
    assert by_id["ENDPOINT_MISSING"]["defaultConfiguration"]["level"] == "error"
    assert by_id["DATA_MISSING"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["INTERNET_PATH"]["defaultConfiguration"]["level"] == "note"


def test_one_result_per_instance_feature_reason(any_case: Case) -> None:
    run = sarif(any_case)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    expected = {
        (r.instance, r.feature, x.code, x.resource, x.message, x.fix)
        for r in any_case.result.results
        for x in r.reasons
    }
    got = set()
    for res in run["results"]:
        props = res["properties"]
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        got.add(
            (
                props["instance"],
                props["feature"],
                res["ruleId"],
                props["blockingResource"],
                res["message"]["text"],
            )
        )
    assert {(i, f, c, r) for i, f, c, r, _ in got} == {e[:4] for e in expected}
    assert len(run["results"]) == len(expected)


def test_sg_trap_results_name_the_default_group_and_the_fix(default_sg_trap: Case) -> None:
    run = sarif(default_sg_trap)["runs"][0]
    web = next(r for r in default_sg_trap.result.results if r.name == "web")
    sg = next(x.resource for x in web.reasons if x.code == "SG_INGRESS_DENIED")
    hits = [r for r in run["results"] if r["ruleId"] == "SG_INGRESS_DENIED"]
    assert {r["properties"]["instanceName"] for r in hits} == {"web"}
    assert len({r["properties"]["feature"] for r in hits}) == 5
    for r in hits:
        assert r["level"] == "error"
        assert r["properties"]["blockingResource"] == sg
        assert "Fix: Give vpce-" in r["message"]["text"]


def test_levels_follow_severity(partly_private: Case) -> None:
    run = sarif(partly_private)["runs"][0]
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert ("ENDPOINT_MISSING", "warning") in levels
    assert ("INTERNET_PATH", "note") in levels
    reasons = {x.code: x.severity for r in partly_private.result.results for x in r.reasons}
    assert reasons["INTERNET_PATH"] is Severity.INFO


def test_locations_for_code_scanning(spoke_case: Case) -> None:
    run = sarif(spoke_case)["runs"][0]
    assert run["results"]
    for res in run["results"]:
        props = res["properties"]
        (loc,) = res["locations"]
        phys = loc["physicalLocation"]
        uri = phys["artifactLocation"]["uri"]
        assert uri == f"ssmreach/{props['account']}/{props['region']}/{props['instance']}"
        assert "://" not in uri  # code scanning shows relative URIs only
        assert phys["region"]["startLine"] == 1
        kinds = [x["kind"] for x in loc["logicalLocations"]]
        assert kinds == ["account", "region", "vpc", "subnet", "instance"]
        fqn = loc["logicalLocations"][-1]["fullyQualifiedName"]
        assert fqn == "/".join(
            (props["account"], props["region"], props["vpc"], props["subnet"], props["instance"])
        )
        for ref in loc["logicalLocations"]:
            assert (
                run["logicalLocations"][ref["index"]]["fullyQualifiedName"]
                == ref["fullyQualifiedName"]
            )
        assert res["message"]["text"].strip()


def test_fingerprints_are_stable_and_distinct(spoke_case: Case) -> None:
    first = sarif(spoke_case)["runs"][0]["results"]
    again = json.loads(render_sarif(spoke_case.result))["runs"][0]["results"]
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in first]
    assert prints == [r["partialFingerprints"][FINGERPRINT_KEY] for r in again]
    assert len(set(prints)) == len(prints)


def test_hostile_names_stay_data(spoke_case: Case) -> None:
    text = render_sarif(spoke_case.result).decode()
    doc = json.loads(text)
    names = {r["properties"]["instanceName"] for r in doc["runs"][0]["results"]}
    assert any(n and "<script>" in n for n in names)  # JSON keeps the string as it is


def test_the_streamed_document_is_the_built_one() -> None:
    import json as _json

    from paths import EXAMPLES as _EXAMPLES
    from ssmreach.analysis.engine import check_estate as _check
    from ssmreach.model.reader import load_snapshot as _load
    from ssmreach.report.sarif import iter_sarif, sarif_document

    for name in ("default-sg-trap", "partly-private"):
        result = _check(_load(_EXAMPLES / name))
        assert _json.loads(b"".join(iter_sarif(result))) == _json.loads(
            _json.dumps(sarif_document(result))
        )


def test_information_uri_is_the_declared_homepage_or_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from email.message import Message
    from importlib import metadata

    declared = Message()
    declared["Project-URL"] = "Documentation, https://docs.example.org/ssmreach"
    monkeypatch.setattr(metadata, "metadata", lambda name: declared)
    assert information_uri() is None  # no Homepage: left out, never a page of someone else
    declared["Project-URL"] = "Homepage, https://ssmreach.example.org/"
    assert information_uri() == "https://ssmreach.example.org/"
