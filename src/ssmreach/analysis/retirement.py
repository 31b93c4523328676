"""The ec2messages retirement: a dated fact with its source and confidence, kept as data.

An AWS Health notification, quoted publicly, says AWS retires the ec2messages channel
on 2026-09-30 for nodes that rely solely on it; the fix is agent 3.3.40.0 or later,
which prefers ssmmessages. No AWS documentation page confirms it, so by default the
finding is a warning (before the date: it is coming; after it: the channel may no
longer be served). `--assume-ec2messages retired` makes it an error and takes
ec2messages out of the node's channels; `available` leaves the channel as it was.
The fact lives in `ssmreach/data/ssm_facts.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

from ssmreach.analysis.features import AgentFacts, Version, parse_version

Assumption = Literal["auto", "available", "retired"]
ASSUMPTIONS: tuple[Assumption, ...] = ("auto", "available", "retired")


@dataclass(frozen=True, slots=True)
class Retirement:
    date: date
    fixed_in_agent: Version
    fixed_in_text: str
    source: str
    confidence: str


@cache
def ec2messages_retirement() -> Retirement:
    text = resources.files("ssmreach.data").joinpath("ssm_facts.json").read_text()
    fact = json.loads(text)["ec2messages_retirement"]
    fixed = parse_version(fact["fixed_in_agent"])
    assert fixed is not None
    return Retirement(
        date=date.fromisoformat(fact["date"]),
        fixed_in_agent=fixed,
        fixed_in_text=fact["fixed_in_agent"],
        source=fact["source"],
        confidence=fact["confidence"],
    )


def relies_on_ec2messages(agent: AgentFacts) -> bool:
    """The agent still uses ec2messages as its channel: older than 3.3.40.0, or a Windows
    Server 2012 / Nano Server node (which never switches). Unknown agents are not judged."""
    if not agent.listed:
        return False
    if agent.legacy_windows:
        return True
    return agent.version is not None and agent.version < ec2messages_retirement().fixed_in_agent


def as_of_date(created: str | None, today: date | None = None) -> date:
    """The day the snapshot describes: its `created` date, else today."""
    if created:
        try:
            return date.fromisoformat(created[:10])
        except ValueError:
            pass
    return today or date.today()
