"""The planner's run and the plan it returns: needs, the design (per VPC or hub), network
ACLs, then the changes in dependency order, the manual steps, scope, cost and id (pure)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Sequence

import msgspec

from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.verdict import CheckResult
from ssmreach.model.estate import Estate
from ssmreach.plan.acls import network_acls
from ssmreach.plan.changes import Change
from ssmreach.plan.hub import hub
from ssmreach.plan.needs import VpcNeeds, collect
from ssmreach.plan.per_vpc import per_vpc
from ssmreach.plan.plan import Plan, Scope, fingerprint
from ssmreach.plan.shared import PlanOptions
from ssmreach.plan.state import PlanState

_KIND_ORDER = {
    "SetVpcAttribute": 0,
    "CreateSecurityGroup": 1,
    "AuthorizeIngress": 2,
    "CreateInterfaceEndpoint": 3,
    "ModifyEndpointPrivateDns": 4,
    "ModifyEndpointSecurityGroups": 5,
    "SetEndpointPolicy": 6,
    "CreateGatewayEndpoint": 7,
    "AssociateGatewayRouteTables": 8,
    "AddNetworkAclEntry": 9,
    "AuthorizeEgress": 10,
    "CreateRoute": 11,
    "CreatePrivateHostedZone": 12,
    "AssociateHostedZone": 13,
}


def make_plan(
    estate: Estate, result: CheckResult | None = None, options: PlanOptions | None = None
) -> Plan:
    """The plan for `estate` (and its check result, computed when not given)."""
    options = options or PlanOptions()
    if result is None:
        result = check_estate(
            estate, CheckOptions(features=options.features, instances=options.instances)
        )
    elif options.instances:
        wanted = set(options.instances)
        result = _filter(result, wanted)
    return _plan(PlanState(estate, options), result)


def _filter(result: CheckResult, wanted: set[str]) -> CheckResult:
    return dataclasses.replace(
        result, results=tuple(r for r in result.results if r.instance in wanted)
    )


def _plan(state: PlanState, result: CheckResult) -> Plan:
    options = state.options
    vpcs = collect(state, result)
    rest = list(vpcs.values())
    if options.hub:
        rest = hub(state, options.hub, vpcs)
    for vpc in sorted(rest, key=lambda v: (v.region.account, v.region.region, v.vpc_id)):
        if vpc.needs:
            per_vpc(state, vpc)
    network_acls(state, vpcs.values())
    changes = _ordered(
        [
            msgspec.structs.replace(c, fixes=tuple(sorted(state.fixes.get(c.id, ()))))
            for c in state.changes.values()
        ]
    )
    scope = _scope(state, vpcs)
    print_fp = fingerprint(state.estate, scope)
    return Plan(
        id=_plan_id(print_fp, changes),
        source=state.estate.source,
        snapshot_created=state.estate.created,
        fingerprint=print_fp,
        scope=scope,
        features=tuple(options.features),
        design="hub" if options.hub else "per-vpc",
        hub_vpc=options.hub,
        vpcs=tuple(sorted(state.designs, key=lambda d: (d.account, d.region, d.vpc_id))),
        changes=changes,
        manual=state.manual.steps(),
        monthly_cost=round(sum(c.monthly_cost for c in changes), 2),
        pricing=state.costs.pricing(),
    )


def _scope(state: PlanState, vpcs: dict[tuple[str, str, str], VpcNeeds]) -> tuple[Scope, ...]:
    """The VPCs the plan covers (and the hub), per account and Region."""
    scope_map: dict[tuple[str, str], set[str]] = defaultdict(set)
    for account, region_name, vpc_id in vpcs:
        scope_map[(account, region_name)].add(vpc_id)
    if state.options.hub:
        home = state.estate.vpc_home[state.options.hub]
        scope_map[home].add(state.options.hub)
    return tuple(
        Scope(account=a, region=r, vpc_ids=tuple(sorted(v)))
        for (a, r), v in sorted(scope_map.items())
    )


def _ordered(changes: list[Change]) -> tuple[Change, ...]:
    """Dependency order (a change after everything it depends on), stable by kind and id."""
    by_id = {c.id: c for c in changes}
    fixed: list[Change] = []
    for change in changes:
        deps = tuple(
            dict.fromkeys(d for d in (*change.depends_on, *change.references()) if d in by_id)
        )
        fixed.append(msgspec.structs.replace(change, depends_on=deps))
    pending = sorted(
        fixed, key=lambda c: (c.account, c.region, _KIND_ORDER[type(c).__name__], c.id)
    )
    done: set[str] = set()
    out: list[Change] = []
    while pending:
        for change in pending:
            if all(d in done for d in change.depends_on):
                out.append(change)
                done.add(change.id)
                pending.remove(change)
                break
        else:  # a cycle cannot happen (dependencies point at earlier kinds); keep going anyway
            out.extend(pending)
            break
    return tuple(out)


def _plan_id(print_fp: str, changes: Sequence[Change]) -> str:
    digest = hashlib.sha256(print_fp.encode())
    for change in changes:
        digest.update(msgspec.json.encode(change))
    return "plan-" + digest.hexdigest()[:12]
