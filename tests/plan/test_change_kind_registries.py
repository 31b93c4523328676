"""Every change kind in `CHANGE_TYPES` is known everywhere a kind must be known.

For each kind: its apply handler (`HANDLERS`), its Terraform and CloudFormation renderers
(`TERRAFORM`, `CLOUDFORMATION`), the plan guards, and its IAM actions in the apply policy.

`plan/guards.py` has no per-kind table: a few kinds have rules of their own (a `match`),
and one rule holds for every change, that it stays in the plan's VPCs. That rule is what
is checked here, on a change of each kind moved to a VPC outside the plan.

Pricing is not per kind: `pricing.py` prices interface endpoints (per AZ-hour) and
private hosted zones (per month), and the planner sets `monthly_cost` on those two kinds
only; every other kind costs nothing by default. So no price is checked here.
"""

from __future__ import annotations

import msgspec

from export.export_plans import every_kind
from ssmreach.apply.handlers import HANDLERS
from ssmreach.export.cloudformation import CLOUDFORMATION
from ssmreach.export.terraform import TERRAFORM
from ssmreach.model.estate import Estate
from ssmreach.permissions import minimal_policy
from ssmreach.plan import changes as c
from ssmreach.plan.changes import CHANGE_TYPES
from ssmreach.plan.guards import problems

OUTSIDE_VPC = "vpc-0fffffffffffffff0"


def _declared_permissions(kind: type) -> tuple[str, ...]:
    """The `permissions` default a kind declares (what `permissions.apply_actions` reads)."""
    for field in msgspec.structs.fields(kind):
        if field.name == "permissions" and isinstance(field.default, tuple):
            return tuple(str(action) for action in field.default)
    return ()


def _apply_write_actions() -> set[str]:
    policy = minimal_policy("apply")
    statement = next(s for s in policy["Statement"] if s["Sid"] == "SsmreachApplyWrite")
    return set(statement["Action"])


def _guard_problem(sample: c.Change) -> str | None:
    """What is missing if the guards let `sample`, moved outside the plan's VPCs, pass."""
    moved = msgspec.structs.replace(sample, vpc_id=OUTSIDE_VPC)
    plan = msgspec.structs.replace(every_kind(), changes=(moved,))
    empty = Estate(source="test", created=None, partition="aws", regions={}, accounts={})
    expected = f"{moved.id} ({type(moved).__name__}) is in {OUTSIDE_VPC}, outside the plan's VPCs"
    if expected in list(problems(plan, empty)):
        return None
    return (
        "the guards let it change a VPC outside the plan: check it in src/ssmreach/plan/guards.py"
    )


def test_every_change_kind_is_in_every_per_kind_table() -> None:
    samples: dict[type, c.Change] = {}
    for change in every_kind().changes:
        samples.setdefault(type(change), change)
    write_actions = _apply_write_actions()
    missing: list[str] = []
    for kind in CHANGE_TYPES:
        name = kind.__name__
        if kind not in HANDLERS:
            missing.append(
                f"{name}: no apply handler: add it to HANDLERS in src/ssmreach/apply/handlers.py"
            )
        if kind not in TERRAFORM:
            missing.append(
                f"{name}: no Terraform renderer: add it to TERRAFORM in src/ssmreach/export/terraform.py"
            )
        if kind not in CLOUDFORMATION:
            missing.append(
                f"{name}: no CloudFormation renderer: add it to CLOUDFORMATION in src/ssmreach/export/cloudformation.py"
            )
        actions = _declared_permissions(kind)
        if not actions:
            missing.append(
                f"{name}: no IAM actions: give {name} a `permissions` default in src/ssmreach/plan/changes.py"
            )
        elif not set(actions) <= write_actions:
            missing.append(
                f"{name}: {sorted(set(actions) - write_actions)} missing from the apply policy: see src/ssmreach/permissions.py"
            )
        sample = samples.get(kind)
        if sample is None:
            missing.append(
                f"{name}: no sample change to check the guards with: add one to every_kind() in tests/export/export_plans.py"
            )
            continue
        problem = _guard_problem(sample)
        if problem:
            missing.append(f"{name}: {problem}")
    assert not missing, "change kinds missing from a per-kind table:\n" + "\n".join(missing)
