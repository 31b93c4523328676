"""The registry of working commands (a command is listed here only once it works)."""

from __future__ import annotations

import click

from ssmreach.cli.check_cmd import check_command
from ssmreach.cli.permissions_cmd import permissions_command
from ssmreach.cli.snapshot_cmd import snapshot_command

ALL: list[click.Command] = [check_command, snapshot_command, permissions_command]
