"""`ssmreach check` and `plan` on a snapshot folder with an IPv6-only subnet: the codes,
the schema, the exit codes and the plan's dual-stack endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from analysis.test_ipv6 import _endpoints, _estate, _node
from paths import DATA
from ssmreach.cli.app import cli

SCHEMA = json.loads((DATA / "check-output.schema.json").read_text())


def _check(folder: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(folder), "--format", "json", "--feature", "core"]
    )
    return result.exit_code, json.loads(result.stdout)


def test_an_ipv4_endpoint_blocks_the_ipv6_only_node(tmp_path: Path) -> None:
    e = _estate()
    _endpoints(e, "ipv4")
    _node(e)
    e.b.write(tmp_path / "snap")
    code, doc = _check(tmp_path / "snap")
    jsonschema.validate(doc, SCHEMA)
    assert code == 1
    results = doc["results"]
    assert isinstance(results, list)
    reasons = {r["code"] for r in results[0]["reasons"]}
    assert results[0]["verdict"] == "BLOCKED" and "ENDPOINT_IPV4_ONLY" in reasons


def test_dualstack_endpoints_are_private_and_the_plan_makes_them(tmp_path: Path) -> None:
    e = _estate()
    _endpoints(e, "dualstack")
    _node(e)
    e.b.write(tmp_path / "good")
    code, doc = _check(tmp_path / "good")
    assert code == 0 and doc["summary"]["verdicts"]["PRIVATE"] == 1  # type: ignore[index]
    bare = _estate()
    _node(bare)
    bare.b.write(tmp_path / "bare")
    result = CliRunner().invoke(
        cli, ["plan", "--snapshot", str(tmp_path / "bare"), "--format", "json", "--feature", "core"]
    )
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    created = [c for c in plan["changes"] if c["type"] == "CreateInterfaceEndpoint"]
    assert created and {c["ip_address_type"] for c in created} == {"dualstack"}
