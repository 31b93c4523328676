"""Values known only after apply, followed to the resources they come from.

A planned resource's `vpc_id` is unknown when the VPC is created by the same plan; the
plan's `configuration` still says where the value comes from: the expression's
`references` (`["aws_vpc.main.id", "aws_vpc.main"]`). `Resolver` follows them, through
module inputs (`var.x` in a module is the calling module's `x` expression), module
outputs (`module.net.subnet_ids`), root variables and data sources read at plan time, to
the ids this package gives every planned resource (`PlannedIds`).

What it cannot follow it says so (`Unresolved`): locals (the JSON plan does not hold their
definitions), functions of several candidates for one value, and unknown values of
resource types ssmreach does not model. Source: Terraform documentation, "JSON Output
Format", sections "Expression Representation" and "Configuration Representation".
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ssmreach.preview.plan_document import ConfigModule, ResourceChange, TerraformPlan

_REFERENCE = re.compile(
    r"^(?P<type>[a-z][a-z0-9_]*)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"
    r"(?P<key>\[[^\]]*\])?(?:\.(?P<attr>[a-z_][a-z0-9_]*))?"
    r"(?P<rest>(?:\[\d+\]|\.[a-z_][a-z0-9_]*)*)"
)
_STEP = re.compile(r"\[(\d+)\]|\.([a-z_][a-z0-9_]*)")


class Unresolved(Exception):
    """A value known only after apply whose source ssmreach cannot follow."""


@dataclass(frozen=True, slots=True)
class Placeholder:
    """How ids of not-yet-created resources look: the AWS prefix, then `plan` and a hash of
    the Terraform address, so the same plan always gives the same ids."""

    prefix: str

    def id_for(self, address: str, part: str = "") -> str:
        digest = hashlib.sha1(f"{address}#{part}".encode()).hexdigest()[:12]
        if self.prefix == "Z":
            return f"ZPLAN{digest.upper()}"
        return f"{self.prefix}-plan{digest}"


class PlannedIds:
    """Every planned resource's attributes that other resources may reference: `id` and
    the computed ids AWS creates alongside it (a VPC's default security group, main route
    table and default network ACL), known or placeholder."""

    def __init__(self) -> None:
        self._attrs: dict[str, dict[str, Any]] = {}
        self._instances: dict[str, list[str]] = defaultdict(list)

    def add(self, change: ResourceChange, attrs: Mapping[str, Any]) -> None:
        self._attrs[change.address] = dict(attrs)
        self._instances[change.config_address].append(change.address)

    def attrs(self, address: str) -> Mapping[str, Any]:
        return self._attrs.get(address, {})

    def instances(self, config_address: str) -> list[str]:
        return self._instances.get(config_address, [])

    def __contains__(self, address: str) -> bool:
        return address in self._attrs


def _module_prefix(path: tuple[str, ...]) -> str:
    return "".join(f"module.{m}." for m in path)


def _is_unknown(mark: Any) -> bool:
    return mark is True


def _partly_unknown(mark: Any) -> bool:
    """`after_unknown` marks a whole value `true`, or the unknown elements of a list."""
    return mark is True or (isinstance(mark, list) and any(m is True for m in mark))


class Resolver:
    """Follows one planned resource's unknown attribute to the ids it will hold."""

    def __init__(self, plan: TerraformPlan, ids: PlannedIds) -> None:
        self._plan = plan
        self._ids = ids
        self._modules: dict[tuple[str, ...], ConfigModule] = {}
        self._index_modules((), plan.configuration.root_module)
        self._data = _data_values(plan.prior_state)

    def _index_modules(self, path: tuple[str, ...], module: ConfigModule) -> None:
        self._modules[path] = module
        for name, call in module.module_calls.items():
            if call.module is not None:
                self._index_modules((*path, name), call.module)

    # --- the values of one resource ------------------------------------------------------

    def scalar(self, change: ResourceChange, attribute: str) -> str | None:
        """The attribute's value (None when it is not set), following references."""
        value = change.value.get(attribute)
        if value is not None or not _is_unknown(change.unknown.get(attribute)):
            return None if value is None else str(value)
        if not self.configured(change, attribute) and self._config_resource(change) is not None:
            return None  # computed by the provider; the translator knows AWS's default
        found = self._follow_attribute(change, attribute)
        distinct = list(dict.fromkeys(found))
        if len(distinct) != 1:
            raise Unresolved(
                f"{change.address}: {attribute} is known only after apply and its expression "
                f"names {len(distinct)} candidate values ({', '.join(map(str, distinct)) or 'none ssmreach can follow'})"
            )
        return str(distinct[0])

    def values(self, change: ResourceChange, attribute: str) -> list[str]:
        """A list or set attribute: known elements, and the unknown ones followed."""
        value = change.value.get(attribute)
        mark = change.unknown.get(attribute)
        if isinstance(value, list):
            known = [str(v) for v in value if v is not None]
        else:
            known = [] if value is None else [str(value)]
        if not _partly_unknown(mark):
            return known
        followed = [str(v) for v in self._follow_attribute(change, attribute)]
        return list(dict.fromkeys([*known, *followed]))

    def block_value(self, change: ResourceChange, block: str, index: int, field: str) -> Any:
        """A field of a nested block (`ingress`, `route`, ...): known, or followed through the
        block's expression when the configuration writes the blocks out one by one."""
        blocks = change.value.get(block)
        value = (
            blocks[index].get(field) if isinstance(blocks, list) and index < len(blocks) else None
        )
        marks = change.unknown.get(block)
        mark = (
            marks[index].get(field)
            if isinstance(marks, list) and index < len(marks) and isinstance(marks[index], dict)
            else None
        )
        if not _partly_unknown(mark):
            return value
        expressions = (self._config_resource(change) or {}).get(block)
        where = f"{change.address}: {block}[{index}].{field}"
        if not isinstance(expressions, list) or len(expressions) != len(blocks or []):
            raise Unresolved(
                f"{where} is known only after apply and the blocks are generated (dynamic), "
                "so ssmreach cannot tell which expression gives it"
            )
        expression = expressions[index].get(field) if isinstance(expressions[index], dict) else None
        if expression is None:
            return value  # not written: the provider computes it
        followed = self._follow(change.module_path, expression, where, _instance(change))
        if isinstance(value, list):
            return list(dict.fromkeys([*(v for v in value if v is not None), *followed]))
        distinct = list(dict.fromkeys(followed))
        if len(distinct) != 1:
            raise Unresolved(
                f"{where} is known only after apply and names {len(distinct)} candidate values"
            )
        return distinct[0]

    def configured(self, change: ResourceChange, attribute: str) -> bool:
        """Whether the configuration writes the attribute (else the provider computes it)."""
        return attribute in (self._config_resource(change) or {})

    def _follow_attribute(self, change: ResourceChange, attribute: str) -> list[Any]:
        resource = self._config_resource(change)
        if resource is None:
            raise Unresolved(
                f"{change.address}: {attribute} is known only after apply and the plan holds no "
                "configuration for the resource"
            )
        expression = resource.get(attribute)
        if expression is None:
            return []  # not written: the provider computes it (what AWS sets, e.g. no route tables)
        return self._follow(
            change.module_path, expression, f"{change.address}: {attribute}", _instance(change)
        )

    def _config_resource(self, change: ResourceChange) -> dict[str, Any] | None:
        module = self._modules.get(change.module_path)
        if module is None:
            return None
        local = f"{change.type}.{change.name}"
        for resource in module.resources:
            if resource.address in (local, change.config_address):
                return resource.expressions
        return None

    # --- expressions ---------------------------------------------------------------------

    def _follow(
        self, path: tuple[str, ...], expression: Any, where: str, instance: str | None
    ) -> list[Any]:
        """`instance`: the module instance the expression is in (`module.net[1]`, "" for the
        root), or None when a reference named a module without saying which instance."""
        if isinstance(expression, list):  # a nested block: one expression object per block
            return [v for e in expression for v in self._follow(path, e, where, instance)]
        if not isinstance(expression, dict):
            return []
        if "constant_value" in expression:
            return _flatten([expression["constant_value"]])
        found: list[Any] = []
        for reference in _most_specific(expression.get("references") or []):
            found.extend(self._reference(path, reference, where, instance))
        return found

    def _reference(
        self, path: tuple[str, ...], reference: str, where: str, instance: str | None
    ) -> list[Any]:
        head = reference.split(".", 1)[0]
        if head in ("each", "count", "path", "terraform", "self"):
            return []
        if head == "local":
            raise Unresolved(
                f"{where} is known only after apply and comes from {reference}: the JSON plan "
                "holds no local values; reference the resource directly, or check after apply"
            )
        if head == "var":
            return self._variable(path, reference.split(".")[1], where, instance)
        if head == "module":
            return self._module_output(path, reference, where, instance)
        if head == "data":
            return self._data_source(path, reference[len("data.") :], where)
        return self._resource(path, reference, where, instance)

    def _variable(
        self, path: tuple[str, ...], name: str, where: str, instance: str | None
    ) -> list[Any]:
        if not path:
            variable = self._plan.variables.get(name)
            return _flatten([variable.value]) if variable is not None else []
        parent = self._modules.get(path[:-1])
        call = parent.module_calls.get(path[-1]) if parent is not None else None
        expression = call.expressions.get(name) if call is not None else None
        if expression is None:
            return []  # the variable's default: a constant, which the plan already shows
        return self._follow(path[:-1], expression, where, _parent(instance))

    def _module_output(
        self, path: tuple[str, ...], reference: str, where: str, instance: str | None
    ) -> list[Any]:
        parts = reference.split(".")
        if len(parts) < 3:
            raise Unresolved(
                f"{where} comes from the whole of {reference}, which ssmreach cannot follow"
            )
        child = (*path, re.sub(r"\[.*\]$", "", parts[1]))
        module = self._modules.get(child)
        output = module.outputs.get(parts[2]) if module is not None else None
        if not isinstance(output, dict) or "expression" not in output:
            raise Unresolved(f"{where} comes from {reference}, which the plan does not define")
        inner = (
            None if instance is None else f"{instance + '.' if instance else ''}module.{parts[1]}"
        )
        return self._follow(child, output["expression"], where, inner)

    def _data_source(self, path: tuple[str, ...], reference: str, where: str) -> list[Any]:
        match = _REFERENCE.match(reference)
        if match is None:
            return []
        address = f"{_module_prefix(path)}data.{match['type']}.{match['name']}{match['key'] or ''}"
        values = self._data.get(address)
        if values is None:
            raise Unresolved(
                f"{where} comes from data source {address}, which is read only at apply "
                "(its inputs are unknown at plan time)"
            )
        return _flatten([values.get(match["attr"] or "id")])

    def _resource(
        self, path: tuple[str, ...], reference: str, where: str, instance: str | None
    ) -> list[Any]:
        match = _REFERENCE.match(reference)
        if match is None:
            return []
        config_address = f"{_module_prefix(path)}{match['type']}.{match['name']}"
        key = match["key"]
        addresses = self._ids.instances(config_address)
        if instance:  # the resources of this module instance (a module with count/for_each)
            addresses = [a for a in addresses if a.startswith(instance + ".")] or addresses
        if key:
            addresses = [a for a in addresses if a.endswith(f"{match['name']}{key}")]
        if not addresses:
            raise Unresolved(
                f"{where} is known only after apply and comes from {reference}, a resource "
                "ssmreach does not model (or not in the plan)"
            )
        attribute = match["attr"] or "id"
        found: list[Any] = []
        for address in addresses:
            attrs = self._ids.attrs(address)
            if attribute not in attrs:
                raise Unresolved(
                    f"{where} comes from {reference}: ssmreach does not know {attribute} of "
                    f"{address} before apply"
                )
            found.extend(_flatten([_walk(attrs[attribute], match["rest"] or "")]))
        return found


