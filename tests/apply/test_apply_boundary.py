"""Only `ssmreach.apply` (and the read-only `ssmreach.collect`) calls AWS; only apply writes."""

from __future__ import annotations

import ast
from pathlib import Path

import ssmreach

SRC = Path(ssmreach.__file__).parent
WRITE_PREFIXES = (
    "create_",
    "delete_",
    "modify_",
    "authorize_",
    "revoke_",
    "associate_",
    "disassociate_",
    "put_",
    "change_",
    "update_",
    "attach_",
    "detach_",
    "run_instances",
    "terminate_",
    "replace_",
    "reset_",
    "send_",
    "start_",
    "stop_",
    "enable_",
    "disable_",
    "register_",
    "deregister_",
    "tag_",
    "untag_",
    "add_",
    "remove_",
)
# Named exceptions (a new writer outside apply/ fails this test):
# the probe runs itself on nodes through SSM SendCommand.
ALLOWED = {("probe/controller/via_ssm.py", "send_command")}
# `ssmreach demo` builds its broken sample estate inside an embedded moto, never an account.
SANDBOX = ("demo",)
PURE = ("plan", "export", "model", "analysis", "policy", "report")


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(SRC)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SRC.rglob("*.py"))
    ]


def _imports_aws(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] in ("boto3", "botocore") for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "boto3",
            "botocore",
        ):
            return True
    return False


def test_write_calls_live_in_apply_only() -> None:
    offenders = []
    writers = set()
    for name, tree in _modules():
        package = name.split("/")[0]
        if not _imports_aws(tree):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                attr = node.func.attr
                if attr.startswith(WRITE_PREFIXES) and attr != "create_client":
                    if package == "apply":
                        writers.add(attr)
                    elif package not in ("collect", *SANDBOX) and (name, attr) not in ALLOWED:
                        offenders.append(f"{name}: {attr}")
    assert offenders == []
    assert {"create_vpc_endpoint", "modify_vpc_endpoint", "create_security_group"} <= writers


def test_pure_packages_import_no_aws_sdk() -> None:
    for name, tree in _modules():
        if name.split("/")[0] in PURE:
            assert not _imports_aws(tree), name
