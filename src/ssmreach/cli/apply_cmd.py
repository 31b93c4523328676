"""`ssmreach apply`: carry out a plan against the live account, then check again."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ssmreach.analysis.verdict import CheckResult, Verdict
from ssmreach.apply import (
    ApplyOptions,
    ApplyResult,
    carry_out,
    client_factory,
    prepare_apply,
    regions_of,
    state_reader,
)
from ssmreach.apply.lock import apply_lock
from ssmreach.cli.live import live_options
from ssmreach.cli.plan_cmd import compute_plan, plan_options
from ssmreach.errors import SsmreachError, UsageError
from ssmreach.plan import Plan, decode_plan
from ssmreach.plan.render import render_plan_text

__all__ = ["apply_command", "read_plan_file"]


class ApplyFailed(SsmreachError):
    """A step failed; what this run did was rolled back."""

    exit_code = 1


def read_plan_file(path: Path) -> Plan:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the plan ({exc.strerror or exc})") from None
    return decode_plan(data, str(path))


def _counts(result: CheckResult | None) -> str:
    if result is None:
        return "not checked"
    return ", ".join(f"{result.count(v)} {v.value}" for v in Verdict)


def render_result(result: ApplyResult) -> str:
    lines = [f"apply {result.plan_id}{' (dry run)' if result.dry_run else ''}:"]
    for step in result.steps:
        detail = f" {step.resource}" if step.resource else ""
        note = f" ({step.note})" if step.note else ""
        lines.append(f"  {step.status:<11} {step.summary}{detail}{note}")
    if result.failed is not None:
        lines.append(f"failed: {result.failed.summary}: {result.failed.note}")
        for what in result.rolled_back:
            lines.append(f"  rolled back: {what}")
        for what in result.left:
            lines.append(f"  LEFT: {what}")
        if not result.left:
            lines.append("everything this run created was removed again")
    if result.stale:
        lines.append("note: the account had changed since the plan was made (--force)")
    lines.append(f"before: {_counts(result.before)}")
    if not result.dry_run:
        lines.append(f"after:  {_counts(result.after)}")
    return "\n".join(lines) + "\n"


def _refuse_other_accounts(plan: Plan, reachable: tuple[str, ...]) -> None:
    """apply writes with one set of credentials: a plan with changes for other accounts (a
    shared VPC's owner, a participant) is refused whole, naming them, before anything runs."""
    others = sorted({c.account for c in plan.changes} - set(reachable))
    if others:
        raise UsageError(
            f"the plan changes account(s) {', '.join(others)}, which these credentials do not "
            f"reach ({', '.join(reachable) or 'no account'}); apply each account's part with its "
            "own credentials (`ssmreach plan` there), or export the plan (`ssmreach export`)"
        )


@click.command("apply")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(path_type=Path),
    help="Carry out this plan file (from `plan --format json`); without it, plan from the "
    "live account first.",
)
@live_options
@plan_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Send the EC2 calls with DryRun (checks permissions); change nothing.",
)
@click.option(
    "--force", is_flag=True, help="Apply even though the account changed since the plan was made."
)
@click.option(
    "--timeout",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds to wait for each new endpoint to become available.",
)
def apply_command(
    plan_file: Path | None,
    region: tuple[str, ...],
    profile: str | None,
    role_arn: tuple[str, ...],
    features: tuple[str, ...],
    hub: str | None,
    yes: bool,
    dry_run: bool,
    force: bool,
    timeout: float,
) -> None:
    """Carry out a plan against the live account, then check again.

    Shows the plan and asks before changing anything (unless --yes). Changes are
    made in dependency order, tagged ssmreach:managed=true and ssmreach:plan-id;
    a second run changes nothing. If a step fails, what this run created is
    removed again and the output says what is left. A plan file is refused when
    the account changed since it was made (unless --force), and so is any change of
    it that a plan recomputed from the account as it is now does not hold: what is
    shown and carried out comes from that fresh plan, never from text in the file.

    Exit codes: 0 applied; 1 a step failed (rolled back) or cancelled; 2 bad input,
    stale plan, or no answer to the question.

    \b
    Examples:
      ssmreach plan --region eu-west-1 --format json --output plan.json
      ssmreach apply --plan plan.json
      ssmreach apply --plan plan.json --dry-run
      ssmreach apply --region eu-west-1 --yes
    """
    if role_arn:
        raise UsageError("apply works on one account: drop --role-arn (use --profile)")
    if plan_file is not None:
        if region or features or hub:
            raise UsageError(
                "--plan carries its own Regions, features and design; "
                "drop --region, --feature and --hub"
            )
        plan = read_plan_file(plan_file)
    else:
        plan = compute_plan(None, region, profile, (), features, hub)
    if plan.empty:
        click.echo(render_plan_text(plan), nl=False)
        click.echo("Nothing to apply.")
        return
    with apply_lock(plan):
        read_state = state_reader(regions_of(plan), profile=profile)
        state = read_state()
        _refuse_other_accounts(plan, state.account_ids)
        # What is shown and carried out is recomputed from the account as it is now: a
        # change of the file that a fresh plan does not hold is refused (plan/verify.py).
        prepared = prepare_apply(plan, state, force=force, source=str(plan_file or "the plan"))
        plan = prepared.plan
        click.echo(render_plan_text(plan), nl=False)
        if not yes and not dry_run:
            try:
                go = click.confirm(f"Apply these {len(plan.changes)} change(s)?", default=False)
            except click.Abort:
                raise UsageError(
                    "no answer on stdin: pass --yes to apply without asking (or --dry-run)"
                ) from None
            if not go:
                click.echo("Cancelled; nothing changed.", err=True)
                sys.exit(1)
        result = carry_out(
            prepared,
            read_state,
            client_factory(profile=profile),
            ApplyOptions(dry_run=dry_run, force=force, timeout=timeout),
        )
        click.echo(render_result(result), nl=False)
        if not result.ok:
            assert result.failed is not None
            raise ApplyFailed(
                f"{result.failed.change_id} failed ({result.failed.note}); "
                + ("rolled back" if not result.left else f"{len(result.left)} thing(s) left")
            )
