"""The exported script is built from the node modules: one file, standard library only,
the catalogue's fix sentences, and the same functions and fixes as `ssmreach probe`."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from probe.probe_fakes import Pki, TlsServer, make_pki, older_pythons
from ssmreach.analysis.reasons import CATALOGUE
from ssmreach.cli.probe_cmd import probe_command
from ssmreach.probe import node
from ssmreach.probe.controller import build, inprocess
from ssmreach.probe.controller.build import ScriptBuildError, build_script, node_fixes
from ssmreach.probe.controller.export import export_script
from ssmreach.probe.node import cli, constants, run

NODE_DIR = Path(node.__file__).parent
FUTURE = "__future__"
PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY")


def imported_modules(tree: ast.AST) -> set[str]:
    """Top-level names of every module a tree imports, anywhere (relative imports: '.')."""
    found: set[str] = set()
    for item in ast.walk(tree):
        if isinstance(item, ast.Import):
            found |= {alias.name.split(".")[0] for alias in item.names}
        elif isinstance(item, ast.ImportFrom):
            found.add("." if item.level else (item.module or "").split(".")[0])
    return found


@pytest.fixture(scope="module")
def script() -> str:
    return build_script()


def test_the_script_compiles_and_is_one_module_with_one_import_block(script: str) -> None:
    compile(script, "ssmreach-probe.py", "exec")
    tree = ast.parse(script, feature_version=(3, 8))
    body = tree.body[1:]  # after the docstring
    assert isinstance(body[0], ast.ImportFrom) and body[0].module == FUTURE
    imports = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]
    assert body[: len(imports)] == imports, "imports only at the top"
    assert sum(isinstance(s, ast.ImportFrom) and s.module == FUTURE for s in body) == 1
    guards = [s for s in body if isinstance(s, ast.If) and ast.unparse(s.test) == "TYPE_CHECKING"]
    assert len(guards) == 1 and body.index(guards[0]) == len(imports)
    assert script.startswith("#!/usr/bin/env python3\n")
    assert script.endswith('\n\nif __name__ == "__main__":\n    sys.exit(main())\n')


def test_the_script_imports_only_the_standard_library(script: str) -> None:
    imported = imported_modules(ast.parse(script))
    assert "." not in imported and "ssmreach" not in imported
    assert imported - {FUTURE} <= sys.stdlib_module_names, imported - sys.stdlib_module_names


def test_the_script_defines_every_function_of_the_node_modules_once(script: str) -> None:
    tree = ast.parse(script)
    names = [s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.ClassDef))]
    assert len(names) == len(set(names))
    for path in NODE_DIR.glob("*.py"):
        for item in ast.parse(path.read_text()).body:
            if isinstance(item, (ast.FunctionDef, ast.ClassDef)):
                assert item.name in names, f"{path.name}: {item.name} is not in the script"


@pytest.mark.parametrize("python", [sys.executable, *older_pythons()], ids=lambda p: Path(p).name)
def test_the_script_help_runs_and_loads_only_the_standard_library(
    tmp_path: Path, python: str
) -> None:
    target = export_script(tmp_path / "probe.py")
    done = subprocess.run(
        [python, "-I", "-S", str(target), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ssmreach-probe") and "--region" in done.stdout
    # what is loaded while it runs: only the interpreter's own modules
    watch = (
        "import runpy, sys\n"
        "sys.argv = [sys.argv[1], '--help']\n"
        "try:\n"
        "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "names = getattr(sys, 'stdlib_module_names', None)\n"
        "files = [getattr(m, '__file__', None) for m in list(sys.modules.values())]\n"
        "others = [m for m in sys.modules if names and m.split('.')[0] not in names]\n"
        "sys.stderr.write(repr((sys.base_prefix, [f for f in files if f], others)))\n"
    )
    done = subprocess.run(
        [python, "-I", "-S", "-c", watch, str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    base, files, others = ast.literal_eval(done.stderr)
    assert [f for f in files if not f.startswith(base)] == []
    assert set(others) <= {"__main__"}, others  # Python 3.10+: sys.stdlib_module_names


def test_the_script_holds_the_catalogue_fixes_for_the_codes_the_node_raises(script: str) -> None:
    [assignment] = [
        s
        for s in ast.parse(script).body
        if isinstance(s, ast.AnnAssign) and ast.unparse(s.target) == "FIXES"
    ]
    assert assignment.value is not None
    fixes = ast.literal_eval(assignment.value)
    by_code = {entry.code: entry.fix for entry in CATALOGUE}
    assert fixes == {code: by_code[code] for code in constants.REASON_CODES}
    assert fixes == node_fixes()
    assert constants.FIXES == {}, "the package holds no copy of the fix sentences"


def test_in_process_runs_the_node_functions_with_the_same_fixes() -> None:
    assert inprocess.run_probe is run.run_probe is node.run_probe
    assert inprocess.render_text is node.render_text and inprocess.dump_json is node.dump_json
    assert issubclass(inprocess.ProbeConfig, node.ProbeConfig)
    assert inprocess.ProbeConfig().fixes == node_fixes()
    assert node.ProbeConfig().fixes == {}
    assert cli.main is node.main


def _code_argument(call: ast.Call) -> ast.expr | None:
    """The code of `reason(code, ...)` or of `self.fail(step, resource, code, detail)`."""
    if isinstance(call.func, ast.Name) and call.func.id == "reason" and call.args:
        return call.args[0]
    if isinstance(call.func, ast.Attribute) and call.func.attr == "fail" and len(call.args) > 2:
        return call.args[2]
    return None


def _codes_raised() -> set[str]:
    """Every literal code the node modules raise, and the log patterns' codes."""
    found = {code for _, code in constants.LOG_PATTERNS}
    for path in NODE_DIR.glob("*.py"):
        for item in ast.walk(ast.parse(path.read_text())):
            code = _code_argument(item) if isinstance(item, ast.Call) else None
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                found.add(code.value)
            elif code is not None:
                # computed: a log finding's code (LOG_PATTERNS), or fail()'s own parameter
                assert ast.unparse(code) in ("finding['code']", "code"), path.name
    return found


