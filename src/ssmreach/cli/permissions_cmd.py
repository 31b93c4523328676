"""`ssmreach permissions`: print the least-privilege IAM policy a command needs."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from ssmreach.errors import UsageError
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
@click.option(
    "--org",
    "org",
    is_flag=True,
    help="Add the statements the caller of `--org` needs: organizations:ListAccounts, "
    "organizations:DescribeOrganization, and sts:AssumeRole on --role-name in every account.",
)
@click.option(
    "--role-name",
    "role_name",
    metavar="NAME",
    help="With --org: the role each account has (the --role-name of `snapshot --org`).",
)
def permissions_command(
    purpose: Purpose, role_arn: Sequence[str], org: bool, role_name: str | None
) -> None:
    """Print the minimal IAM policy (JSON) that ssmreach needs.

    The policy is generated from the table of calls the collector makes: one Allow
    statement with every read action, sorted. sts:GetCallerIdentity needs no
    permission. When you read more accounts with `--role-arn`, attach this policy to
    each role in its own account, and give your base credentials sts:AssumeRole on
    the roles (pass the same --role-arn values here to get that statement too).

    For --org, attach the policy printed with `--org --role-name NAME` where you run
    ssmreach (the management account or a delegated administrator), and create the
    role NAME in every other account with the plain policy and a trust policy that
    lets your account assume it.

    \b
    Examples:
      ssmreach permissions > ssmreach-read.json
      aws iam create-policy --policy-name ssmreach-read \\
          --policy-document file://ssmreach-read.json
      ssmreach permissions --role-arn arn:aws:iam::111122223333:role/ssmreach-read
      ssmreach permissions --for apply > ssmreach-apply.json
      ssmreach permissions --org --role-name ssmreach-read > ssmreach-org-caller.json
    """
    if org and not role_name:
        raise UsageError("--org needs --role-name NAME: the role each account has")
    if role_name and not org:
        raise UsageError("--role-name goes with --org")
    click.echo(json.dumps(minimal_policy(purpose, role_arn, role_name if org else None), indent=2))
