"""The import rules between the parts of ssmreach (ARCHITECTURE.md): read from the source.

A part may import only the parts listed for it; boto3 and botocore only where AWS is
called. An arrow that is not allowed fails this test, naming the file and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

from paths import ROOT

SRC = ROOT / "src" / "ssmreach"

# part -> the parts it may import (besides itself, `errors` and the package root).
ALLOWED: dict[str, frozenset[str]] = {
    "model": frozenset(),
    "policy": frozenset({"model"}),
    "pricing": frozenset(),
    "analysis": frozenset({"model", "policy", "pricing", "probe"}),
    "plan": frozenset({"analysis", "model", "policy", "pricing"}),
    "report": frozenset({"analysis", "model", "plan"}),
    "export": frozenset({"model", "plan"}),
    "collect": frozenset({"model"}),
    "permissions": frozenset({"collect", "plan"}),
    "apply": frozenset({"analysis", "collect", "model", "plan"}),
    "probe": frozenset({"analysis", "model", "collect"}),
    "demo": frozenset({"analysis", "apply", "collect", "model", "plan", "report"}),
    "preview": frozenset({"model"}),
    "cli": frozenset(
        {
            "analysis",
            "apply",
            "collect",
            "demo",
            "export",
            "model",
            "permissions",
            "plan",
            "policy",
            "preview",
            "pricing",
            "probe",
            "report",
        }
    ),
    "__main__": frozenset({"cli"}),
    "__init__": frozenset(),
    "errors": frozenset(),
}
ALWAYS = frozenset({"errors", "ssmreach"})

# Narrower than the part: what analysis may take from the probe part (the document format
# only), and who may talk to AWS through boto3/botocore.
ANALYSIS_FROM_PROBE = frozenset({"ssmreach.probe.document"})
AWS_SDK_USERS = ("collect/", "apply/", "probe/controller/", "demo/")
AWS_SDK_DEBT = frozenset({"cli/probe_cmd.py"})  # builds the Run Command client: to move


def _part(path: Path) -> str:
    rel = path.relative_to(SRC).parts
    return rel[0] if len(rel) > 1 else rel[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_parts_import_only_what_the_architecture_allows() -> None:
    wrong: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        part = _part(path)
        allowed = ALLOWED.get(part)
        assert allowed is not None, f"{path}: part {part!r} has no rule in ALLOWED"
        for module in _imports(path):
            if not module.startswith("ssmreach"):
                continue
            names = module.split(".")
            target = names[1] if len(names) > 1 else "ssmreach"
            if target == part or target in ALWAYS:
                continue
            if target not in allowed:
                wrong.append(f"{path.relative_to(SRC)}: {part} -> {module}")
            elif part == "analysis" and target == "probe" and module not in ANALYSIS_FROM_PROBE:
                wrong.append(f"{path.relative_to(SRC)}: analysis may read only the probe format")
    assert not wrong, wrong


def test_only_the_parts_that_call_aws_import_the_aws_sdk() -> None:
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(AWS_SDK_USERS) or rel in AWS_SDK_DEBT:
            continue
        for module in _imports(path):
            if module.split(".")[0] in ("boto3", "botocore"):
                wrong.append(f"{rel}: imports {module}")
    assert not wrong, wrong


def test_every_part_has_a_rule_and_every_rule_a_part() -> None:
    parts = {_part(p) for p in SRC.rglob("*.py")} - {"__init__"}
    assert parts <= set(ALLOWED) | ALWAYS, parts - set(ALLOWED)


MODULE_LINES = 600
FUNCTION_LINES = 80
LARGE_ON_PURPOSE: dict[str, str] = {
    "src/ssmreach/model/aws.py": "the AWS shapes the snapshot decodes into, one small frozen "
    "struct per API record; split, a record's fields would be looked for in several files",
}
"""Modules allowed over MODULE_LINES, each with its reason (functions have none)."""


def _function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from `def` to the end, not counting the docstring (click help texts are long)."""
    lines = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0] if node.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        lines -= (first.end_lineno or first.lineno) - first.lineno + 1
    return lines


def test_modules_and_functions_stay_small() -> None:
    """No module over 600 lines (without a written reason) and no function over 80."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        if len(text.splitlines()) > MODULE_LINES and rel not in LARGE_ON_PURPOSE:
            found.append(f"{rel}: {len(text.splitlines())} lines (split it by job)")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if (n := _function_lines(node)) > FUNCTION_LINES:
                found.append(f"{rel}:{node.lineno} {node.name}: {n} lines")
    assert not found, "\n".join(found)
    for rel in LARGE_ON_PURPOSE:
        assert (ROOT / rel).is_file(), f"{rel} is gone: drop it from LARGE_ON_PURPOSE"
