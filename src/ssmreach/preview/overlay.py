"""Lay a Terraform plan over a raw snapshot: the estate as it will be once the plan is applied.

Every planned resource of a type in `KINDS` gets its id (known, or a stable placeholder
like `vpce-plan3f2a9c1b7d4e` derived from its address), then deletions are taken out
and creations and updates written in, in AWS's order. The result is a `RawSnapshot`
that the one reader parses like any other, so the check of a planned estate runs the
same analysis as any check. A value ssmreach cannot follow stops the run with an error
naming the resource (exit 2): laying a resource somewhere else than where it will be
would be a guess.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from ssmreach.errors import SnapshotError, UsageError
from ssmreach.model.raw import FORMAT, Manifest, RawSnapshot
from ssmreach.preview.context import Context
from ssmreach.preview.endpoints import dns_entries
from ssmreach.preview.kinds import KINDS, is_relevant
from ssmreach.preview.plan_document import ResourceChange, TerraformPlan
from ssmreach.preview.records import NETWORK, Records
from ssmreach.preview.references import Placeholder, PlannedIds, Resolver, Unresolved

ALONE_ACCOUNT = "000000000000"
"""The account of a plan checked without a snapshot (its IAM and SSM reads are UNKNOWN)."""


@dataclass(frozen=True, slots=True)
class Overlay:
    raw: RawSnapshot
    notes: tuple[str, ...]
    placeholders: tuple[tuple[str, str], ...]  # (placeholder id, Terraform address)
    changed: int  # planned resources changed (a replacement counts once)


def _modelled(plan: TerraformPlan) -> list[ResourceChange]:
    return [rc for rc in plan.resource_changes if rc.mode == "managed" and rc.type in KINDS]


def _skipped_notes(plan: TerraformPlan) -> list[str]:
    notes = []
    for rc in plan.resource_changes:
        if rc.mode != "managed" or rc.type in KINDS or not is_relevant(rc.type):
            continue
        if set(rc.change.actions) <= {"no-op", "read"}:
            continue
        notes.append(
            f"{rc.address} ({'/'.join(rc.change.actions)}): {rc.type} is not modelled; "
            "the verdicts do not include this change"
        )
    return notes


def _assign_ids(
    changes: Iterable[ResourceChange], region_of: Any
) -> tuple[PlannedIds, list[tuple[str, str]]]:
    ids = PlannedIds()
    placeholders: list[tuple[str, str]] = []
    for rc in changes:
        kind = KINDS[rc.type]
        value, unknown = rc.value, rc.unknown
        attrs: dict[str, Any] = {k: v for k, v in value.items() if isinstance(v, str | list | dict)}
        known = value.get("id") if unknown.get("id") is not True else None
        if rc.change.after is None:  # a deletion
            known = (rc.change.before or {}).get("id")
        own = str(known) if known else Placeholder(kind.prefix).id_for(rc.address)
        if not known:
            placeholders.append((own, rc.address))
        attrs["id"] = own
        if rc.type == "aws_route53_zone":
            attrs["zone_id"] = value.get("zone_id") or own
        for name in kind.computed:
            if not value.get(name):
                attrs[name] = Placeholder(_computed_prefix(name)).id_for(rc.address, name)
                placeholders.append((attrs[name], f"{rc.address}.{name}"))
        if rc.type == "aws_vpc_endpoint" and not value.get("dns_entry"):
            entries = dns_entries(own, str(value.get("service_name") or ""), region_of(rc))
            attrs["dns_entry"] = [
                {"dns_name": e["DnsName"], "hosted_zone_id": e["HostedZoneId"]} for e in entries
            ]
        ids.add(rc, attrs)
    return ids, placeholders


def _computed_prefix(name: str) -> str:
    return {
        "default_security_group_id": "sg",
        "main_route_table_id": "rtb",
        "default_network_acl_id": "acl",
    }[name]


def _provider_regions(plan: TerraformPlan) -> dict[str, str]:
    regions: dict[str, str] = {}
    for key, provider in plan.configuration.provider_config.items():
        expression = provider.expressions.get("region") or {}
        value = expression.get("constant_value")
        if value is None:
            for reference in expression.get("references") or []:
                if reference.startswith("var."):
                    variable = plan.variables.get(reference.split(".")[1])
                    value = variable.value if variable is not None else None
                    break
        if isinstance(value, str):
            regions[key] = value
    return regions


class _Regions:
    """Where each planned resource lives: its own `region` argument (AWS provider 6), its
    provider block's Region, or the snapshot's only Region."""

    def __init__(self, plan: TerraformPlan, fallback: tuple[str, ...]) -> None:
        self._providers = _provider_regions(plan)
        self._keys = _provider_keys(plan)
        self._fallback = fallback

    def __call__(self, rc: ResourceChange) -> str:
        own = rc.value.get("region") or (rc.change.before or {}).get("region")
        if isinstance(own, str) and own:
            return own
        key = self._keys.get(rc.config_address)
        if key is not None and key in self._providers:
            return self._providers[key]
        if "aws" in self._providers and (key is None or key.split(":")[-1] == "aws"):
            return self._providers["aws"]
        if len(self._fallback) == 1:
            return self._fallback[0]
        raise UsageError(
            f"{rc.address}: cannot tell its Region (no region in its provider block"
            f"{' and the snapshot holds ' + ', '.join(self._fallback) if self._fallback else ''}); "
            "set region in the provider block or check against a one-Region snapshot"
        )


def _provider_keys(plan: TerraformPlan) -> dict[str, str]:
    keys: dict[str, str] = {}

    def walk(prefix: str, module: Any) -> None:
        for resource in module.resources:
            if resource.provider_config_key:
                keys[prefix + resource.address] = resource.provider_config_key
        for name, call in module.module_calls.items():
            if call.module is not None:
                walk(f"{prefix}module.{name}.", call.module)

    walk("", plan.configuration.root_module)
    return keys


def _account(raw: RawSnapshot | None, account: str | None) -> str:
    if raw is None:
        return account or ALONE_ACCOUNT
    accounts = raw.accounts
    if account is not None:
        if account not in accounts:
            raise UsageError(f"account {account} is not in the snapshot ({', '.join(accounts)})")
        return account
    if len(accounts) != 1:
        raise UsageError(
            f"the snapshot holds accounts {', '.join(accounts)}; say which one the plan deploys "
            "to with --terraform-account ID"
        )
    return accounts[0]


def _ordered(changes: list[ResourceChange]) -> list[tuple[str, ResourceChange]]:
    """Deletions first (contents before containers), then creations and updates in order."""
    steps: list[tuple[str, ResourceChange]] = []
    for rc in sorted(changes, key=lambda rc: -KINDS[rc.type].order):
        if rc.deletes:
            steps.append(("remove", rc))
    for rc in sorted(changes, key=lambda rc: KINDS[rc.type].order):
        if rc.change.after is not None and not set(rc.change.actions) <= {"no-op", "read"}:
            steps.append(("apply", rc))
    return steps


def overlay_plan(
    plan: TerraformPlan, raw: RawSnapshot | None, *, account: str | None = None
) -> Overlay:
    """The snapshot as it will be once `plan` is applied (`raw` None: the plan alone)."""
    owner = _account(raw, account)
    changes = _modelled(plan)
    region_of = _Regions(plan, raw.regions if raw is not None else ())
    ids, placeholders = _assign_ids(changes, region_of)
    alone = raw is None
    base = raw or RawSnapshot(
        manifest=Manifest(format=FORMAT, accounts=(owner,)), files={}, source=plan.source
    )
    records = Records(base, owner, alone=alone)
    ctx = Context(
        records=records,
        resolver=Resolver(plan, ids),
        ids=ids,
        account=owner,
        partition=base.manifest.partition,
        region_of=region_of,
    )
    problems: list[str] = []
    steps = _ordered(changes)
    regions = sorted({region_of(rc) for _, rc in steps})
    for step, rc in steps:
        ctx.region = region_of(rc)
        kind = KINDS[rc.type]
        try:
            if step == "remove":
                kind.remove(ctx, rc)
            else:
                kind.apply(ctx, rc, str(ids.attrs(rc.address)["id"]))
        except Unresolved as exc:
            problems.append(str(exc))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SnapshotError(plan.source, problems[0] + more)
    if alone:
        for region in regions:
            for operation in NETWORK:
                records.edit(region, "ec2", operation)
    changed = records.changed_files()
    manifest = msgspec.structs.replace(
        base.manifest,
        accounts=tuple(sorted({*base.manifest.accounts, owner})),
        regions=tuple(sorted({*base.manifest.regions, *regions}))
        if alone
        else base.manifest.regions,
    )
    return Overlay(
        raw=RawSnapshot(
            manifest=manifest,
            files=ChainMap(dict(changed), base.files),  # type: ignore[arg-type]
            source=f"{base.source} with {plan.source}" if not alone else plan.source,
            skipped=base.skipped,
        ),
        notes=tuple(_skipped_notes(plan) + ctx.notes),
        placeholders=tuple(placeholders),
        changed=len({rc.address for _, rc in steps}),
    )
