"""A small writer of HCL (Terraform) text: blocks, attributes and literal values.

Strings are always written quoted, with `\\`, `"`, newlines and the template
sequences `${` and `%{` escaped, so no value from a plan can turn into an
expression. Expressions are written only through `Expr`, which the exporter builds
itself from resource names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Union

__all__ = ["Block", "Expr", "Value", "quote", "render_blocks", "value_text"]


@dataclass(frozen=True, slots=True)
class Expr:
    """A Terraform expression written as is (a reference or a function call)."""

    text: str


Value = Union[str, int, float, bool, None, Expr, "list[Value]", "dict[str, Value]", "Block"]


@dataclass(slots=True)
class Block:
    """`type "label" ... { body }`; a `Block` value in the body is a nested block."""

    type: str
    labels: tuple[str, ...] = ()
    body: list[tuple[str, Value]] = field(default_factory=list)

    def set(self, name: str, value: Value) -> Block:
        self.body.append((name, value))
        return self


def quote(text: str) -> str:
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


def _key(name: str) -> str:
    return (
        name
        if name.replace("_", "").replace("-", "").isalnum() and not name[0].isdigit()
        else quote(name)
    )


def value_text(value: Value, indent: int = 0) -> str:
    pad = "  " * indent
    if isinstance(value, Expr):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(not isinstance(v, list | dict) for v in value) and len(value) <= 4:
            return "[" + ", ".join(value_text(v, indent) for v in value) + "]"
        inner = ",\n".join(f"{pad}  {value_text(v, indent + 1)}" for v in value)
        return "[\n" + inner + f",\n{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        width = max(len(_key(k)) for k in value)
        inner = "\n".join(
            f"{pad}  {_key(k).ljust(width)} = {value_text(v, indent + 1)}" for k, v in value.items()
        )
        return "{\n" + inner + f"\n{pad}}}"
    raise TypeError(f"not an HCL value: {value!r}")


def _block(block: Block, indent: int) -> list[str]:
    pad = "  " * indent
    head = " ".join([block.type, *(quote(label) for label in block.labels)])
    lines = [f"{pad}{head} {{"]
    attributes = [(k, v) for k, v in block.body if not isinstance(v, Block)]
    width = max((len(k) for k, _ in attributes), default=0)
    for name, value in block.body:
        if isinstance(value, Block):
            lines.extend(_block(value, indent + 1))
        else:
            lines.append(f"{pad}  {name.ljust(width)} = {value_text(value, indent + 1)}")
    lines.append(f"{pad}}}")
    return lines


def render_blocks(blocks: Sequence[Block], header: str = "") -> str:
    parts: list[str] = []
    if header:
        parts.append("\n".join(f"# {line}" if line else "#" for line in header.splitlines()))
    for block in blocks:
        parts.append("\n".join(_block(block, 0)))
    return "\n\n".join(parts) + "\n"