def _instance(change: ResourceChange) -> str:
    return change.module_address or ""


def _parent(instance: str | None) -> str | None:
    """`module.a[0].module.b` -> `module.a[0]`; the root's parent is the root."""
    if not instance:
        return instance
    head, _, _ = instance.rpartition(".module.")
    return head if head else ""


def _walk(value: Any, rest: str) -> Any:
    """Follow `[0].dns_name` into a value (`dns_entry[0].dns_name`)."""
    for index, name in _STEP.findall(rest):
        if index and isinstance(value, list):
            value = value[int(index)] if int(index) < len(value) else None
        elif name and isinstance(value, dict):
            value = value.get(name)
        else:
            return None
    return value


def _most_specific(references: Iterable[str]) -> list[str]:
    """Terraform lists `aws_vpc.main.id` and then `aws_vpc.main`: keep the first only."""
    kept: list[str] = []
    for reference in references:
        if any(
            k == reference or k.startswith(reference + ".") or k.startswith(reference + "[")
            for k in kept
        ):
            continue
        kept.append(reference)
    return kept


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list | tuple):
            out.extend(_flatten(value))
        elif isinstance(value, dict):
            out.extend(_flatten(value.values()))
        elif value is not None:
            out.append(value)
    return out


def _data_values(prior_state: Any) -> dict[str, dict[str, Any]]:
    """Data sources read at plan time: `prior_state.values` holds them with mode `data`."""
    found: dict[str, dict[str, Any]] = {}

    def walk(module: Any) -> None:
        if not isinstance(module, dict):
            return
        for resource in module.get("resources") or []:
            if resource.get("mode") == "data" and isinstance(resource.get("values"), dict):
                found[str(resource.get("address"))] = resource["values"]
        for child in module.get("child_modules") or []:
            walk(child)

    if isinstance(prior_state, dict):
        walk((prior_state.get("values") or {}).get("root_module"))
    return found
