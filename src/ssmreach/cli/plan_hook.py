"""`ssmreach-plan-hook`: the pre-commit hook of the pre-deploy check.

pre-commit passes the hook's `args` and then the staged files: each file is a JSON plan
(`terraform show -json plan.out > plan.tfplan.json`), checked in turn as
`ssmreach check ARGS --terraform-plan FILE --fail-on-worse --quiet`. The exit code is the
worst of the runs (2 on bad input, then 1, then 3).
"""

from __future__ import annotations

import sys

import click

from ssmreach.cli.app import cli

_RANK = {0: 0, 3: 1, 1: 2, 2: 3}


def run(argv: list[str]) -> int:
    split = len(argv)
    while split > 0 and argv[split - 1].endswith(".json"):
        split -= 1  # the files pre-commit appends after the hook's args
    options, plans = argv[:split], argv[split:]
    if not plans:
        click.echo("ssmreach-plan-hook: no plan JSON among the files; nothing to check", err=True)
        return 0
    worst = 0
    for plan in plans:
        click.echo(f"ssmreach: {plan}", err=True)
        try:
            returned = cli.main(
                ["check", *options, "--terraform-plan", plan, "--fail-on-worse", "--quiet"],
                prog_name="ssmreach",
                standalone_mode=False,
            )
            code = returned if isinstance(returned, int) else 0  # click returns ctx.exit's code
        except SystemExit as exc:
            code = int(exc.code or 0)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            exc.show()
            code = 2
        worst = max(worst, code, key=lambda c: _RANK.get(c, 3))
    return worst


def main() -> None:
    sys.exit(run(sys.argv[1:]))
