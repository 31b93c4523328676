"""`ssmreach diff BEFORE AFTER`: which verdicts got worse or better, and what changed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ssmreach.analysis.diff import diff_document, diff_documents
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.cli.live import feature_option
from ssmreach.cli.loading import load_estate
from ssmreach.cli.output import write_output
from ssmreach.errors import UsageError
from ssmreach.report.diff_report import render_diff_markdown, render_diff_text
from ssmreach.report.json_report import check_document


def _side(path: Path, features: tuple[str, ...]) -> dict[str, Any]:
    """A snapshot folder is checked; a file is read as an ssmreach.check/1 document."""
    if path.is_dir():
        estate = load_estate(path, (), None, ())
        return check_document(check_estate(estate, CheckOptions(features=features)))
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, RecursionError):
        raise UsageError(
            f"{path}: neither a snapshot folder nor a check report (ssmreach.check/1 JSON)"
        ) from None
    if not isinstance(document, dict) or document.get("format") != "ssmreach.check/1":
        raise UsageError(
            f"{path}: not a check report; write one with `ssmreach check --format json --output FILE`"
        )
    return document


@click.command("diff")
@click.argument("before", type=click.Path(path_type=Path, exists=True))
@click.argument("after", type=click.Path(path_type=Path, exists=True))
@feature_option("Only this feature, for snapshots")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json (ssmreach.diff/1) for machines, markdown for a PR comment.",
)
@click.option("--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
def diff_command(
    before: Path, after: Path, features: tuple[str, ...], fmt: str, output: Path | None
) -> None:
    """Which instance and feature verdicts got worse or better between two checks.

    BEFORE and AFTER are snapshot folders or saved `check --format json` reports. For
    each change it names the first hop that differs (the security group, route table,
    endpoint ... whose configuration changed) and the findings that came or went.

    Exit codes: 0 nothing got worse; 1 something got worse (for CI on a schedule);
    2 bad input.

    \b
    Examples:
      ssmreach diff snap-monday/ snap-tuesday/
      ssmreach diff yesterday.json today.json --format markdown --output diff.md
    """
    chosen = features or DEFAULT_FEATURES
    try:
        diff = diff_documents(_side(before, chosen), _side(after, chosen))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if fmt == "json":
        data = (json.dumps(diff_document(diff), indent=1) + "\n").encode()
    elif fmt == "markdown":
        data = render_diff_markdown(diff).encode()
    else:
        data = render_diff_text(diff).encode()
    write_output(data, output)
    if diff.worse:
        sys.exit(1)
