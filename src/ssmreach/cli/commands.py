"""The registry of working commands (a command is listed here only once it works)."""

from __future__ import annotations

import click

ALL: list[click.Command] = []
