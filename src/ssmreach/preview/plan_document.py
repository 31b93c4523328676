"""The parts of Terraform's JSON plan format (`terraform show -json plan.out`) ssmreach reads.

Source: Terraform documentation, "JSON Output Format" (format_version 1.x): a plan has
`resource_changes` (each with `address`, `mode`, `type`, `change.actions`,
`change.before`, `change.after`, `change.after_unknown`), `configuration` (the modules'
resources with their `expressions`, whose `references` name what a value comes from),
`variables` (root module values) and `prior_state`. Values known only after apply are
absent from `after` and marked `true` in `after_unknown`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from ssmreach.errors import SnapshotError

SUPPORTED_MAJOR = "1"


class Change(msgspec.Struct, frozen=True, kw_only=True):
    actions: tuple[str, ...]
    before: Any = None
    after: Any = None
    after_unknown: Any = None


class ResourceChange(msgspec.Struct, frozen=True, kw_only=True):
    address: str
    type: str
    name: str
    change: Change
    mode: str = "managed"
    module_address: str | None = None
    index: Any = None
    provider_name: str | None = None

    @property
    def config_address(self) -> str:
        """The address in `configuration`: module path and resource, without instance keys."""
        prefix = f"{_strip_keys(self.module_address)}." if self.module_address else ""
        return f"{prefix}{self.type}.{self.name}"

    @property
    def module_path(self) -> tuple[str, ...]:
        """`module.a[0].module.b` -> ("a", "b")."""
        if not self.module_address:
            return ()
        return tuple(p for p in _strip_keys(self.module_address).split(".") if p != "module")

    @property
    def creates(self) -> bool:
        return "create" in self.change.actions

    @property
    def deletes(self) -> bool:
        return "delete" in self.change.actions

    @property
    def value(self) -> dict[str, Any]:
        after = self.change.after
        return after if isinstance(after, dict) else {}

    @property
    def unknown(self) -> dict[str, Any]:
        marks = self.change.after_unknown
        return marks if isinstance(marks, dict) else {}


class ConfigResource(msgspec.Struct, frozen=True, kw_only=True):
    address: str
    type: str = ""
    mode: str = "managed"
    provider_config_key: str | None = None
    expressions: dict[str, Any] = {}


class ModuleCall(msgspec.Struct, frozen=True, kw_only=True):
    expressions: dict[str, Any] = {}
    module: ConfigModule | None = None


class ConfigModule(msgspec.Struct, frozen=True, kw_only=True):
    resources: tuple[ConfigResource, ...] = ()
    module_calls: dict[str, ModuleCall] = {}
    outputs: dict[str, Any] = {}


class ProviderConfig(msgspec.Struct, frozen=True, kw_only=True):
    name: str = ""
    alias: str | None = None
    expressions: dict[str, Any] = {}
    module_address: str | None = None


class Configuration(msgspec.Struct, frozen=True, kw_only=True):
    provider_config: dict[str, ProviderConfig] = {}
    root_module: ConfigModule = ConfigModule()


class Variable(msgspec.Struct, frozen=True, kw_only=True):
    value: Any = None


class TerraformPlan(msgspec.Struct, frozen=True, kw_only=True):
    format_version: str
    resource_changes: tuple[ResourceChange, ...] = ()
    configuration: Configuration = Configuration()
    variables: dict[str, Variable] = {}
    prior_state: Any = None
    terraform_version: str | None = None
    source: str = "plan"


def _strip_keys(address: str | None) -> str:
    """Drop instance keys (`[0]`, `["a"]`) from an address."""
    out, depth = [], 0
    for ch in address or "":
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def strip_keys(address: str) -> str:
    return _strip_keys(address)


def decode_plan(data: bytes, source: str) -> TerraformPlan:
    """Decode a plan; a file that is not one is a `SnapshotError` naming it and what to do."""
    hint = "write it with `terraform show -json plan.out > plan.json`"
    try:
        plan = msgspec.json.decode(data, type=TerraformPlan)
    except msgspec.ValidationError as exc:
        raise SnapshotError(source, f"not a Terraform JSON plan ({exc}); {hint}") from None
    except msgspec.DecodeError as exc:
        raise SnapshotError(source, f"not valid JSON ({exc}); {hint}") from None
    major = plan.format_version.split(".")[0]
    if major != SUPPORTED_MAJOR:
        raise SnapshotError(
            source,
            f"Terraform plan format_version {plan.format_version!r}; ssmreach reads 1.x",
        )
    return msgspec.structs.replace(plan, source=source)


def read_plan(path: Path) -> TerraformPlan:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    return decode_plan(data, str(path))
