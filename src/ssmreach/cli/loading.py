"""Where `check`, `plan`, `diff` and `baseline` get their estate: a snapshot folder or the
live account, parsed by the one reader; a read without instances is an error."""

from __future__ import annotations

from pathlib import Path

import click

from ssmreach.cli.live import collect_live
from ssmreach.errors import CollectError, SnapshotError, UsageError
from ssmreach.model.estate import Estate
from ssmreach.model.raw import OperationKey, RawSnapshot, read_raw_snapshot
from ssmreach.model.reader import parse_snapshot


def load_raw(
    snapshot: Path | None, region: tuple[str, ...], profile: str | None, role_arn: tuple[str, ...]
) -> RawSnapshot:
    """The raw answers of a snapshot folder, or of the live account read now."""
    if snapshot is not None:
        if region or profile or role_arn:
            raise UsageError(
                "--snapshot reads a folder; do not combine it with --region, --profile or --role-arn"
            )
        return read_raw_snapshot(snapshot, lazy=True)
    return collect_live(region, profile, role_arn)


def estate_of(raw: RawSnapshot, snapshot: Path | None) -> Estate:
    """Parse raw answers, warn about what was skipped, and refuse a read without instances."""
    estate = parse_snapshot(raw)
    for note in estate.skipped:
        click.echo(f"warning: skipped {note}", err=True)
    _require_instances(estate, snapshot)
    return estate


def load_estate(
    snapshot: Path | None, region: tuple[str, ...], profile: str | None, role_arn: tuple[str, ...]
) -> Estate:
    """The estate from a snapshot folder, or read live with the same collector and parser."""
    return estate_of(load_raw(snapshot, region, profile, role_arn), snapshot)


def _require_instances(estate: Estate, snapshot: Path | None) -> None:
    """No instances read is not "no instances": an absent or denied DescribeInstances is
    an error naming the file (or the call), never an empty, passing report."""
    for (account, region_name), data in sorted(estate.regions.items()):
        gap = data.gap("DescribeInstances")
        if gap is None:
            continue
        if gap.detail.startswith("OptInRequired"):
            # A Region the account has not enabled holds nothing: say so, do not stop.
            click.echo(f"warning: {gap.describe()}; that Region is skipped", err=True)
            continue
        if snapshot is not None:
            key = OperationKey(account, region_name, "ec2", "DescribeInstances")
            path = snapshot / key.relative_path(error=gap.kind != "missing")
            problem = (
                "is missing: without it no instance can be checked; collect the snapshot again"
                if gap.kind == "missing"
                else f"records that ec2:DescribeInstances {'was denied' if gap.kind == 'denied' else 'failed'} ({gap.detail}); grant the permissions from `ssmreach permissions` and collect again"
            )
            raise SnapshotError(str(path), problem)
        raise CollectError(
            f"{gap.describe()}: without it no instance can be checked; grant the permissions from `ssmreach permissions`"
        )
