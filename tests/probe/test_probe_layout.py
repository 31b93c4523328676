"""The parts of the probe as the layout shows them: `probe/node/` runs on a node (standard
library only, Python 3.8, small modules by job); `probe/controller/` is what runs it from
ssmreach (the ssmreach model and analysis, botocore)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from ssmreach.probe import node
from ssmreach.probe.controller import build

PROBE_DIR = Path(node.__file__).parent.parent
NODE_DIR = PROBE_DIR / "node"
NODE_FILES = sorted(NODE_DIR.glob("*.py"))
PROBE_FILES = sorted(PROBE_DIR.rglob("*.py"))
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
LONG_REASON = "# long:"  # the comment above a function that must stay longer, and why


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    return [i for i in ast.walk(tree) if isinstance(i, (ast.Import, ast.ImportFrom))]


def _rel(path: Path) -> str:
    return path.relative_to(PROBE_DIR).as_posix()


@pytest.mark.parametrize("path", NODE_FILES, ids=_rel)
def test_node_modules_import_only_the_standard_library_and_each_other(path: Path) -> None:
    siblings = {p.stem for p in NODE_FILES}
    wrong = []
    for item in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(item, ast.ImportFrom) and item.level:
            if item.level != 1 or item.module not in siblings:
                wrong.append(f"line {item.lineno}: from {'.' * item.level}{item.module or ''}")
            continue
        names = [item.module or ""] if isinstance(item, ast.ImportFrom) else []
        names += [a.name for a in item.names] if isinstance(item, ast.Import) else []
        for name in names:
            top = name.split(".")[0]
            if top != "__future__" and top not in sys.stdlib_module_names:
                wrong.append(f"line {item.lineno}: {name}")
    assert wrong == [], f"{_rel(path)} imports more than the standard library: {wrong}"


@pytest.mark.parametrize("path", NODE_FILES, ids=_rel)
def test_node_modules_are_python_38(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 8))
    assert "from __future__ import annotations" in source  # `X | None` annotations on 3.8
    for item in ast.walk(tree):
        assert not isinstance(item, (ast.NamedExpr, ast.Match)), f"{_rel(path)}:{item.lineno}"
    for newer in (".removeprefix(", ".removesuffix(", "datetime.UTC", "zoneinfo", "tomllib"):
        assert newer not in source, f"{_rel(path)}: {newer}"


def test_every_node_module_is_in_the_script() -> None:
    modules = {p.stem for p in NODE_FILES} - {"__init__"}
    assert modules == set(build.MODULES), "add a new node module to build.MODULES"


@pytest.mark.parametrize("path", PROBE_FILES, ids=_rel)
def test_modules_and_functions_stay_small(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{_rel(path)} has {len(lines)} lines"
    for item in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (item.end_lineno or item.lineno) - item.lineno + 1
            first = min([item.lineno, *(d.lineno for d in item.decorator_list)])
            above = lines[first - 2].strip() if first > 1 else ""
            assert length <= MAX_FUNCTION_LINES or above.startswith(LONG_REASON), (
                f"{_rel(path)}:{item.lineno} {item.name} has {length} lines"
            )


CONTROLLER_ONLY = ("ssmreach.model", "ssmreach.analysis", "ssmreach.collect", "boto3", "botocore")


@pytest.mark.parametrize("path", PROBE_FILES, ids=_rel)
def test_what_needs_ssmreach_or_the_aws_sdk_lives_in_the_controller(path: Path) -> None:
    if _rel(path).startswith("controller/"):
        return
    for item in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        names = [item.module or ""] if isinstance(item, ast.ImportFrom) else []
        names += [a.name for a in item.names] if isinstance(item, ast.Import) else []
        for name in names:
            assert not name.startswith(CONTROLLER_ONLY), f"{_rel(path)} imports {name}"


def test_the_node_feature_table_agrees_with_the_analysis_one() -> None:
    """The node probe runs alone and carries its own literal; the builder derives the table
    from NEEDS and refuses to build a script whose literal differs."""
    from ssmreach.probe.controller.build import check_node_features, node_feature_services
    from ssmreach.probe.node import constants

    check_node_features()
    assert {k: set(v) for k, v in constants.FEATURE_SERVICES.items()} == {
        k: set(v) for k, v in node_feature_services().items()
    }


def test_a_drifted_node_feature_table_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from ssmreach.probe.controller import build
    from ssmreach.probe.node import constants

    drifted = {**constants.FEATURE_SERVICES, "core": ("ssm", "ec2")}
    monkeypatch.setattr(constants, "FEATURE_SERVICES", drifted)
    with pytest.raises(build.ScriptBuildError, match=r"differs from analysis/features\.py NEEDS"):
        build.build_script()
