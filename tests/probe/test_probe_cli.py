"""`ssmreach probe` as a click command (tested on the command object itself)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from builders import EstateBuilder, tcp
from probe.probe_fakes import FakeImds, Pki, TlsServer, imds_data, make_pki
from ssmreach.cli.probe_cmd import probe_command


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def server(pki: Pki) -> Iterator[TlsServer]:
    srv = TlsServer(pki)
    yield srv
    srv.close()


def lab_args(server: TlsServer, pki: Pki, *extra: str) -> list[str]:
    return [
        "--no-imds", "--no-agent", "--resolv-conf", "/nonexistent",
        "--resolve", "*=127.0.0.1", "--port", str(server.port), "--ca-bundle", str(pki.ca),
        "--expected-issuer", "ssmreach test CA", "--vpc-cidr", "127.0.0.0/8",
        "--region", "us-east-1", "--instance-id", "i-0abc", *extra,
    ]  # fmt: skip


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(probe_command, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_report(server: TlsServer, pki: Pki) -> None:
    code, out, _ = invoke(*lab_args(server, pki, "--format", "json", "--features", "core"))
    assert code == 0, out
    doc = json.loads(out)
    assert doc["format"] == "ssmreach.probe/1" and doc["verdict"] == "PRIVATE"
    assert [s["service"] for s in doc["services"]] == ["ssm"]


def test_text_report_and_output_file(server: TlsServer, pki: Pki, tmp_path: Path) -> None:
    target = tmp_path / "probe.txt"
    code, out, _ = invoke(*lab_args(server, pki, "--output", str(target), "--service", "sts"))
    assert code == 0 and out == ""
    text = target.read_text()
    assert text.startswith("ssmreach probe on i-0abc (us-east-1)")
    assert "sts          PRIVATE" in text and "ssmmessages  PRIVATE" in text


def test_blocked_service_exits_1(server: TlsServer, pki: Pki) -> None:
    args = lab_args(server, pki, "--features", "core", "--resolve", "ssm.us-east-1.amazonaws.com=")
    code, out, _ = invoke(*args)
    assert code == 1 and "PROBE_DNS_FAILED" in out


def test_snapshot_names_the_endpoint_owning_the_answer(
    server: TlsServer, pki: Pki, tmp_path: Path
) -> None:
    b = EstateBuilder()
    vpc = b.vpc("127.0.0.0/16")
    subnet = b.subnet(vpc, "127.0.0.0/24")
    sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="127.0.0.0/16")])
    endpoint = b.endpoint(vpc, "ssm", [subnet], [sg])  # its ENI gets 127.0.0.10
    snapshot = b.write(tmp_path / "snap")
    args = lab_args(server, pki, "--features", "core", "--format", "json")
    args += ["--snapshot", str(snapshot), "--resolve", "ssm.us-east-1.amazonaws.com=127.0.0.10"]
    other = TlsServer(pki, "127.0.0.10", port=server.port)
    try:
        code, out, _ = invoke(*args)
    finally:
        other.close()
    assert code == 0, out
    ssm = json.loads(out)["services"][0]
    assert ssm["via"] == endpoint and ssm["addresses"][0]["endpoint"] == endpoint
    assert ssm["addresses"][0]["eni"].startswith("eni-")


def test_imds_is_injectable(server: TlsServer, pki: Pki) -> None:
    imds = FakeImds(imds_data("i-0fromimds"))
    args = [
        "--imds-url", imds.url, "--no-agent", "--resolv-conf", "/nonexistent",
        "--resolve", "*=127.0.0.1", "--port", str(server.port), "--ca-bundle", str(pki.ca),
        "--features", "core", "--format", "json",
    ]  # fmt: skip
    try:
        code, out, _ = invoke(*args)
    finally:
        imds.close()
    doc = json.loads(out)
    assert code == 0 and doc["node"]["instance"] == "i-0fromimds"
    assert doc["node"]["region"] == "us-east-1" and doc["verdict"] == "PRIVATE"


def test_export_script(tmp_path: Path) -> None:
    code, _, err = invoke("--export-script", str(tmp_path / "probe.py"))
    assert code == 0 and "wrote" in err
    assert (tmp_path / "probe.py").read_text().startswith("#!/usr/bin/env python3")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--features", "nope", "--no-imds"], "unknown feature"),
        (["--timeout", "0", "--no-imds"], "must be positive"),
        (["--export-script", "x.py", "--via-ssm", "i-0abc"], "do not go together"),
        (["--snapshot", "/nonexistent/snap", "--no-imds"], "/nonexistent/snap"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(probe_command, args)
    assert result.exit_code != 0
    assert message in str(result.exception) or message in result.output


def test_no_region_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    args = ["--no-imds", "--no-agent", "--resolve", "*=", "--registration-file", "/nonexistent"]
    result = CliRunner().invoke(probe_command, args)
    assert "--region" in str(result.exception)
