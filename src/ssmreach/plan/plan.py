"""The plan: what to change, why, in which order, at what cost, computed from which state.

A `Plan` is frozen and round-trips through JSON (`encode_plan` / `decode_plan`), so
`ssmreach plan --format json --output plan.json` can be reviewed, then carried out
with `ssmreach apply --plan plan.json` or turned into code with `ssmreach export`.
It records a fingerprint of the state it was computed from (`fingerprint`), so that
apply can refuse to act on a plan the account has moved away from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Literal

import msgspec

from ssmreach.errors import SsmreachError
from ssmreach.model.estate import Estate, RegionData
from ssmreach.model.validate import cidr_problem
from ssmreach.plan.changes import CREATES, Change

__all__ = [
    "PLAN_FORMAT",
    "ManualStep",
    "Plan",
    "PlanFormatError",
    "Pricing",
    "Scope",
    "VpcDesign",
    "decode_plan",
    "encode_plan",
    "fingerprint",
    "plan_problems",
]

PLAN_FORMAT = "ssmreach-plan/1"

Design = Literal["per-vpc", "hub"]


class PlanFormatError(SsmreachError):
    """A plan file that cannot be read."""


class ManualStep(msgspec.Struct, frozen=True, kw_only=True):
    """A cause the plan does not fix by itself: a person has to act (the reason says why)."""

    code: str
    resource: str | None
    instances: tuple[str, ...]
    message: str
    fix: str | None = None


class VpcDesign(msgspec.Struct, frozen=True, kw_only=True):
    """One VPC of the plan: its role in the design and the services planned for it."""

    account: str
    region: str
    vpc_id: str
    role: Literal["per-vpc", "hub", "spoke"]
    instances: tuple[str, ...]
    services: tuple[str, ...]


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    """The resources the fingerprint covers: these VPCs of one account and Region."""

    account: str
    region: str
    vpc_ids: tuple[str, ...]


class Pricing(msgspec.Struct, frozen=True, kw_only=True):
    sources: tuple[str, ...]
    date: str
    approximate: bool
    note: str = (
        "hourly charges only: interface endpoint data processing (per GB) is not included; "
        "gateway endpoints are free"
    )


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """The smallest set of changes that makes the checked instances PRIVATE (requirements §4)."""

    format: str = PLAN_FORMAT
    id: str
    source: str
    snapshot_created: str | None
    fingerprint: str
    scope: tuple[Scope, ...]
    features: tuple[str, ...]
    design: Design
    hub_vpc: str | None = None
    vpcs: tuple[VpcDesign, ...] = ()
    changes: tuple[Change, ...]
    manual: tuple[ManualStep, ...] = ()
    monthly_cost: float = 0.0
    pricing: Pricing | None = None

    @property
    def empty(self) -> bool:
        return not self.changes

    def change(self, change_id: str) -> Change:
        for change in self.changes:
            if change.id == change_id:
                return change
        raise KeyError(change_id)

    def permissions(self) -> tuple[str, ...]:
        """Every IAM action carrying out this plan needs, sorted."""
        return tuple(sorted({p for c in self.changes for p in c.permissions}))


def encode_plan(plan: Plan) -> bytes:
    """The plan as indented JSON (stable key order)."""
    return msgspec.json.format(msgspec.json.encode(plan), indent=2) + b"\n"


def decode_plan(data: bytes, where: str = "plan") -> Plan:
    """Read a plan written by `encode_plan`; a wrong format is a one-line error."""
    data = data.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark that an editor added
    try:
        head = json.loads(data)
    except ValueError as exc:
        raise PlanFormatError(f"{where}: not JSON ({exc})") from None
    except RecursionError:
        raise PlanFormatError(f"{where}: the JSON is nested too deeply to be a plan") from None
    if not isinstance(head, dict) or head.get("format") != PLAN_FORMAT:
        raise PlanFormatError(
            f"{where}: not an ssmreach plan (format {PLAN_FORMAT!r} expected); "
            "write one with `ssmreach plan --format json --output FILE`"
        )
    try:
        plan = msgspec.json.decode(data, type=Plan)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise PlanFormatError(f"{where}: {exc}") from None
    except RecursionError:
        raise PlanFormatError(f"{where}: the JSON is nested too deeply to be a plan") from None
    problem = next(plan_problems(plan), None)
    if problem is not None:
        raise PlanFormatError(f"{where}: {problem}; write a new plan with `ssmreach plan`")
    return plan


def plan_problems(plan: Plan) -> Iterator[str]:
    """What makes a decoded plan impossible to carry out or export as it stands: a change
    id used twice, a reference (`${id}`) or dependency on a change that is not before it
    or creates nothing, a port outside 0-65535 or a CIDR that is not one."""
    seen: dict[str, Change] = {}
    for index, change in enumerate(plan.changes):
        what = f"change {index} ({change.id})"
        if change.id in seen:
            yield f"{what} has the id of an earlier change"
        for target in change.references():
            made = seen.get(target)
            if made is None or type(made) not in CREATES:
                yield f"{what} refers to ${{{target}}}, which no earlier change of the plan creates"
        for dep in change.depends_on:
            if dep not in seen:
                yield f"{what} depends on {dep}, which is not an earlier change of the plan"
        for name in ("port", "from_port", "to_port", "rule_number"):
            value = getattr(change, name, None)
            if isinstance(value, int) and not 0 <= value <= 65535:
                yield f"{what} has {name} {value}, outside 0-65535"
        cidrs = list(getattr(change, "cidrs", ()))
        cidrs += [v for n in ("cidr", "destination_cidr") if (v := getattr(change, n, None))]
        for cidr in cidrs:
            problem = cidr_problem(cidr)
            if problem is not None:
                yield f"{what} {problem}"
        seen[change.id] = change


# --- fingerprint ------------------------------------------------------------------------


def _canonical(value: object) -> object:
    """A JSON-ready value whose encoding does not depend on dict order."""
    return json.loads(msgspec.json.encode(value))


def _region_part(estate: Estate, region: RegionData, vpc_ids: Iterable[str]) -> dict[str, object]:
    vpcs = sorted(set(vpc_ids))
    wanted = set(vpcs)
    attributes = {
        f"{vpc}/{name}": value
        for (vpc, name), value in region.vpc_attributes.items()
        if vpc in wanted and isinstance(value, bool)
    }
    endpoints = [
        ep
        for ep in region.endpoints.values()
        if ep.vpc_id in wanted and ep.state.lower() not in ("deleted", "deleting")
    ]
    instances = [
        {
            "id": i.instance_id,
            "subnet": i.subnet_id,
            "groups": sorted(i.group_ids),
            "profile": i.iam_instance_profile.arn if i.iam_instance_profile else None,
        }
        for i in region.instances
        if i.vpc_id in wanted and i.state_name not in ("terminated", "shutting-down")
    ]
    zones = [
        {
            "id": z.zone.zone_id,
            "name": z.domain,
            "records": _canonical(z.records),
        }
        for vpc in vpcs
        for z in estate.zones_by_vpc.get(vpc, ())
    ]
    return {
        "vpcs": _canonical([region.vpcs[v] for v in vpcs if v in region.vpcs]),
        "attributes": dict(sorted(attributes.items())),
        "subnets": _canonical(
            sorted(
                (s for s in region.subnets.values() if s.vpc_id in wanted),
                key=lambda s: s.subnet_id,
            )
        ),
        "route_tables": _canonical(
            sorted(
                (t for t in region.route_tables.values() if t.vpc_id in wanted),
                key=lambda t: t.route_table_id,
            )
        ),
        "security_groups": _canonical(
            sorted(
                (g for g in region.security_groups.values() if g.vpc_id in wanted),
                key=lambda g: g.group_id,
            )
        ),
        "endpoints": _canonical(
            sorted(
                (
                    {
                        "id": ep.vpc_endpoint_id,
                        "service": ep.service_name,
                        "type": ep.vpc_endpoint_type,
                        "state": ep.state,
                        "policy": ep.policy_document,
                        "route_tables": sorted(ep.route_table_ids),
                        "subnets": sorted(ep.subnet_ids),
                        "groups": sorted(g.group_id for g in ep.groups),
                        "private_dns": ep.private_dns_enabled,
                        "ip_address_type": ep.ip_address_type,
                        "dns_record_ip_type": ep.dns_options.dns_record_ip_type
                        if ep.dns_options
                        else None,
                    }
                    for ep in endpoints
                ),
                key=lambda e: str(e["id"]),
            )
        ),
        "instances": sorted(instances, key=lambda i: str(i["id"])),
        "zones": sorted(zones, key=lambda z: str(z["id"])),
    }


def fingerprint(estate: Estate, scope: Iterable[Scope]) -> str:
    """sha256 over a canonical dump of what the plan depends on, in the scope's VPCs.

    The dump holds the VPCs, their DNS attributes, subnets, route tables, security
    groups, endpoints (service, state, policy, subnets, groups, private DNS, route
    tables), instances (subnet, groups, profile) and the private hosted zones
    associated with them. Reading the same state from a snapshot folder or live gives
    the same fingerprint; anything else in the account does not change it.
    """
    parts: dict[str, object] = {}
    for item in sorted(scope, key=lambda s: (s.account, s.region)):
        region = estate.regions.get((item.account, item.region))
        key = f"{item.account}/{item.region}"
        parts[key] = _region_part(estate, region, item.vpc_ids) if region else None
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
