"""The probe's configuration: everything it touches, so that every part can be replaced."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .constants import (
    AGENT_BINARIES,
    AGENT_CONFIG_PATHS,
    AGENT_LOG_PATHS,
    AGENT_PROXY_FILES,
    AWS_ISSUERS,
    DEFAULT_FEATURES,
    FIXES,
    IMDS_URL,
    REGISTRATION_PATHS,
    RESOLVED_UPSTREAM,
)
from .dns import system_resolver
from .helpers import run_command

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Callable, Mapping, Sequence

    from .constants import Resolver, Runner


@dataclass
class ProbeConfig:
    """Everything the probe touches; every path, host, port and clock can be replaced."""

    region: str | None = None
    features: Sequence[str] = DEFAULT_FEATURES
    services: Sequence[str] = ()
    timeout: float = 20.0
    step_timeout: float = 5.0
    port: int = 443
    domain: str | None = None
    resolver: Resolver = system_resolver
    ca_bundle: str | None = None
    expected_issuers: Sequence[str] = AWS_ISSUERS
    imds_url: str | None = IMDS_URL
    resolv_conf: str | None = "/etc/resolv.conf"
    resolved_upstream: str | None = RESOLVED_UPSTREAM
    agent: bool = True
    agent_configs: Sequence[str] = AGENT_CONFIG_PATHS
    agent_logs: Sequence[str] = AGENT_LOG_PATHS
    agent_binaries: Sequence[str] = AGENT_BINARIES
    agent_proxy_files: Sequence[str] = AGENT_PROXY_FILES
    registration_files: Sequence[str] = REGISTRATION_PATHS
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    run: Runner = run_command
    known_addresses: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    s3_gateways: Mapping[str, str] = field(default_factory=dict)
    vpc_cidrs: Sequence[str] = ()
    public_cidrs: Sequence[str] = ()  # labs and tests: treat these addresses as public
    instance_id: str | None = None
    platform: str = sys.platform
    clock: Callable[[], float] = time.time
    # code → fix sentence of every finding (the exported script's own FIXES by default)
    fixes: Mapping[str, str] = field(default_factory=lambda: dict(FIXES))
