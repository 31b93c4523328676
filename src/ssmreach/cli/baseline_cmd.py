"""`ssmreach baseline`: write a baseline that accepts today's findings, to review and trim."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ssmreach.analysis.baseline import DEFAULT_FILE, baseline_document
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.cli.live import feature_option, live_options
from ssmreach.cli.loading import load_estate
from ssmreach.cli.output import write_output
from ssmreach.errors import UsageError

HEADER = (
    "# ssmreach baseline: accepted findings. `ssmreach check` shows them as accepted and\n"
    "# does not fail on them. Keep only what you mean to accept, say why in `reason`, and\n"
    "# give each an `expires: YYYY-MM-DD` so that it is looked at again.\n"
)


@click.command("baseline")
@click.option(
    "--snapshot", "snapshot", type=click.Path(path_type=Path), help="Read this snapshot folder."
)
@live_options
@feature_option()
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_FILE,
    show_default=True,
    help="The baseline file to write.",
)
@click.option("--reason", "note", default="", help="The reason written on every entry.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def baseline_command(
    snapshot: Path | None,
    region: tuple[str, ...],
    profile: str | None,
    role_arn: tuple[str, ...],
    features: tuple[str, ...],
    output: Path,
    note: str,
    force: bool,
) -> None:
    """Write a baseline that accepts every finding of today's check.

    One entry per reason code and resource. Review it: keep what you mean to accept,
    write why, add expiry dates; `ssmreach check` reads it from the current folder
    (or --baseline FILE), shows those findings as accepted and does not fail on them.

    \b
    Examples:
      ssmreach baseline --snapshot snap/
      ssmreach baseline --snapshot snap/ --output ops/baseline.yaml --reason "legacy VPCs, TICKET-12"
    """
    import yaml

    if output.exists() and not force:
        raise UsageError(f"{output} exists: edit it, or pass --force to write a new one")
    estate = load_estate(snapshot, region, profile, role_arn)
    result = check_estate(estate, CheckOptions(features=features or DEFAULT_FEATURES))
    document = baseline_document(result, date.today(), note=note)
    text = HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    write_output(text.encode("utf-8"), output)
    click.echo(f"wrote {output}: {len(document['accepted'])} accepted finding(s)", err=True)