def test_every_code_the_node_raises_is_in_the_catalogue() -> None:
    raised = _codes_raised()
    assert raised >= {"PROBE_DNS_FAILED", "EGRESS_UNMODELED", "CLOCK_SKEW"}  # the scan works
    catalogue = {entry.code for entry in CATALOGUE}
    assert raised - catalogue == set(), "codes the catalogue lacks"
    assert raised == set(constants.REASON_CODES), "REASON_CODES lists what the node raises"
    assert len(constants.REASON_CODES) == len(set(constants.REASON_CODES))


def test_a_code_missing_from_the_catalogue_stops_the_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(build, "REASON_CODES", (*constants.REASON_CODES, "NOT_A_CODE"))
    with pytest.raises(ScriptBuildError, match="NOT_A_CODE"):
        build_script()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from __future__ import annotations\nimport boto3\n", "not the standard library"),
        ("from __future__ import annotations\nfrom . import dns\n", "only `from .<node module>"),
        ("from __future__ import annotations\nfrom .dns import x as y\n", "`as`"),
        ("from ssmreach.probe.node.dns import address_kind\n", "only `from .<node module>"),
        ("def f():\n    from .dns import address_kind\n", "belong at the top"),
        ("def f():\n    import msgspec\n", "not the standard library"),
        ("from __future__ import division\n", "only `from __future__ import annotations`"),
    ],
)
def test_what_would_not_survive_the_joining_stops_the_build(source: str, message: str) -> None:
    with pytest.raises(ScriptBuildError, match=re.escape(message)):
        build.parse_module("example", source)


def test_a_name_defined_twice_or_a_later_import_stops_the_build() -> None:
    first = build.parse_module("constants", "X = 1\n")
    again = build.parse_module("deadline", "X = 2\n")
    with pytest.raises(
        ScriptBuildError, match=re.escape("X is defined in constants.py and deadline.py")
    ):
        build._check_joinable([first, again])
    later = build.parse_module("constants", "from .dns import address_kind\n")
    dns = build.parse_module("dns", "def address_kind():\n    pass\n")
    with pytest.raises(ScriptBuildError, match="which comes later"):
        build._check_joinable([later, dns])


# --- the exported script and `ssmreach probe` give the same document ------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _stable(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without what changes from one run to the next (times, the interpreter)."""
    for key in ("started", "seconds", "python"):
        doc["probe"].pop(key)
    doc["node"].pop("clock")
    for service in doc["services"]:
        for key in ("date", "skew_seconds"):
            (service["http"] or {}).pop(key, None)
        (service["tls"] or {}).pop("days_left", None)
    return doc


def test_the_exported_script_and_the_command_give_the_same_document(
    tmp_path: Path, pki: Pki
) -> None:
    server = TlsServer(pki)
    args = [
        "--format", "json", "--no-imds", "--no-agent", "--region", "us-east-1",
        "--resolv-conf", str(tmp_path / "missing"), "--resolve", "ssm.us-east-1.amazonaws.com=",
        "--resolve", "*=127.0.0.1", "--public-cidr", "127.0.0.0/8", "--features", "all",
        "--port", str(server.port), "--ca-bundle", str(pki.ca),
        "--expected-issuer", "ssmreach test CA", "--instance-id", "i-0abc",
    ]  # fmt: skip
    target = export_script(tmp_path / "probe.py")
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(target), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
        )
        no_proxy = {name: None for name in PROXY_VARIABLES}
        result = CliRunner().invoke(probe_command, args, env=no_proxy)
    finally:
        server.close()
    assert done.returncode == 1 and result.exit_code == 1, done.stderr
    exported, in_process = json.loads(done.stdout), json.loads(result.stdout)
    assert _stable(exported) == _stable(in_process)
    fixes = {r["code"]: r["fix"] for s in exported["services"] for r in s["reasons"]}
    assert fixes.keys() >= {"PROBE_DNS_FAILED", "INTERNET_PATH", "EGRESS_UNMODELED"}
    assert fixes == {code: node_fixes()[code] for code in fixes}
