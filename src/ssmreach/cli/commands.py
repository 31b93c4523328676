"""The registry of working commands (a command is listed here only once it works).

Commands are imported when they run (or when `--help` lists them), so that `ssmreach
check --snapshot` does not pay for boto3 or the report templates it does not use.
"""

from __future__ import annotations

import importlib

import click

SUMMARIES: dict[str, str] = {
    "apply": "Carry out a plan against the live account, then check again.",
    "baseline": "Write a baseline that accepts every finding of today's check.",
    "check": "Verdict per instance and SSM feature: PRIVATE, INTERNET, BLOCKED or UNKNOWN.",
    "diff": "Which instance and feature verdicts got worse or better between two checks.",
    "demo": "Run the whole story on an embedded AWS: no account, no credentials, no network.",
    "export": "The plan as infrastructure code.",
    "permissions": "Print the minimal IAM policy (JSON) that ssmreach needs.",
    "plan": "The smallest set of changes that makes the checked instances PRIVATE.",
    "probe": "Probe from this node whether each SSM service is reachable, and privately.",
    "snapshot": "Read the account(s) with read-only calls and write a snapshot folder.",
}
"""What `ssmreach --help` lists, without importing the commands (and boto3 with them); a
test keeps each equal to the first line of its command's own help."""

COMMANDS: dict[str, str] = {
    "demo": "ssmreach.cli.demo_cmd:demo_command",
    "check": "ssmreach.cli.check_cmd:check_command",
    "baseline": "ssmreach.cli.baseline_cmd:baseline_command",
    "snapshot": "ssmreach.cli.snapshot_cmd:snapshot_command",
    "diff": "ssmreach.cli.diff_cmd:diff_command",
    "permissions": "ssmreach.cli.permissions_cmd:permissions_command",
    "plan": "ssmreach.cli.plan_cmd:plan_command",
    "apply": "ssmreach.cli.apply_cmd:apply_command",
    "export": "ssmreach.cli.export_cmd:export_command",
    "probe": "ssmreach.cli.probe_cmd:probe_command",
}


def load(name: str) -> click.Command:
    module, _, attr = COMMANDS[name].partition(":")
    command = getattr(importlib.import_module(module), attr)
    assert isinstance(command, click.Command)
    return command


def all_commands() -> list[click.Command]:
    return [load(name) for name in COMMANDS]
