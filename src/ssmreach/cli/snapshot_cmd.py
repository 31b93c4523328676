"""`ssmreach snapshot`: read the live account(s) and write a snapshot folder, complete
an `--org` snapshot with the accounts it could not read (`--resume`), or join the shards
of an organization read on several machines (`snapshot merge`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
import msgspec

from ssmreach.cli.live import live_options, org_options, report_collection, run_collection
from ssmreach.errors import SnapshotError, UsageError
from ssmreach.model.raw import read_raw_snapshot, write_raw_snapshot


def _ensure_new_folder(folder: Path) -> None:
    """Refuse an existing non-empty --output before spending time on reading."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SnapshotError(
            str(folder), "already exists and is not empty; choose a new --output folder"
        )


def _resume(folder: Path, region: Sequence[str], profile: str | None) -> None:
    """Read again only the accounts the snapshot in `folder` could not read; merge them in."""
    if org_options() is None:
        raise UsageError(
            "--resume completes an --org snapshot: pass --org --role-name NAME "
            "(and the other --org options) as for the first run"
        )
    if region:
        raise UsageError("--resume reads the Regions of the snapshot: drop --region")
    old = read_raw_snapshot(folder)
    from ssmreach.collect.resume import failed_accounts, merge_resumed, replace_folder

    failed = failed_accounts(old.manifest)
    if not failed:
        click.echo(f"{folder}: every account was read; nothing to resume", err=True)
        return
    for note in old.skipped:
        click.echo(f"warning: skipped {note}; it is not kept in the resumed snapshot", err=True)
    result = run_collection(old.manifest.regions, profile, (), resume=sorted(failed))
    replace_folder(merge_resumed(old, result), folder)
    report_collection(result, label="resume", destination=folder)


@click.group("snapshot", invoke_without_command=True)
@click.option(
    "--output",
    "-o",
    "output",
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="Folder to create (it must not exist, or be empty).",
)
@click.option(
    "--resume",
    "resume",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Complete this --org snapshot: read again only the accounts its manifest lists as "
    "not read, and merge them into it (pass the same --org options).",
)
@live_options
@click.pass_context
def snapshot_command(
    ctx: click.Context,
    output: Path | None,
    resume: Path | None,
    region: Sequence[str],
    profile: str | None,
    role_arn: Sequence[str],
) -> None:
    """Read the account(s) with read-only calls and write a snapshot folder.

    The folder holds the raw AWS answers (format ssmreach-snapshot/1), one JSON file
    per API operation, per account and Region. `ssmreach check --snapshot DIR` reads
    it offline; it can be shared without credentials and compared with ordinary
    tools. An operation that is denied or fails is written as
    <Operation>.error.json and the run goes on; checks that need it answer UNKNOWN.
    `ssmreach permissions` prints the IAM policy this needs.

    With --org, an account whose role cannot be assumed (or whose reads are all
    denied) is named on one line and in the manifest, and the others are written;
    exit 0 with a warning, or 2 when no account could be read. --resume DIR then
    reads only those accounts and merges them into DIR.

    \b
    Examples:
      ssmreach snapshot --output snap/ --region us-east-1
      ssmreach snapshot -o snap/ --region us-east-1,eu-west-1 --profile audit
      ssmreach snapshot -o snap/ --region all \\
          --role-arn arn:aws:iam::111122223333:role/ssmreach-read
      ssmreach snapshot -o org/ --region eu-west-1 --org --role-name ssmreach-read
      ssmreach snapshot --resume org/ --org --role-name ssmreach-read
      ssmreach snapshot merge -o org/ shard-a/ shard-b/
    """
    if ctx.invoked_subcommand is not None:
        if output is not None or resume is not None or role_arn or org_options() is not None:
            raise UsageError(
                f"`snapshot {ctx.invoked_subcommand}` takes its own options: put them after "
                f"`{ctx.invoked_subcommand}`"
            )
        return
    if resume is not None:
        if output is not None:
            raise UsageError("give --output DIR (a new snapshot) or --resume DIR, not both")
        _resume(resume, region, profile)
        return
    if output is None:
        raise UsageError("pass --output DIR, the snapshot folder to create")
    _ensure_new_folder(output)
    result = run_collection(region, profile, role_arn)
    write_raw_snapshot(result.raw, output)
    report_collection(result, label="snapshot", destination=output)


@snapshot_command.command("merge")
@click.option(
    "--output",
    "-o",
    "output",
    metavar="DIR",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to create (it must not exist, or be empty).",
)
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
def merge_command(output: Path, shards: Sequence[Path]) -> None:
    """Join snapshots of disjoint accounts into one snapshot folder.

    Read a large organization on several machines, one account list each
    (`snapshot --org --accounts ...` with the same --region), then merge the folders.
    Two folders holding the same account, or read in other partitions or Regions, are
    refused (exit 2) and nothing is written. Accounts one shard could not read and
    another did are read; the rest stay in the manifest's failed_accounts.

    \b
    Examples:
      ssmreach snapshot merge -o org/ shard-a/ shard-b/ shard-c/
    """
    from ssmreach.model.merge import merge_snapshots

    _ensure_new_folder(output)
    parts = [read_raw_snapshot(folder) for folder in shards]
    merged = merge_snapshots(parts)
    for note in merged.skipped:
        click.echo(f"warning: skipped {note}; it is not in the merged snapshot", err=True)
    write_raw_snapshot(merged, output)
    failed = merged.manifest.failed_accounts
    unread = "" if isinstance(failed, msgspec.UnsetType) else f", {len(failed)} not read"
    click.echo(
        f"merged {len(parts)} snapshots into {output}: {len(merged.manifest.accounts)} "
        f"accounts{unread}",
        err=True,
    )
