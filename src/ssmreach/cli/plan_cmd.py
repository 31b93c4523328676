"""`ssmreach plan`: the smallest set of changes that makes the checked instances PRIVATE."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ssmreach.analysis.features import DEFAULT_FEATURES, FEATURES
from ssmreach.cli.live import live_options
from ssmreach.cli.loading import load_estate
from ssmreach.cli.output import write_output
from ssmreach.plan import Plan, PlanOptions, encode_plan, make_plan
from ssmreach.plan.render import render_plan_text

__all__ = ["compute_plan", "plan_command", "plan_options"]

F = TypeVar("F", bound=Callable[..., Any])


def compute_plan(
    snapshot: Path | None,
    region: tuple[str, ...],
    profile: str | None,
    role_arn: tuple[str, ...],
    features: tuple[str, ...],
    hub: str | None,
) -> Plan:
    """The plan for a snapshot folder or the live account (shared by plan, apply, export)."""
    estate = load_estate(snapshot, region, profile, role_arn)
    return make_plan(estate, options=PlanOptions(features=features or DEFAULT_FEATURES, hub=hub))


def plan_options(command: F) -> F:
    """Add `--feature` (repeatable) and `--hub`, passed as `features` and `hub`."""
    command = click.option(
        "--hub",
        "hub",
        metavar="VPC",
        help="Hub and spoke: interface endpoints in this VPC (private DNS off) and one private "
        "hosted zone per service name for every other VPC of its account and Region.",
    )(command)
    command = click.option(
        "--feature",
        "features",
        multiple=True,
        type=click.Choice(FEATURES),
        help=f"Plan for this feature (repeatable). Default: {', '.join(DEFAULT_FEATURES)}.",
    )(command)
    return command


@click.command("plan")
@click.option(
    "--snapshot",
    "snapshot",
    type=click.Path(path_type=Path),
    help="Plan from this snapshot folder instead of the live account.",
)
@live_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json is the plan file `apply --plan` and `export --plan` read.",
)
@click.option(
    "--output", "output", type=click.Path(path_type=Path), help="Write to this file, not stdout."
)
@plan_options
def plan_command(
    snapshot: Path | None,
    region: tuple[str, ...],
    profile: str | None,
    role_arn: tuple[str, ...],
    fmt: str,
    output: Path | None,
    features: tuple[str, ...],
    hub: str | None,
) -> None:
    """The smallest set of changes that makes the checked instances PRIVATE.

    Per VPC: interface endpoints for the services that are not reached privately
    (private DNS on), one endpoint security group, the S3 gateway endpoint on the
    instances' route tables, endpoint policies, missing egress rules and VPC DNS
    attributes. Existing endpoints are modified, never replaced; nothing is ever
    deleted. Causes a plan cannot fix (IAM, IMDS, custom DNS, ...) are listed as
    manual steps. Each change says what it fixes, what it needs first, the IAM
    permissions and the monthly cost.

    \b
    Examples:
      ssmreach plan --snapshot snap/
      ssmreach plan --snapshot snap/ --format json --output plan.json
      ssmreach plan --region eu-west-1 --hub vpc-0abc --feature session-manager
    """
    plan = compute_plan(snapshot, region, profile, role_arn, features, hub)
    data = encode_plan(plan) if fmt == "json" else render_plan_text(plan).encode()
    write_output(data, output)
