"""The exported probe: the node modules (`ssmreach.probe.node`) joined into one script.

The node part is small standard-library modules, one per job, that import one another.
A node without ssmreach needs one file, so this joins them in dependency order
(`MODULES`): the imports between them are dropped, their standard-library imports become
one block at the top (one `from __future__`, one `if TYPE_CHECKING:`), the empty `FIXES`
placeholder becomes a literal of the reason catalogue's fix sentences for the codes the
node raises (`node_fixes()`, which `ssmreach probe` passes in process too), and a
`__main__` guard ends the file. Anything that would not survive the joining (a name two
modules define, an import of a later module, `from . import module`, an import that is
not the standard library's) stops the build with `ScriptBuildError`.
"""

from __future__ import annotations

import ast
import json
import sys
import textwrap
from dataclasses import dataclass, field
from importlib import resources

from ssmreach.analysis.features import DEFAULT_FEATURES, FEATURES, NEEDS
from ssmreach.analysis.reasons import CATALOGUE
from ssmreach.probe.node import constants as node_constants
from ssmreach.probe.node.constants import REASON_CODES

NODE_PACKAGE = "ssmreach.probe.node"
# Dependency order: each module imports (at run time) only modules before it.
MODULES = (
    "constants",
    "deadline",
    "helpers",
    "dns",
    "config",
    "proxy",
    "imds",
    "agent",
    "service",
    "findings",
    "run",
    "output",
    "cli",
)
SHEBANG = "#!/usr/bin/env python3"
TYPE_CHECKING_LINE = "if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8"
MAIN_GUARD = 'if __name__ == "__main__":\n    sys.exit(main())\n'


class ScriptBuildError(RuntimeError):
    """The node modules cannot be joined into one script (a programming error)."""


@dataclass
class _Imports:
    """Standard-library imports: `import x` names and `from x import names`, by module."""

    plain: set[str] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=dict)

    def add(self, statement: ast.Import | ast.ImportFrom, where: str) -> None:
        for alias in statement.names:
            if alias.asname:
                raise ScriptBuildError(f"{where}: `as` in a standard-library import")
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                _require_stdlib(alias.name, where)
                self.plain.add(alias.name)
            return
        module = statement.module or ""
        _require_stdlib(module, where)
        self.names.setdefault(module, set()).update(a.name for a in statement.names)

    def lines(self, indent: str = "", skip: _Imports | None = None) -> list[str]:
        plain = sorted(self.plain - (skip.plain if skip else set()))
        out = [f"{indent}import {name}" for name in plain]
        for module in sorted(self.names):
            names = self.names[module] - (skip.names.get(module, set()) if skip else set())
            if names:
                out.append(f"{indent}from {module} import {', '.join(sorted(names, key=_by_type))}")
        return out


@dataclass
class _Module:
    name: str
    doc: str  # its docstring, a comment in the script
    body: str
    defines: set[str]
    siblings: dict[str, set[str]]  # run-time imports of sibling modules: module -> names
    runtime: _Imports
    typing: _Imports
    aliases: list[str]  # assignments under `if TYPE_CHECKING:` (type aliases)


def _by_type(name: str) -> tuple[int, str]:
    """isort's order inside one `from` import: CONSTANTS, Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def _require_stdlib(module: str, where: str) -> None:
    top = module.split(".")[0]
    if top != "__future__" and top not in sys.stdlib_module_names:
        raise ScriptBuildError(f"{where}: imports {module}, not the standard library")


def node_fixes() -> dict[str, str]:
    """The catalogue's fix sentence for every reason code the node raises."""
    by_code = {entry.code: entry for entry in CATALOGUE}
    missing = [code for code in REASON_CODES if code not in by_code]
    if missing:
        raise ScriptBuildError(f"the node raises codes the catalogue lacks: {missing}")
    return {code: by_code[code].fix for code in REASON_CODES}


def node_feature_services() -> dict[str, tuple[str, ...]]:
    """What the node probe tests per feature, from the analysis table `NEEDS` (the one
    home of what a feature needs): its services, both message channels where it uses one,
    and what the Session Manager preferences may add (S3, KMS, CloudWatch Logs)."""
    table: dict[str, tuple[str, ...]] = {}
    for name in FEATURES:
        needs = NEEDS[name]
        wanted = list(needs.services)
        if needs.channel:
            wanted += ["ssmmessages", "ec2messages"]
        if needs.preferences:
            wanted += ["kms", "logs", "s3"]
        table[name] = tuple(dict.fromkeys(wanted))
    return table


