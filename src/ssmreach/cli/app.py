"""The `ssmreach` command group, its global options and the one place errors become exit codes."""

from __future__ import annotations

import gc
from typing import Any

import click

from ssmreach import __version__
from ssmreach.errors import SsmreachError


class SsmreachGroup(click.Group):
    """A click group that turns `SsmreachError` into one line on stderr and its exit code,
    and imports each command only when it is used (see `ssmreach.cli.commands`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from ssmreach.cli.commands import COMMANDS

        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, from the summaries table: no command is imported."""
        from ssmreach.cli.commands import SUMMARIES

        rows = [(name, SUMMARIES[name]) for name in self.list_commands(ctx) if name in SUMMARIES]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from ssmreach.cli.commands import COMMANDS, load

        if cmd_name in COMMANDS:
            return load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SsmreachError as exc:
            if ctx.meta.get("ssmreach.debug"):
                raise
            click.echo(f"error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(
    cls=SsmreachGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="ssmreach")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Can every EC2 instance reach AWS Systems Manager privately?

    For every instance and SSM feature ssmreach answers PRIVATE (VPC endpoints),
    INTERNET (NAT or internet gateway), BLOCKED or UNKNOWN, explains why hop by hop
    and says what to change. It reads a live account (standard AWS credential
    chain) or an offline snapshot folder.

    \b
    Examples:
      ssmreach snapshot --output snap/ --region us-east-1
      ssmreach check --snapshot snap/
      ssmreach check --region eu-west-1 --instance i-0abc --format json
    """
    ctx.meta["ssmreach.debug"] = debug


def main() -> None:
    # A check allocates many small objects that all live until the report is written;
    # with the default first threshold (700) the cycle collector would walk them over
    # and over. Collect less often: about a tenth faster on large estates, same memory.
    gc.set_threshold(100_000, 50, 100)
    cli(prog_name="ssmreach")


if __name__ == "__main__":  # pragma: no cover
    main()
