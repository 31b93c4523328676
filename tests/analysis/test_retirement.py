"""Unit tests of `analysis.retirement`: the ec2messages retirement fact, which agents still
rely on ec2messages, and the day a snapshot describes."""

from __future__ import annotations

from datetime import date

import pytest

from ssmreach.analysis.features import AgentFacts, Version
from ssmreach.analysis.retirement import (
    as_of_date,
    ec2messages_retirement,
    relies_on_ec2messages,
)


def agent(
    version: Version | None, *, listed: bool = True, legacy_windows: bool = False
) -> AgentFacts:
    return AgentFacts(
        listed=listed, ping_status="Online", version=version, legacy_windows=legacy_windows
    )


def test_the_fact_is_read_with_its_date_fix_and_source() -> None:
    fact = ec2messages_retirement()
    assert fact.date == date(2026, 9, 30)
    assert fact.fixed_in_agent == (3, 3, 40, 0)
    assert fact.fixed_in_text == "3.3.40.0"
    assert fact.source.startswith("https://")
    assert fact.confidence


@pytest.mark.parametrize(
    ("version", "relies"),
    [((3, 3, 39, 9), True), ((2, 3, 1, 0), True), ((3, 3, 40, 0), False), ((3, 3, 1611, 0), False)],
)
def test_agents_older_than_the_fix_rely_on_ec2messages(version: Version, relies: bool) -> None:
    assert relies_on_ec2messages(agent(version)) is relies


def test_legacy_windows_relies_on_ec2messages_whatever_its_agent() -> None:
    """Windows Server 2012 and Nano Server never switch to ssmmessages."""
    assert relies_on_ec2messages(agent((3, 3, 1611, 0), legacy_windows=True)) is True


def test_an_agent_ssm_does_not_list_or_of_unknown_version_is_not_judged() -> None:
    assert relies_on_ec2messages(agent((2, 0, 0, 0), listed=False)) is False
    assert relies_on_ec2messages(agent(None)) is False


def test_the_snapshot_day_is_its_creation_date_else_today() -> None:
    today = date(2025, 1, 2)
    assert as_of_date("2026-10-01T08:00:00Z", today) == date(2026, 10, 1)
    assert as_of_date("yesterday", today) == today
    assert as_of_date(None, today) == today
    assert as_of_date("", today) == today
