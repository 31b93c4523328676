"""`check --sites FILE`: a broken file is exit 2 on one line before anything is read; a good
one places each hybrid node in its site, on one stderr line, and changes no verdict."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import msgspec
from click.testing import CliRunner

from builders import EstateBuilder
from ssmreach.cli.app import cli
from ssmreach.model.raw import OperationKey, RawOk, write_raw_snapshot

SITES = """
sites:
  - name: dc-frankfurt
    cidrs: [10.200.0.0/16]
"""


def _snapshot(folder: Path) -> Path:
    b = EstateBuilder()
    vpc = b.vpc("10.1.0.0/16")
    b.instance("web", b.subnet(vpc, "10.1.1.0/24"), [b.sg(vpc, "app")], b.role("r"))
    raw = b.raw()
    key = OperationKey(b.account, b.region, "ssm", "DescribeInstanceInformation")
    info = msgspec.json.decode(raw.files[key].body)  # type: ignore[union-attr]
    info["InstanceInformationList"] += [
        {
            "InstanceId": "mi-0123456789abcdef0",
            "ResourceType": "ManagedInstance",
            "IPAddress": "10.200.1.5",
        },
        {
            "InstanceId": "mi-0123456789abcdef1",
            "ResourceType": "ManagedInstance",
            "IPAddress": "192.168.9.9",
        },
    ]
    files = {**raw.files, key: RawOk(msgspec.json.encode(info))}
    write_raw_snapshot(dataclasses.replace(raw, files=files), folder)
    return folder


def test_a_good_file_places_the_hybrid_nodes_and_changes_no_verdict(tmp_path: Path) -> None:
    snap = str(_snapshot(tmp_path / "snap"))
    sites = tmp_path / "sites.yaml"
    sites.write_text(SITES)
    runner = CliRunner()
    without = runner.invoke(cli, ["check", "--snapshot", snap, "--format", "json"])
    with_sites = runner.invoke(
        cli, ["check", "--snapshot", snap, "--format", "json", "--sites", str(sites)]
    )
    assert with_sites.exit_code == without.exit_code == 1  # the instance is BLOCKED
    assert with_sites.stdout == without.stdout
    [line] = with_sites.stderr.splitlines()
    assert line.startswith(
        f"sites: {sites}, 1 site; 2 hybrid nodes, 1 in dc-frankfurt, 1 in no site"
    )
    assert "mi-0123456789abcdef1: 192.168.9.9 is in none of the 1 declared sites' CIDRs" in line
    assert line.endswith("hybrid nodes get no verdicts yet (docs/hybrid.md)")


def test_a_broken_file_is_exit_2_on_one_line(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - name: a\n    cidrs: [10.0.0.1/8]\n")
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(tmp_path / "none"), "--sites", str(sites)]
    )
    assert result.exit_code == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {sites}: sites[0] (a).cidrs[0]: '10.0.0.1/8' is not a CIDR")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--sites", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.yaml'}: cannot be read" in result.stderr


def test_the_unchecked_hybrid_nodes_are_an_estate_finding(tmp_path: Path) -> None:
    snap = str(_snapshot(tmp_path / "snap"))
    result = CliRunner().invoke(cli, ["check", "--snapshot", snap, "--format", "json"])
    assert result.exit_code == 1  # the instance is BLOCKED; the finding is info
    assert result.stderr == ""
    [finding] = [
        f
        for f in json.loads(result.stdout)["estate_findings"]
        if f["code"] == "HYBRID_NODES_NOT_CHECKED"
    ]
    assert finding["severity"] == "info"
    assert finding["message"].startswith(
        "2 hybrid nodes (mi-0123456789abcdef0, mi-0123456789abcdef1) not checked"
    )
    text = CliRunner().invoke(cli, ["check", "--snapshot", snap])
    assert "HYBRID_NODES_NOT_CHECKED" in text.stdout


def test_asking_for_a_hybrid_node_says_what_it_is(tmp_path: Path) -> None:
    snap = str(_snapshot(tmp_path / "snap"))
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", snap, "--instance", "mi-0123456789abcdef0"]
    )
    assert result.exit_code == 2
    assert "mi-0123456789abcdef0 is a hybrid node" in result.stderr
    assert "not in the snapshot" not in result.stderr