def check_node_features() -> None:
    """The node script runs alone (standard library only, and in process), so it carries the
    feature table as a literal; building it refuses a literal that is not `NEEDS`."""
    node = {k: set(v) for k, v in node_constants.FEATURE_SERVICES.items()}
    wanted = {k: set(v) for k, v in node_feature_services().items()}
    if node != wanted or node_constants.DEFAULT_FEATURES != DEFAULT_FEATURES:
        raise ScriptBuildError(
            "probe/node/constants.py FEATURE_SERVICES differs from analysis/features.py NEEDS; "
            f"write it as {node_feature_services()!r}"
        )


def fixes_literal(fixes: dict[str, str]) -> str:
    """`FIXES: dict[str, str] = {...}` as Python source (one code per line)."""
    lines = ["FIXES: dict[str, str] = {"]
    lines += [f"    {json.dumps(code)}: {json.dumps(text)}," for code, text in fixes.items()]
    return "\n".join([*lines, "}"])


def module_source(name: str) -> str:
    return resources.files(NODE_PACKAGE).joinpath(f"{name}.py").read_text(encoding="utf-8")


def _defined(statement: ast.stmt) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _is_type_checking(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.If)
        and isinstance(statement.test, ast.Name)
        and statement.test.id == "TYPE_CHECKING"
    )


def _sibling(statement: ast.ImportFrom, where: str) -> tuple[str, set[str]] | None:
    """`from .module import names` → (module, names); None for a standard-library import."""
    if statement.level == 0 and not (statement.module or "").startswith("ssmreach"):
        return None
    if statement.level != 1 or not statement.module or statement.module not in MODULES:
        raise ScriptBuildError(f"{where}: only `from .<node module> import name` joins")
    if any(alias.asname for alias in statement.names):
        raise ScriptBuildError(f"{where}: `as` in an import of a sibling module")
    return statement.module, {alias.name for alias in statement.names}


def _type_checking_block(statement: ast.If, source: str, module: _Module) -> None:
    where = f"{module.name}.py:{statement.lineno}"
    if statement.orelse:
        raise ScriptBuildError(f"{where}: `if TYPE_CHECKING:` with an else")
    for inner in statement.body:
        if isinstance(inner, ast.ImportFrom) and _sibling(inner, where) is not None:
            continue  # a sibling's type alias or class: defined in the same file once joined
        if isinstance(inner, (ast.Import, ast.ImportFrom)):
            module.typing.add(inner, where)
        elif isinstance(inner, ast.Assign):
            module.aliases.append(ast.get_source_segment(source, inner) or "")
        else:
            raise ScriptBuildError(f"{where}: only imports and aliases under TYPE_CHECKING")


def _nested_import(statement: ast.Import | ast.ImportFrom, where: str) -> None:
    """An import inside the code runs as it is: it may only take the standard library."""
    if isinstance(statement, ast.ImportFrom) and statement.level:
        raise ScriptBuildError(f"{where}: imports of sibling modules belong at the top")
    _Imports().add(statement, where)


def _header_statement(module: _Module, statement: ast.stmt, source: str) -> bool:
    """Take one statement of the import block; False when the code begins."""
    where = f"{module.name}.py:{statement.lineno}"
    if isinstance(statement, ast.If) and _is_type_checking(statement):
        _type_checking_block(statement, source, module)
    elif isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
        if [a.name for a in statement.names] != ["annotations"]:
            raise ScriptBuildError(f"{where}: only `from __future__ import annotations`")
    elif isinstance(statement, ast.ImportFrom) and (found := _sibling(statement, where)):
        module.siblings.setdefault(found[0], set()).update(found[1])
    elif isinstance(statement, (ast.Import, ast.ImportFrom)):
        module.runtime.add(statement, where)
    else:
        return False
    return True


