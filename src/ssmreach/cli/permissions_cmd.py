"""`ssmreach permissions`: print the least-privilege IAM policy a command needs."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from ssmreach.permissions import PURPOSES, Purpose, minimal_policy


@click.command("permissions")
@click.option(
    "--for",
    "purpose",
    type=click.Choice(PURPOSES),
    default="snapshot",
    show_default=True,
    help="The command whose permissions to print (`snapshot` also covers a live `check` and "
    "`plan`; `apply` adds the writes of every change a plan can hold and their rollback).",
)
@click.option(
    "--role-arn",
    "role_arn",
    multiple=True,
    metavar="ARN",
    help="Add a statement allowing sts:AssumeRole on this role, for `--role-arn`. Repeatable.",
)
def permissions_command(purpose: Purpose, role_arn: Sequence[str]) -> None:
    """Print the minimal IAM policy (JSON) that ssmreach needs.

    The policy is generated from the table of calls the collector makes: one Allow
    statement with every read action, sorted. sts:GetCallerIdentity needs no
    permission. When you read more accounts with `--role-arn`, attach this policy to
    each role in its own account, and give your base credentials sts:AssumeRole on
    the roles (pass the same --role-arn values here to get that statement too).

    \b
    Examples:
      ssmreach permissions > ssmreach-read.json
      aws iam create-policy --policy-name ssmreach-read \\
          --policy-document file://ssmreach-read.json
      ssmreach permissions --role-arn arn:aws:iam::111122223333:role/ssmreach-read
      ssmreach permissions --for apply > ssmreach-apply.json
    """
    click.echo(json.dumps(minimal_policy(purpose, role_arn), indent=2))
