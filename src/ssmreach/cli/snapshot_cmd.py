"""`ssmreach snapshot`: read the live account(s) and write a snapshot folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ssmreach.cli.live import live_options, run_collection, summary_line
from ssmreach.errors import SnapshotError
from ssmreach.model.raw import write_raw_snapshot


def _ensure_new_folder(folder: Path) -> None:
    """Refuse an existing non-empty --output before spending time on reading."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SnapshotError(
            str(folder), "already exists and is not empty; choose a new --output folder"
        )


@click.command("snapshot")
@click.option(
    "--output",
    "-o",
    "output",
    required=True,
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Folder to create (it must not exist, or be empty).",
)
@live_options
def snapshot_command(
    output: Path, region: Sequence[str], profile: str | None, role_arn: Sequence[str]
) -> None:
    """Read the account(s) with read-only calls and write a snapshot folder.

    The folder holds the raw AWS answers (format ssmreach-snapshot/1), one JSON file
    per API operation, per account and Region. `ssmreach check --snapshot DIR` reads
    it offline; it can be shared without credentials and compared with ordinary
    tools. An operation that is denied or fails is written as
    <Operation>.error.json and the run goes on; checks that need it answer UNKNOWN.
    `ssmreach permissions` prints the IAM policy this needs.

    \b
    Examples:
      ssmreach snapshot --output snap/ --region us-east-1
      ssmreach snapshot -o snap/ --region us-east-1,eu-west-1 --profile audit
      ssmreach snapshot -o snap/ --region all \\
          --role-arn arn:aws:iam::111122223333:role/ssmreach-read
    """
    _ensure_new_folder(output)
    result = run_collection(region, profile, role_arn)
    write_raw_snapshot(result.raw, output)
    click.echo(summary_line(result, label="snapshot", destination=output), err=True)
