"""The plan as text a person reads: grouped by VPC, with what each change fixes and costs."""

from __future__ import annotations

from collections import defaultdict

from ssmreach.plan.changes import Change
from ssmreach.plan.plan import Plan

__all__ = ["render_plan_text"]


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _fixes(change: Change) -> str:
    if not change.fixes:
        return ""
    instances = sorted({f.instance for f in change.fixes})
    codes = sorted({f.code for f in change.fixes})
    shown = ", ".join(instances[:3]) + (f" +{len(instances) - 3}" if len(instances) > 3 else "")
    return f"fixes {', '.join(codes)} for {shown}"


def render_plan_text(plan: Plan) -> str:
    """Every change under its VPC, the manual steps, the permissions and the total cost."""
    lines: list[str] = []
    design = "hub and spoke, hub " + plan.hub_vpc if plan.hub_vpc else "endpoints per VPC"
    lines.append(
        f"ssmreach plan {plan.id}: {len(plan.changes)} change(s), {len(plan.manual)} manual step(s), "
        f"{_money(plan.monthly_cost)}/month ({design})"
    )
    lines.append(f"computed from {plan.source} ({plan.fingerprint[:19]}…)")
    lines.append(f"features: {', '.join(plan.features)}")
    if not plan.changes and not plan.manual:
        lines.append("")
        lines.append("Nothing to change: every checked instance already reaches SSM privately.")
        return "\n".join(lines) + "\n"
    by_vpc: dict[str, list[Change]] = defaultdict(list)
    for change in plan.changes:
        by_vpc[change.vpc_id or "(account-wide)"].append(change)
    number = {c.id: n for n, c in enumerate(plan.changes, 1)}
    roles = {d.vpc_id: d for d in plan.vpcs}
    for vpc_id in sorted(by_vpc):
        changes = by_vpc[vpc_id]
        design_of = roles.get(vpc_id)
        cost = sum(c.monthly_cost for c in changes)
        head = f"{vpc_id}"
        if design_of is not None:
            head += f" ({design_of.role}, {design_of.account} {design_of.region}; {len(design_of.instances)} instance(s))"
        lines.append("")
        lines.append(f"{head}: {_money(cost)}/month")
        for change in changes:
            n = number[change.id]
            cost_text = f"  {_money(change.monthly_cost)}/month" if change.monthly_cost else ""
            lines.append(f"  {n:>2}. {change.summary}{cost_text}")
            details = [
                _fixes(change),
                (
                    "after " + ", ".join(str(number[d]) for d in change.depends_on if d in number)
                    if change.depends_on
                    else ""
                ),
                "needs " + ", ".join(change.permissions),
            ]
            for detail in details:
                if detail:
                    lines.append(f"      {detail}")
    if plan.manual:
        lines.append("")
        lines.append("Not planned, needs a person:")
        for step in plan.manual:
            who = ", ".join(step.instances[:3]) + (
                f" +{len(step.instances) - 3}" if len(step.instances) > 3 else ""
            )
            lines.append(f"  {step.code}  {step.resource or ''}  ({who or 'no instance'})")
            lines.append(f"      {step.message}")
            if step.fix:
                lines.append(f"      fix: {step.fix}")
    lines.append("")
    approx = " (approximate prices)" if plan.pricing and plan.pricing.approximate else ""
    lines.append(f"Total: {_money(plan.monthly_cost)}/month{approx}")
    if plan.pricing:
        lines.append(
            f"Prices from {', '.join(plan.pricing.sources)} as of {plan.pricing.date}; {plan.pricing.note}."
        )
    if plan.changes:
        lines.append(f"IAM permissions to apply: {', '.join(plan.permissions())}")
    return "\n".join(lines) + "\n"
