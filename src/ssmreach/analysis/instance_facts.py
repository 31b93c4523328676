"""What the check reads off one instance before any path: its agent (listed in SSM, ping
status, version, legacy Windows) and the ephemeral ports its replies go to."""

from __future__ import annotations

from ssmreach.analysis.features import AgentFacts, is_legacy_windows, parse_version
from ssmreach.model import aws
from ssmreach.model.estate import RegionData

LINUX_EPHEMERAL = (32768, 60999)
WINDOWS_EPHEMERAL = (49152, 65535)
ANY_EPHEMERAL = (1024, 65535)


def agent_facts(region: RegionData, instance: aws.Instance) -> AgentFacts:
    info = region.instance_information.get(instance.instance_id)
    if info is None:
        return AgentFacts(
            False, None, None, (instance.platform or "").lower() == "windows" and False
        )
    return AgentFacts(
        listed=True,
        ping_status=info.ping_status,
        version=parse_version(info.agent_version),
        legacy_windows=is_legacy_windows(
            info.platform_type, info.platform_name, info.platform_version
        ),
    )


def ephemeral_ports(region: RegionData, instance: aws.Instance) -> tuple[int, int]:
    """The client ports return traffic goes to: Linux 32768-60999, Windows 49152-65535.

    Judgement (README): the spec checks 1024-65535; checking the platform's own range
    avoids flagging NACLs that open only the range the OS really uses. Unknown
    platform: the whole 1024-65535 range.
    """
    info = region.instance_information.get(instance.instance_id)
    platform = (
        (info.platform_type if info else None)
        or instance.platform
        or instance.platform_details
        or ""
    ).lower()
    if "windows" in platform:
        return WINDOWS_EPHEMERAL
    if "linux" in platform or "unix" in platform:
        return LINUX_EPHEMERAL
    return ANY_EPHEMERAL
