"""What the probe looks for: services and features, addresses, paths, log patterns, codes."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Callable, Sequence

    Resolver = Callable[[str, int], "list[str]"]
    Runner = Callable[["Sequence[str]", float], "tuple[int | None, str]"]
    Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PROBE_FORMAT = "ssmreach.probe/1"
PROBE_VERSION = "1.0"

SERVICES = ("ssm", "ssmmessages", "ec2messages", "s3", "kms", "logs", "ec2", "sts")
FEATURE_SERVICES = {
    "core": ("ssm",),
    "run-command": ("ssm", "ssmmessages", "ec2messages"),
    "session-manager": ("ssm", "ssmmessages", "kms", "logs", "s3"),
    "patch-manager": ("ssm", "ssmmessages", "ec2messages", "s3"),
    "agent-update": ("ssm", "ssmmessages", "ec2messages", "s3"),
    "vss-snapshot": ("ssm", "ssmmessages", "ec2messages", "ec2"),
    "cloudwatch-logs": ("logs",),
}
FEATURES = tuple(FEATURE_SERVICES)
DEFAULT_FEATURES = ("core", "run-command", "session-manager", "patch-manager", "agent-update")

# The agent's service-domain map (by Region prefix); anything else is amazonaws.com.
DOMAINS = (
    ("cn-", "amazonaws.com.cn"),
    ("us-iso-", "c2s.ic.gov"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-isof-", "csp.hci.ic.gov"),
    ("eu-isoe-", "cloud.adc-e.uk"),
    ("eusc-de-", "amazonaws.eu"),
)
IMDS_URL = "http://169.254.169.254"
IMDS_URL_IPV6 = "http://[fd00:ec2::254]"  # HttpProtocolIpv6 enabled, Nitro instances
IMDS_ADDRESS = "169.254.169.254"
AMAZON_DNS = ("169.254.169.253", "fd00:ec2::253")
# Organisations that issue the certificates of AWS service endpoints.
AWS_ISSUERS = ("Amazon", "DigiCert Inc", "Starfield Technologies, Inc.")
CLOCK_SKEW_LIMIT = 300.0
AGENT_CONFIG_PATHS = (
    "/etc/amazon/ssm/amazon-ssm-agent.json",
    "C:\\ProgramData\\Amazon\\SSM\\amazon-ssm-agent.json",
)
AGENT_LOG_PATHS = (
    "/var/log/amazon/ssm/amazon-ssm-agent.log",
    "/var/log/amazon/ssm/errors.log",
    "C:\\ProgramData\\Amazon\\SSM\\Logs\\amazon-ssm-agent.log",
    "C:\\ProgramData\\Amazon\\SSM\\Logs\\errors.log",
)
AGENT_BINARIES = (
    "/usr/bin/amazon-ssm-agent",
    "/snap/amazon-ssm-agent/current/amazon-ssm-agent",
    "C:\\Program Files\\Amazon\\SSM\\amazon-ssm-agent.exe",
)
# systemd drop-ins where the agent's proxy is usually set (Environment="https_proxy=...").
AGENT_PROXY_FILES = (
    "/etc/systemd/system/amazon-ssm-agent.service.d/override.conf",
    "/etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d/override.conf",
)
REGISTRATION_PATHS = ("/var/lib/amazon/ssm/registration",)
RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf"
OVERRIDE_KEYS = (
    ("Ssm", "ssm"),
    ("Mgs", "ssmmessages"),
    ("Mds", "ec2messages"),
    ("S3", "s3"),
    ("Kms", "kms"),
)
LOG_TAIL_BYTES = 256 * 1024
HEAD_LIMIT = 16384

# Agent log patterns → reason codes (checked in order; the first match names the line).
LOG_PATTERNS = (
    # Session Manager's KMS errors (the agent's kmsservice): the key policy or the role.
    (
        re.compile(r"Error when decrypting data key|Fetching data key failed", re.I),
        "KMS_KEY_POLICY_DENIED",
    ),
    (re.compile(r"AccessDenied|not authorized to perform", re.I), "IAM_ACTION_DENIED"),
    (
        re.compile(r"NoCredentialProviders|no valid credentials|EC2RoleRequestError", re.I),
        "NO_INSTANCE_PROFILE",
    ),
    (re.compile(r"no such host|server misbehaving", re.I), "PROBE_DNS_FAILED"),
    (re.compile(r"x509:|certificate signed by unknown authority|tls: ", re.I), "PROBE_TLS_FAILED"),
    (
        re.compile(r"i/o timeout|connection timed out|connection refused|network is unreachable"),
        "PROBE_TCP_FAILED",
    ),
    (
        re.compile(r"RequestExpired|Signature expired|RequestTimeTooSkewed|clock skew", re.I),
        "CLOCK_SKEW",
    ),
)

# Every reason code the probe raises (a test holds this to the code and to the catalogue).
REASON_CODES = (
    "PROBE_DNS_FAILED",
    "PROBE_TCP_FAILED",
    "PROBE_TLS_FAILED",
    "PROBE_HTTP_FAILED",
    "PROBE_IMDS_FAILED",
    "PROXY_IMDS_NOT_EXCLUDED",
    "AGENT_NOT_RUNNING",
    "CLOCK_SKEW",
    "INTERNET_PATH",
    "EGRESS_UNMODELED",
    "IAM_ACTION_DENIED",
    "KMS_KEY_POLICY_DENIED",
    "NO_INSTANCE_PROFILE",
)

# Fix sentences by code, from ssmreach's reason catalogue (their one home). Empty in the
# package: the exported script has them here as a literal (ssmreach.probe.controller.build)
# and `ssmreach probe` passes them in `ProbeConfig.fixes`.
FIXES: dict[str, str] = {}

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
VERDICT_RANK = {"PRIVATE": 0, "INTERNET": 1, "UNKNOWN": 2, "BLOCKED": 3}
