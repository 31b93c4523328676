"""ssmreach probe: can this node reach AWS Systems Manager, and does it stay private?

Runs on a managed node (EC2 instance or hybrid machine) and looks at what the
node itself sees, for every service its SSM features need: the resolvers in use,
the DNS answer for the service name and whether each address is private or
public, TCP 443, the TLS handshake with certificate validation, an unsigned
HTTPS request that proves AWS answers, the instance metadata service (IMDSv2
and IMDSv1 fallback, never printing credentials), proxy settings, the SSM
agent's state, version, endpoint overrides and recent log errors, and the clock
skew against AWS.

Verdicts and reason codes are those of `ssmreach check`: PRIVATE, INTERNET,
BLOCKED, UNKNOWN. Output is text for a person or JSON (format
"ssmreach.probe/1"). Every network step has a timeout, and the whole probe
stops at a global deadline (--timeout).

Standard library only, Python 3.8 or newer, one module per job: `ssmreach probe
--export-script FILE` joins the modules into one self-contained file for a node
where ssmreach is not installed, and `ssmreach probe` runs the same functions:

    python3 FILE --region eu-west-1 --format json --timeout 20

Exit codes: 0 nothing BLOCKED, 1 at least one service or node finding BLOCKED,
2 bad usage.
"""

from __future__ import annotations

from .agent import (
    agent_config_facts,
    agent_facts,
    agent_log_findings,
    agent_state,
    agent_version,
    endpoint_host,
    registration_facts,
)
from .cli import build_parser, config_from_args, main
from .config import ProbeConfig
from .constants import (
    AGENT_BINARIES,
    AGENT_CONFIG_PATHS,
    AGENT_LOG_PATHS,
    AGENT_PROXY_FILES,
    AMAZON_DNS,
    AWS_ISSUERS,
    CLOCK_SKEW_LIMIT,
    DEFAULT_FEATURES,
    DOMAINS,
    FEATURE_SERVICES,
    FEATURES,
    HEAD_LIMIT,
    IMDS_ADDRESS,
    IMDS_URL,
    LOG_PATTERNS,
    LOG_TAIL_BYTES,
    OVERRIDE_KEYS,
    PROBE_FORMAT,
    PROBE_VERSION,
    REASON_CODES,
    REGISTRATION_PATHS,
    RESOLVED_UPSTREAM,
    SERVICES,
)
from .deadline import Deadline, DeadlineExceeded, ProbeUsageError, in_thread
from .dns import (
    _vpc_networks,
    address_kind,
    mapping_resolver,
    parse_resolv_conf,
    parse_resolve_options,
    resolver_facts,
    resolver_kind,
    system_resolver,
)
from .findings import apply_fixes
from .helpers import (
    error_text,
    hop,
    read_text,
    reason,
    redact_line,
    redact_url,
    run_command,
    service_domain,
    service_host,
    services_for,
    tail_text,
    worst_verdict,
)
from .imds import Imds, imds_facts
from .output import dump_json, exit_status, render_text
from .proxy import no_proxy_matches, parse_systemd_environment, proxy_facts, proxy_for
from .run import run_probe
from .service import ServiceProbe

__all__ = [
    "AGENT_BINARIES",
    "AGENT_CONFIG_PATHS",
    "AGENT_LOG_PATHS",
    "AGENT_PROXY_FILES",
    "AMAZON_DNS",
    "AWS_ISSUERS",
    "CLOCK_SKEW_LIMIT",
    "DEFAULT_FEATURES",
    "DOMAINS",
    "FEATURES",
    "FEATURE_SERVICES",
    "HEAD_LIMIT",
    "IMDS_ADDRESS",
    "IMDS_URL",
    "LOG_PATTERNS",
    "LOG_TAIL_BYTES",
    "OVERRIDE_KEYS",
    "PROBE_FORMAT",
    "PROBE_VERSION",
    "REASON_CODES",
    "REGISTRATION_PATHS",
    "RESOLVED_UPSTREAM",
    "SERVICES",
    "Deadline",
    "DeadlineExceeded",
    "Imds",
    "ProbeConfig",
    "ProbeUsageError",
    "ServiceProbe",
    "_vpc_networks",
    "address_kind",
    "agent_config_facts",
    "agent_facts",
    "agent_log_findings",
    "agent_state",
    "agent_version",
    "apply_fixes",
    "build_parser",
    "config_from_args",
    "dump_json",
    "endpoint_host",
    "error_text",
    "exit_status",
    "hop",
    "imds_facts",
    "in_thread",
    "main",
    "mapping_resolver",
    "no_proxy_matches",
    "parse_resolv_conf",
    "parse_resolve_options",
    "parse_systemd_environment",
    "proxy_facts",
    "proxy_for",
    "read_text",
    "reason",
    "redact_line",
    "redact_url",
    "registration_facts",
    "render_text",
    "resolver_facts",
    "resolver_kind",
    "run_command",
    "run_probe",
    "service_domain",
    "service_host",
    "services_for",
    "system_resolver",
    "tail_text",
    "worst_verdict",
]