def parse_module(name: str, source: str) -> _Module:
    """Split one node module into its imports and the code after them."""
    tree = ast.parse(source)
    statements = list(tree.body)
    module = _Module(name, ast.get_docstring(tree) or "", "", set(), {}, _Imports(), _Imports(), [])
    if module.doc:
        statements.pop(0)
    header_end = 0
    while statements and _header_statement(module, statements[0], source):
        header_end = statements.pop(0).end_lineno or 0
    for statement in statements:
        for inner in ast.walk(statement):
            if isinstance(inner, (ast.Import, ast.ImportFrom)):
                _nested_import(inner, f"{name}.py:{inner.lineno}")
        module.defines.update(_defined(statement))
    module.body = "\n".join(source.splitlines()[header_end:]).strip("\n")
    return module


def _check_joinable(modules: list[_Module]) -> None:
    """Every sibling import names an earlier module's definition; no name is defined twice."""
    defined_by: dict[str, str] = {}
    seen: list[str] = []
    for module in modules:
        for sibling, names in module.siblings.items():
            if sibling not in seen:
                raise ScriptBuildError(f"{module.name}.py imports {sibling}, which comes later")
            for wanted in sorted(names):
                if defined_by.get(wanted) != sibling:
                    raise ScriptBuildError(f"{module.name}.py: {sibling} defines no {wanted}")
        for defined in sorted(module.defines):
            if defined in defined_by:
                raise ScriptBuildError(
                    f"{defined} is defined in {defined_by[defined]}.py and {module.name}.py"
                )
            defined_by[defined] = module.name
        seen.append(module.name)
    imported = {n.split(".")[0] for m in modules for n in m.runtime.plain}
    imported |= {n for m in modules for names in m.runtime.names.values() for n in names}
    clashes = sorted(imported & set(defined_by))
    if clashes:
        raise ScriptBuildError(f"node modules define names they also import: {clashes}")


def _inject_fixes(modules: list[_Module], fixes: dict[str, str]) -> None:
    """Replace the one empty `FIXES` placeholder with the literal."""
    placeholder = "FIXES: dict[str, str] = {}\n"
    holders = [m for m in modules if placeholder in m.body + "\n"]
    if len(holders) != 1 or holders[0].body.count(placeholder) != 1:
        raise ScriptBuildError(f"the node modules need one `{placeholder.strip()}` line")
    holders[0].body = holders[0].body.replace(placeholder, fixes_literal(fixes) + "\n")


def _header(modules: list[_Module]) -> list[str]:
    runtime, typing, aliases = _Imports(), _Imports(), []
    for module in modules:
        runtime.plain |= module.runtime.plain
        typing.plain |= module.typing.plain
        for target, source in ((runtime, module.runtime), (typing, module.typing)):
            for name, names in source.names.items():
                target.names.setdefault(name, set()).update(names)
        aliases += module.aliases
    package = module_source("__init__")
    docstring = ast.get_source_segment(package, ast.parse(package).body[0]) or '""""""'
    lines = [SHEBANG, docstring, ""]
    built = f"Built by ssmreach from the modules of {NODE_PACKAGE}, in this order: "
    built += ", ".join(m.name for m in modules) + ". FIXES holds the fix sentences of "
    built += "ssmreach's reason catalogue. Python 3.8 compatibility: keep socket.timeout "
    built += "and datetime.timezone.utc."
    lines += [
        *("# " + line for line in textwrap.wrap(built, 90)),
        "from __future__ import annotations",
        "",
        *runtime.lines(),
    ]
    typing_lines = typing.lines("    ", skip=runtime)
    if typing_lines or aliases:
        lines += ["", TYPE_CHECKING_LINE, *typing_lines]
    if aliases:
        lines += ["", *("    " + alias for alias in aliases)]
    return lines


def build_script() -> str:
    """The whole probe as one standard-library-only Python 3.8+ script."""
    modules = [parse_module(name, module_source(name)) for name in MODULES]
    _check_joinable(modules)
    if "main" not in modules[-1].defines or "sys" not in modules[-1].runtime.plain:
        raise ScriptBuildError(f"{MODULES[-1]}.py must define main() and import sys")
    check_node_features()
    _inject_fixes(modules, node_fixes())
    parts = ["\n".join(_header(modules))]
    for module in modules:
        comment = [f"# --- {module.name} ".ljust(100, "-")]
        comment += [f"# {line}".rstrip() for line in module.doc.splitlines()]
        parts.append("\n".join(comment) + "\n\n\n" + module.body)
    return "\n\n\n".join(parts) + "\n\n\n" + MAIN_GUARD
