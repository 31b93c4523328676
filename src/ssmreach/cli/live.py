"""Options and helpers shared by every command that reads a live account.

`live_options` adds `--region` (repeatable, comma-separated, `all`), `--profile` and
`--role-arn` (repeatable). `collect_live` runs the collector with a progress display
on a terminal and a one-line summary on stderr, and returns the `RawSnapshot` that
`ssmreach snapshot` would have written: a live check parses exactly what an offline
check reads.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ssmreach.collect import CollectResult, ProgressEvent
from ssmreach.model.raw import RawSnapshot

F = TypeVar("F", bound=Callable[..., Any])

MAX_WORKERS = 4
_SHOWN_NAMES = 3
_WIDTH = 42  # progress description: "<region> <Operation>", fixed so the bar stays put
_TIMES = "\u00d7"  # the multiplication sign


def live_options(command: F) -> F:
    """Add `--region`, `--profile` and `--role-arn`, passed as `region`, `profile`, `role_arn`."""
    command = click.option(
        "--role-arn",
        "role_arn",
        multiple=True,
        metavar="ARN",
        help="Also read the account of this IAM role, assumed with your credentials "
        "(session name `ssmreach`). Repeat for more accounts.",
    )(command)
    command = click.option(
        "--profile",
        "profile",
        metavar="NAME",
        help="AWS profile for the base credentials (default: the standard credential chain, "
        "AWS_PROFILE).",
    )(command)
    command = click.option(
        "--region",
        "region",
        multiple=True,
        metavar="REGION",
        help="Region to read; repeat or comma-separate for more, `all` for every enabled "
        "Region (default: AWS_REGION or the profile's Region).",
    )(command)
    return command


# --- progress ------------------------------------------------------------------------------


@contextmanager
def _progress_display(enabled: bool) -> Iterator[Callable[[ProgressEvent], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    display = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task_id = display.add_task("reading".ljust(_WIDTH), total=None)

    def on_event(event: ProgressEvent) -> None:
        if event.kind == "start":
            display.update(task_id, total=event.total)
        else:
            text = f"{event.region} {event.operation}"
            display.update(task_id, advance=1, description=text[:_WIDTH].ljust(_WIDTH))

    with display:
        yield on_event


# --- running and reporting -------------------------------------------------------------------


def run_collection(
    region: Sequence[str],
    profile: str | None,
    role_arn: Sequence[str],
    *,
    quiet: bool = False,
) -> CollectResult:
    """Run the collector, with a progress display when stderr is a terminal."""
    with _progress_display(not quiet and sys.stderr.isatty()) as progress:
        from ssmreach.collect import collect_snapshot  # boto3 loads only when an account is read

        return collect_snapshot(
            region,
            profile=profile,
            role_arns=role_arn,
            max_workers=MAX_WORKERS,
            progress=progress,
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN_NAMES])
    return shown + (f", +{len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else "")


def summary_line(
    result: CollectResult, *, label: str = "read", destination: str | Path | None = None
) -> str:
    """One line: accounts by Regions, calls, what was denied/throttled/failed, time, folder."""
    stats = result.stats
    accounts = _plural(len(result.accounts), "account")
    regions = _plural(len(result.regions), "Region")
    parts = [f"{accounts} {_TIMES} {regions}", _plural(stats.calls, "call")]
    for kind, names, hint in (
        ("denied", stats.denied, ""),
        ("throttled", stats.throttled, "; still throttled after retries, run again later"),
        ("failed", stats.failed, ""),
    ):
        count = sum(1 for f in stats.failures if f.kind == kind)
        if count:
            parts.append(f"{count} {kind} ({_names(names)}{hint})")
    parts.append(f"{stats.seconds:.1f} s")
    line = f"{label}: " + ", ".join(parts)
    if destination is not None:
        line += f" → {destination}"
    return line


def collect_live(
    region: Sequence[str],
    profile: str | None,
    role_arn: Sequence[str],
    *,
    quiet: bool = False,
    label: str = "read",
) -> RawSnapshot:
    """Read the live account(s) into memory; `quiet` hides the progress and the summary."""
    result = run_collection(region, profile, role_arn, quiet=quiet)
    if not quiet:
        click.echo(summary_line(result, label=label), err=True)
    return result.raw


def feature_option(purpose: str = "Only this feature") -> Callable[[F], F]:
    """`--feature` (repeatable), the same for every command that picks features."""
    from ssmreach.analysis.features import DEFAULT_FEATURES, FEATURES

    return click.option(
        "--feature",
        "features",
        multiple=True,
        type=click.Choice(FEATURES),
        help=f"{purpose} (repeatable). Default: {', '.join(DEFAULT_FEATURES)}.",
    )
