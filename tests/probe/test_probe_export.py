"""The exported script: one file, standard library only, Python 3.8 syntax, runs with -I -S."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from probe.probe_fakes import FakeImds, TlsServer, imds_data, make_pki, older_pythons
from ssmreach.probe.controller.export import export_script, export_text, script_source

NODE_SOURCE = script_source()  # every node module, joined as the export joins them


def test_the_core_uses_only_the_standard_library() -> None:
    tree = ast.parse(NODE_SOURCE)
    imported = set()
    for item in ast.walk(tree):
        if isinstance(item, ast.Import):
            imported |= {a.name.split(".")[0] for a in item.names}
        elif isinstance(item, ast.ImportFrom) and item.level == 0 and item.module:
            imported.add(item.module.split(".")[0])
    assert imported - {"__future__"} <= sys.stdlib_module_names, imported


def test_the_core_is_python_38_syntax_without_newer_features() -> None:
    tree = ast.parse(NODE_SOURCE, feature_version=(3, 8))
    for item in ast.walk(tree):
        assert not isinstance(item, ast.NamedExpr), "no walrus in the exported file"
        assert not isinstance(item, ast.Match)
    assert "from __future__ import annotations" in NODE_SOURCE
    # calls that Python 3.8 lacks
    for newer in (".removeprefix(", ".removesuffix(", "datetime.UTC", "zoneinfo", "tomllib"):
        assert newer not in NODE_SOURCE, newer
    assert '=}"' not in NODE_SOURCE  # no f-string `=` specifier


def test_export_is_the_core_with_a_header(tmp_path: Path) -> None:
    target = export_script(tmp_path / "probe.py")
    text = target.read_text()
    assert text.startswith("#!/usr/bin/env python3\n# Exported by `ssmreach probe")
    assert text.endswith(script_source().partition("\n")[2])
    assert target.stat().st_mode & 0o111
    assert export_text() == export_text()


def test_exported_script_help_runs_isolated(tmp_path: Path) -> None:
    target = export_script(tmp_path / "probe.py")
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(target), "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "--region" in done.stdout and "--timeout" in done.stdout


@pytest.mark.parametrize("python", [sys.executable, *older_pythons()], ids=lambda p: Path(p).name)
def test_exported_script_full_run_against_loopback_fakes(tmp_path: Path, python: str) -> None:
    pki = make_pki(tmp_path)
    server = TlsServer(pki)
    imds = FakeImds(imds_data())
    target = export_script(tmp_path / "probe.py")
    args = [
        python, "-I", "-S", str(target),
        "--format", "json", "--timeout", "15", "--features", "core,run-command",
        "--imds-url", imds.url, "--resolve", "*=127.0.0.1",
        "--port", str(server.port), "--ca-bundle", str(pki.ca),
        "--expected-issuer", "ssmreach test CA", "--no-agent",
        "--resolv-conf", str(tmp_path / "missing"),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin"},
        )
    finally:
        server.close()
        imds.close()
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["format"] == "ssmreach.probe/1" and doc["verdict"] == "PRIVATE"
    assert doc["node"]["instance"] == "i-0123456789abcdef0"
    assert [s["service"] for s in doc["services"]] == ["ssm", "ssmmessages", "ec2messages"]
    assert all(s["tls"]["verified"] for s in doc["services"])
    from ssmreach.probe.document import probe_document

    assert probe_document(doc).service("ssm") is not None


def test_compressed_output_round_trips(tmp_path: Path) -> None:
    import base64
    import gzip

    target = export_script(tmp_path / "probe.py")
    args = [
        sys.executable, "-I", "-S", str(target), "--compress", "--region", "eu-west-1",
        "--no-imds", "--no-agent", "--resolve", "*=", "--timeout", "5",
        "--resolv-conf", str(tmp_path / "missing"), "--instance-id", "i-0abc",
    ]  # fmt: skip
    done = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1  # nothing resolves: BLOCKED
    doc = json.loads(gzip.decompress(base64.b64decode(done.stdout.strip())))
    assert doc["node"]["instance"] == "i-0abc" and doc["verdict"] == "BLOCKED"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    target = export_script(tmp_path / "probe.py")
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(target), "--no-imds", "--no-agent", "--resolve", "*="],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2 and "--region" in done.stderr


def test_export_refuses_a_folder(tmp_path: Path) -> None:
    from ssmreach.errors import UsageError

    with pytest.raises(UsageError, match="folder"):
        export_script(tmp_path)
