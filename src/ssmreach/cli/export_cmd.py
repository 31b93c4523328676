"""`ssmreach export`: the plan as a CloudFormation template or a Terraform folder."""

from __future__ import annotations

from pathlib import Path

import click

from ssmreach.cli.apply_cmd import read_plan_file
from ssmreach.cli.live import live_options
from ssmreach.cli.output import write_output
from ssmreach.cli.plan_cmd import compute_plan, plan_options
from ssmreach.errors import UsageError
from ssmreach.export import render_cloudformation, render_terraform

__all__ = ["export_command"]


@click.command("export")
@click.option(
    "--snapshot",
    "snapshot",
    type=click.Path(path_type=Path),
    help="Plan from this snapshot folder.",
)
@click.option("--plan", "plan_file", type=click.Path(path_type=Path), help="Export this plan file.")
@live_options
@plan_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terraform", "cloudformation"]),
    required=True,
    help="terraform: a folder of .tf files; cloudformation: one template (JSON when PATH "
    "ends in .json, YAML otherwise).",
)
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path),
    required=True,
    help="The folder (terraform) or file (cloudformation) to write.",
)
def export_command(
    snapshot: Path | None,
    plan_file: Path | None,
    region: tuple[str, ...],
    profile: str | None,
    role_arn: tuple[str, ...],
    features: tuple[str, ...],
    hub: str | None,
    fmt: str,
    output: Path,
) -> None:
    """The plan as infrastructure code.

    CloudFormation: one template that passes cfn-lint; changes a stack cannot make
    on resources it does not own (private DNS, groups or route tables added to
    existing endpoints, policies, VPC DNS attributes) are listed with their AWS CLI
    command under Metadata.ssmreach. Terraform: versions.tf, variables.tf (tags,
    endpoint policies, Region), main.tf, outputs.tf and README.md; existing
    resources are changed through standalone association resources.

    \b
    Examples:
      ssmreach export --snapshot snap/ --format terraform --output ssm-endpoints/
      ssmreach export --plan plan.json --format cloudformation --output stack.yaml
    """
    if plan_file is not None:
        if snapshot is not None or region or profile or role_arn or features or hub:
            raise UsageError("--plan is the whole input: drop the other input options")
        plan = read_plan_file(plan_file)
    else:
        plan = compute_plan(snapshot, region, profile, role_arn, features, hub)
    if fmt == "cloudformation":
        if output.is_dir():
            raise UsageError(f"{output} is a folder; cloudformation writes one file")
        style = "json" if output.suffix.lower() == ".json" else "yaml"
        write_output(render_cloudformation(plan, style).encode(), output)  # type: ignore[arg-type]
        click.echo(f"wrote {output} ({len(plan.changes)} change(s))", err=True)
        return
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file; terraform writes a folder")
    files = render_terraform(plan)
    output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        write_output(text.encode(), output / name)
    click.echo(f"wrote {len(files)} files to {output} ({len(plan.changes)} change(s))", err=True)
