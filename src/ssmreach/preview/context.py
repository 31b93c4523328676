"""What every translator works with: the records, the resolver, the planned ids, and small
helpers to edit lists of API records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ssmreach.preview.plan_document import ResourceChange
from ssmreach.preview.records import Records
from ssmreach.preview.references import PlannedIds, Resolver


@dataclass(slots=True)
class Context:
    """What every translator works with."""

    records: Records
    resolver: Resolver
    ids: PlannedIds
    account: str
    partition: str
    region_of: Callable[[ResourceChange], str]
    notes: list[str] = field(default_factory=list)
    region: str = ""

    def edit(self, operation: str, what: str, service: str = "ec2") -> list[dict[str, Any]] | None:
        found = self.records.edit(self.region, service, operation)
        if found is None:
            self.notes.append(
                f"{what}: the snapshot has no usable {service}:{operation} answer in "
                f"{self.account}/{self.region}, so it is not laid over it (verdicts there stay UNKNOWN)"
            )
        return found

    def target(
        self, operation: str, key: str, value: str | None, change: ResourceChange, label: str
    ) -> dict[str, Any] | None:
        """The record a resource changes (a route's table, a rule's group ...), to edit in
        place; None, with a note naming it, when the snapshot and the plan lack it."""
        if self.edit(operation, change.address) is None:
            return None
        found = self.find(operation, key, value or "")
        if found is None:
            self.notes.append(
                f"{change.address}: {label} {value} is not in the snapshot or the plan"
            )
        return found

    def find(
        self, operation: str, key: str, value: str, service: str = "ec2"
    ) -> dict[str, Any] | None:
        return self.records.find(self.region, service, operation, key, value)


Apply = Callable[[Context, ResourceChange, str], None]
Remove = Callable[[Context, ResourceChange], None]


@dataclass(frozen=True, slots=True)
class Kind:
    """One Terraform resource type: its id prefix, its place in the order, and what it does."""

    prefix: str
    order: int
    apply: Apply
    remove: Remove
    computed: tuple[str, ...] = ()  # ids AWS creates alongside it (a VPC's default group, ...)


def tags_of(change: ResourceChange) -> list[dict[str, str]]:
    tags = change.value.get("tags") or {}
    tags = {"Name": change.address, **tags} if isinstance(tags, dict) else {"Name": change.address}
    return [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]


def upsert(
    items: list[dict[str, Any]], key: str, value: str, fields: dict[str, Any]
) -> dict[str, Any]:
    for item in items:
        if item.get(key) == value:
            item.update(fields)
            return item
    item = {key: value, **fields}
    items.append(item)
    return item


def drop(items: list[dict[str, Any]] | None, key: str, value: Any) -> None:
    if items is not None:
        items[:] = [i for i in items if i.get(key) != value]


def before_id(change: ResourceChange) -> str | None:
    before = change.change.before
    return str(before["id"]) if isinstance(before, dict) and before.get("id") else None
