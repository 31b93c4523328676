"""`ssmreach demo`: the whole story on an embedded, offline AWS."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from ssmreach.errors import UsageError


@click.command("demo")
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path),
    default=Path("ssmreach-demo"),
    show_default=True,
    help="Folder for the snapshots, the plan and the reports (must be new or empty).",
)
def demo_command(output: Path) -> None:
    """Run the whole story on an embedded AWS: no account, no credentials, no network.

    Builds a sample estate with six kinds of problems next to healthy instances,
    checks it, shows the findings, plans the fix, applies it, and checks again.
    Snapshots, the plan and HTML/JSON reports stay in the --output folder.

    \b
    Example:
      ssmreach demo
      ssmreach demo --output /tmp/ssmreach-demo
    """
    try:
        import moto  # noqa: F401
    except ImportError:
        raise UsageError("the demo needs moto: pip install 'ssmreach[demo]'") from None
    if output.exists() and any(output.iterdir()):
        raise UsageError(f"{output} exists and is not empty; choose a new --output folder")
    from ssmreach.demo.runner import run_demo

    run_demo(output, Console())
