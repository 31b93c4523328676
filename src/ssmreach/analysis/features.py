"""What each SSM feature needs: services, IAM actions, agent versions (requirements.md §1).

The services and actions below follow the requirements table; version gates and
the message-channel rules come from the agent release notes and the
"messageAPIs" page (see the reference, sections 1.3 and 6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ssmreach.analysis.buckets import BucketPurpose

FEATURES: tuple[str, ...] = (
    "core",
    "run-command",
    "session-manager",
    "patch-manager",
    "agent-update",
    "vss-snapshot",
    "cloudwatch-logs",
)
DEFAULT_FEATURES: tuple[str, ...] = FEATURES[:5]


@dataclass(frozen=True, slots=True)
class FeatureNeeds:
    """What one feature needs from the node's network and role (requirements.md §1).

    `services`: the endpoints it calls, in order; `channel`: it runs over a message channel
    (ssmmessages, or ec2messages for older agents: see `channel_options`), placed right
    after the first service; `buckets`: the purpose of the AWS-owned S3 buckets it reads;
    `preferences`: the Session Manager preferences add S3, KMS and CloudWatch Logs;
    `output_buckets`: the S3 buckets its commands and the State Manager associations write
    output to are needed too (output_buckets.py).
    """

    services: tuple[str, ...]
    channel: bool = False
    buckets: BucketPurpose | None = None
    preferences: bool = False
    output_buckets: bool = False


NEEDS: dict[str, FeatureNeeds] = {
    "core": FeatureNeeds(("ssm",)),
    "run-command": FeatureNeeds(("ssm",), channel=True, output_buckets=True),
    "session-manager": FeatureNeeds(("ssm", "ssmmessages"), preferences=True),
    "patch-manager": FeatureNeeds(("ssm", "s3"), channel=True, buckets="patch-manager"),
    "agent-update": FeatureNeeds(("ssm", "s3"), channel=True, buckets="agent-update"),
    "vss-snapshot": FeatureNeeds(("ssm", "ec2"), channel=True),
    "cloudwatch-logs": FeatureNeeds(("logs",)),
}
"""The one table of what each feature needs: the engine reads it (a test keeps every
feature of `FEATURES` in it)."""

SSMMESSAGES_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
EC2MESSAGES_ACTIONS = (
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
)
SERVICE_ACTIONS: dict[str, tuple[str, ...]] = {
    "ssm": ("ssm:UpdateInstanceInformation",),
    "ssmmessages": SSMMESSAGES_ACTIONS,
    "ec2messages": EC2MESSAGES_ACTIONS,
    "ec2": ("ec2:DescribeInstances", "ec2:CreateSnapshot", "ec2:CreateTags"),
    "logs": ("logs:CreateLogStream", "logs:PutLogEvents"),
    "kms": ("kms:Decrypt",),
    "s3": ("s3:GetObject",),
}

Version = tuple[int, ...]

CHANNEL_EITHER = (3, 1, 821, 0)  # from here either channel works (MessageService)
SESSION_MANAGER_MIN = (2, 3, 68, 0)
KMS_ENCRYPTION_MIN = (2, 3, 539, 0)
CLOUDWATCH_STREAMING_MIN = (3, 0, 284, 0)
DHMC_MIN = (3, 2, 582, 0)
# UseDualStackEndpoint, the service names of IPv6-only nodes (SSM Agent release notes,
# 3.3.3270.0: "Add initial IPv6 support with UseDualStackEndpoint configuration option")
DUALSTACK_ENDPOINT_MIN = (3, 3, 3270, 0)


@lru_cache(maxsize=4096)
def parse_version(text: str | None) -> Version | None:
    if not text:
        return None
    parts = re.findall(r"\d+", text)
    return tuple(int(p) for p in parts[:4]) if parts else None


def format_version(version: Version) -> str:
    return ".".join(str(p) for p in version)


@dataclass(frozen=True, slots=True)
class AgentFacts:
    """What SSM knows of the node's agent (None: the instance is not in DescribeInstanceInformation)."""

    listed: bool
    ping_status: str | None
    version: Version | None
    legacy_windows: bool  # Windows Server 2012 or older, or Nano Server: ec2messages only


@lru_cache(maxsize=1024)
def is_legacy_windows(
    platform_type: str | None, platform_name: str | None, platform_version: str | None
) -> bool:
    """Windows Server 2012 and older never switch off ec2messages; Nano Server has no ssmmessages channel."""
    if (platform_type or "").lower() != "windows":
        return False
    name = (platform_name or "").lower()
    if "nano" in name:
        return True
    if re.search(r"\b(2003|2008|2012)\b", name):
        return True
    version = parse_version(platform_version)
    return version is not None and version[:2] <= (6, 3)


def channel_options(agent: AgentFacts, ec2messages_offered: bool | None) -> tuple[str, ...]:
    """Which message channels the agent can use for Run Command, in order of preference."""
    if agent.legacy_windows or (agent.version is not None and agent.version < CHANNEL_EITHER):
        options: tuple[str, ...] = ("ec2messages",)
    else:
        options = ("ssmmessages", "ec2messages")
    if ec2messages_offered is False:
        options = tuple(o for o in options if o != "ec2messages")
    return options


@dataclass(frozen=True, slots=True)
class SessionPreferences:
    """The Session Manager preferences that add services (SSM-SessionManagerRunShell)."""

    s3_bucket: str | None = None
    log_group: str | None = None
    kms_key: str | None = None
    cloudwatch_streaming: bool = False
    read: bool = True  # False: not collected (defaults assumed), denied or failed
    unknown: bool = False  # denied or failed: what they add cannot be known
    code: str = "DATA_MISSING"  # the reason code of `note` (READ_DENIED when denied)
    note: str = ""


def session_services(prefs: SessionPreferences) -> tuple[str, ...]:
    services = ["ssm", "ssmmessages"]
    if prefs.s3_bucket:
        services.append("s3")
    if prefs.kms_key:
        services.append("kms")
    if prefs.log_group:
        services.append("logs")
    return tuple(services)
