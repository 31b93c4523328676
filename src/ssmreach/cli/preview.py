"""`--terraform-plan`: check the estate as a Terraform plan will leave it.

The plan (`terraform show -json plan.out`) is laid over the snapshot, the live account,
or nothing (`--plan-alone`), and the result is checked like any estate. The verdicts
before the plan are checked too, so the run can say what the plan makes worse or better.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ssmreach.analysis.diff import Diff, diff_documents
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.cli.loading import estate_of, load_raw
from ssmreach.errors import UsageError
from ssmreach.model.estate import Estate
from ssmreach.preview.overlay import overlay_plan
from ssmreach.preview.plan_document import read_plan
from ssmreach.report.json_report import check_document

SHOWN = 10
"""Changed verdicts listed by name on stderr; the rest are counted."""


@dataclass(frozen=True, slots=True)
class Planned:
    before: Estate | None  # None: the plan alone
    after: Estate


def plan_options(function: Any) -> Any:
    """`--terraform-plan`, `--terraform-account`, `--plan-alone` and `--fail-on-worse`."""
    function = click.option(
        "--fail-on-worse",
        is_flag=True,
        help="With --terraform-plan: exit 1 when the plan makes any verdict worse (a pre-deploy gate).",
    )(function)
    function = click.option(
        "--plan-alone",
        is_flag=True,
        help="With --terraform-plan: check the planned resources alone, reading no snapshot "
        "or account (what the plan does not hold, such as IAM and the SSM agent, is UNKNOWN).",
    )(function)
    function = click.option(
        "--terraform-account",
        metavar="ID",
        help="With --terraform-plan: the account the plan deploys to, when the snapshot holds several.",
    )(function)
    return click.option(
        "--terraform-plan",
        "terraform_plan",
        type=click.Path(path_type=Path, dir_okay=False),
        metavar="FILE",
        help="Check the estate as this Terraform plan leaves it (`terraform show -json plan.out`): "
        "its VPCs, subnets, security groups and rules, route tables and routes, network ACLs, "
        "VPC endpoints, private zones and instances laid over the snapshot or the live account.",
    )(function)


def planned_estate(
    plan_path: Path,
    snapshot: Path | None,
    region: tuple[str, ...],
    profile: str | None,
    role_arn: tuple[str, ...],
    *,
    account: str | None,
    alone: bool,
) -> Planned:
    plan = read_plan(plan_path)
    if alone and (snapshot is not None or region or profile or role_arn):
        raise UsageError(
            "--plan-alone reads no snapshot or account; drop --snapshot and the live options"
        )
    raw = None if alone else load_raw(snapshot, region, profile, role_arn)
    before = estate_of(raw, snapshot) if raw is not None else None
    overlay = overlay_plan(plan, raw, account=account)
    for note in overlay.notes:
        click.echo(f"warning: {plan_path}: {note}", err=True)
    click.echo(
        f"{plan_path}: {overlay.changed} planned change(s) laid over "
        f"{'nothing (--plan-alone)' if alone else 'the snapshot' if snapshot else 'the account'}; "
        f"{len(overlay.placeholders)} id(s) known only after apply are shown as <prefix>-plan<hash>",
        err=True,
    )
    return Planned(before=before, after=estate_of(overlay.raw, None))


def plan_diff(
    planned: Planned, options: CheckOptions, after_document: dict[str, Any]
) -> Diff | None:
    """What the plan changes, verdict by verdict (None for a plan checked alone)."""
    if planned.before is None:
        return None
    before = check_document(check_estate(planned.before, options))
    return diff_documents(before, after_document)


def echo_plan_diff(diff: Diff | None, plan_path: Path) -> None:
    if diff is None:
        return
    new = f", {len(diff.added)} new (planned instances)" if diff.added else ""
    click.echo(
        f"{plan_path}: {len(diff.worse)} verdict(s) worse, {len(diff.better)} better{new} once applied",
        err=True,
    )
    for label, changes in (("worse", diff.worse), ("better", diff.better)):
        for change in changes[:SHOWN]:
            codes = ", ".join(change.codes_added) or ", ".join(change.codes_removed)
            click.echo(
                f"  {label}: {change.name or change.instance} {change.feature}: "
                f"{change.before.value} -> {change.after.value}{f' ({codes})' if codes else ''}",
                err=True,
            )
        if len(changes) > SHOWN:
            click.echo(f"  ... and {len(changes) - SHOWN} more {label}", err=True)
