"""`ssmreach probe` in process: the node's own functions, with the catalogue's fix sentences.

Everything here is `ssmreach.probe.node` itself, the functions the exported script
runs, except one default: `ProbeConfig.fixes` is the mapping the builder writes into
the script (`build.node_fixes()`), so a probe in process and the exported script
print the same fix for the same finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ssmreach.probe import node
from ssmreach.probe.controller.build import node_fixes
from ssmreach.probe.node import (
    AGENT_CONFIG_PATHS,
    AGENT_LOG_PATHS,
    AWS_ISSUERS,
    DEFAULT_FEATURES,
    FEATURES,
    IMDS_URL,
    PROBE_FORMAT,
    REGISTRATION_PATHS,
    SERVICES,
    ProbeUsageError,
    dump_json,
    exit_status,
    mapping_resolver,
    parse_resolve_options,
    render_text,
    run_probe,
    services_for,
    system_resolver,
)

if TYPE_CHECKING:
    from ssmreach.probe.node.constants import Resolver as Resolver

__all__ = [
    "AGENT_CONFIG_PATHS",
    "AGENT_LOG_PATHS",
    "AWS_ISSUERS",
    "DEFAULT_FEATURES",
    "FEATURES",
    "IMDS_URL",
    "PROBE_FORMAT",
    "REGISTRATION_PATHS",
    "SERVICES",
    "ProbeConfig",
    "ProbeUsageError",
    "dump_json",
    "exit_status",
    "mapping_resolver",
    "parse_resolve_options",
    "render_text",
    "run_probe",
    "services_for",
    "system_resolver",
]


@dataclass
class ProbeConfig(node.ProbeConfig):
    """The node's configuration; its findings get the catalogue's fix sentences."""

    fixes: Mapping[str, str] = field(default_factory=node_fixes)
