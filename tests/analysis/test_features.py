"""Unit tests of `analysis.features`: agent versions, legacy Windows, the message channels
an agent can use, and the services the Session Manager preferences add
(tests/analysis/test_feature_needs.py checks the feature table itself)."""

from __future__ import annotations

import pytest

from ssmreach.analysis.features import (
    CHANNEL_EITHER,
    AgentFacts,
    SessionPreferences,
    Version,
    channel_options,
    format_version,
    is_legacy_windows,
    parse_version,
    session_services,
)


def agent(version: Version | None, legacy_windows: bool = False) -> AgentFacts:
    return AgentFacts(
        listed=True, ping_status="Online", version=version, legacy_windows=legacy_windows
    )


def test_versions_parse_to_at_most_four_numbers() -> None:
    assert parse_version("3.3.40.0") == (3, 3, 40, 0)
    assert parse_version("3.2.582.0-1") == (3, 2, 582, 0)
    assert parse_version("2.3") == (2, 3)
    assert parse_version("") is None
    assert parse_version(None) is None
    assert parse_version("unknown") is None
    assert format_version((3, 1, 821, 0)) == "3.1.821.0"


def test_versions_compare_numerically_not_as_text() -> None:
    older, newer = parse_version("3.1.99.0"), parse_version("3.1.821.0")
    assert older is not None and newer is not None and older < newer


@pytest.mark.parametrize(
    ("platform", "name", "version", "legacy"),
    [
        ("Windows", "Microsoft Windows Server 2012 R2 Datacenter", "6.3.9600", True),
        ("Windows", "Microsoft Windows Server 2008 R2", None, True),
        ("Windows", "Microsoft Windows Server 2016 Nano Server", "10.0.14393", True),
        ("Windows", "Microsoft Windows Server 2019 Datacenter", "10.0.17763", False),
        ("Windows", None, "6.3.9600", True),
        ("Linux", "Amazon Linux 2012", "2012.09", False),
        (None, None, None, False),
    ],
)
def test_legacy_windows_is_2012_and_older_or_nano_server(
    platform: str | None, name: str | None, version: str | None, legacy: bool
) -> None:
    assert is_legacy_windows(platform, name, version) is legacy


def test_recent_agents_prefer_ssmmessages_and_older_ones_only_have_ec2messages() -> None:
    """SSM agent release notes: from 3.1.821.0 the agent can use either channel."""
    assert channel_options(agent(CHANNEL_EITHER), None) == ("ssmmessages", "ec2messages")
    assert channel_options(agent((3, 1, 820, 0)), None) == ("ec2messages",)
    assert channel_options(agent(None), None) == ("ssmmessages", "ec2messages")
    assert channel_options(agent((3, 3, 40, 0), legacy_windows=True), None) == ("ec2messages",)


def test_a_region_without_ec2messages_leaves_only_ssmmessages() -> None:
    assert channel_options(agent((3, 3, 40, 0)), False) == ("ssmmessages",)
    assert channel_options(agent((3, 0, 0, 0)), False) == ()
    assert channel_options(agent((3, 0, 0, 0)), True) == ("ec2messages",)


def test_session_preferences_add_s3_kms_and_logs() -> None:
    assert session_services(SessionPreferences()) == ("ssm", "ssmmessages")
    full = SessionPreferences(s3_bucket="logs", kms_key="alias/k", log_group="/ssm")
    assert session_services(full) == ("ssm", "ssmmessages", "s3", "kms", "logs")
