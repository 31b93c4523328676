"""The SSM agent: hybrid registration, its configuration, service state, version and logs."""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.parse
from typing import TYPE_CHECKING, Any

from .constants import AGENT_BINARIES, LOG_PATTERNS, OVERRIDE_KEYS
from .deadline import Deadline, DeadlineExceeded
from .helpers import read_text, redact_line, tail_text

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Mapping, Sequence

    from .config import ProbeConfig


def registration_facts(config: ProbeConfig) -> dict[str, Any] | None:
    for path in config.registration_files:
        text = read_text(path)
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("ManagedInstanceID"):
            return {
                "file": path,
                "instance": data.get("ManagedInstanceID"),
                "region": data.get("Region"),
            }
    return None


def endpoint_host(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if "//" not in value:
        value = "https://" + value
    host = urllib.parse.urlsplit(value).hostname
    return host.lower() if host else None


def agent_config_facts(config: ProbeConfig) -> dict[str, Any]:
    for path in config.agent_configs:
        text = read_text(path)
        if text is None:
            continue
        facts: dict[str, Any] = {"file": path, "overrides": {}}
        try:
            data = json.loads(text)
        except ValueError as exc:
            facts["error"] = f"not valid JSON: {exc}"
            return facts
        if not isinstance(data, dict):
            facts["error"] = "not a JSON object"
            return facts
        for key, service in OVERRIDE_KEYS:
            section = data.get(key)
            if isinstance(section, dict) and isinstance(section.get("Endpoint"), str):
                host = endpoint_host(section["Endpoint"])
                if host:
                    facts["overrides"][service] = host
        agent = data.get("Agent")
        if isinstance(agent, dict) and agent.get("Region"):
            facts["region"] = agent.get("Region")
        if isinstance(agent, dict) and agent.get("UseDualStackEndpoint") is True:
            facts["dual_stack"] = True
        return facts
    return {"file": None, "overrides": {}}


def dual_stack_hosts(
    agent_config: Mapping[str, Any], services: Sequence[str], region: str, domain: str
) -> dict[str, str]:
    """The names an agent with `UseDualStackEndpoint` asks (agent 3.3.3270.0 or later):
    `SERVICE.REGION.api.aws`, and `s3.dualstack.REGION.amazonaws.com` for S3. Only in the
    aws partition, whose dual-stack names these are."""
    if not agent_config.get("dual_stack") or domain != "amazonaws.com":
        return {}
    return {
        s: f"s3.dualstack.{region}.amazonaws.com" if s == "s3" else f"{s}.{region}.api.aws"
        for s in services
    }


def agent_state(config: ProbeConfig, timeout: float) -> tuple[str, str | None]:
    if config.platform.startswith("win"):
        code, out = config.run(["sc", "query", "AmazonSSMAgent"], timeout)
        if code is None:
            return "unknown", None
        match = re.search(r"STATE\s*:\s*\d+\s+(\w+)", out)
        if match:
            return (
                "active" if match.group(1).upper() == "RUNNING" else match.group(1).lower()
            ), "sc"
        return ("not-installed" if "1060" in out else "unknown"), "sc"
    states: list[str] = []
    for unit, manager in (
        ("amazon-ssm-agent", "systemd"),
        ("snap.amazon-ssm-agent.amazon-ssm-agent.service", "snap"),
    ):
        code, out = config.run(["systemctl", "is-active", unit], timeout)
        if code is None:
            break
        state = (out.splitlines() or ["unknown"])[-1].strip() or "unknown"
        if state == "active":
            return "active", manager
        states.append(state)
    if states:
        return ("inactive" if "inactive" in states or "failed" in states else states[0]), None
    return "unknown", None


def agent_version(config: ProbeConfig, binary: str | None, timeout: float) -> str | None:
    attempts: list[list[str]] = []
    if binary:
        attempts.append([binary, "--version"])
    if not config.platform.startswith("win"):
        attempts.append(["rpm", "-q", "--qf", "%{VERSION}", "amazon-ssm-agent"])
        attempts.append(["dpkg-query", "-W", "-f=${Version}", "amazon-ssm-agent"])
        attempts.append(["snap", "list", "amazon-ssm-agent"])
    for argv in attempts:
        code, out = config.run(argv, timeout)
        if code == 0:
            match = re.search(r"(\d+\.\d+\.\d+\.\d+)", out)
            if match:
                return match.group(1)
    return None


def agent_log_findings(config: ProbeConfig) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in config.agent_logs:
        text = tail_text(path)
        if text is None:
            continue
        for line in text.splitlines():
            if "ERROR" not in line and "WARN" not in line and "error" not in line:
                continue
            for pattern, code in LOG_PATTERNS:
                if pattern.search(line):
                    found[code] = {"code": code, "file": path, "line": redact_line(line.strip())}
                    break
    return list(found.values())


def agent_facts(config: ProbeConfig, deadline: Deadline) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    binary = None
    for path in config.agent_binaries:
        if os.path.isfile(path):
            binary = path
            break
    if binary is None and config.agent_binaries == AGENT_BINARIES:
        binary = shutil.which("amazon-ssm-agent")
    facts["binary"] = binary
    timeout = min(config.step_timeout, 3.0)
    try:
        facts["state"], facts["manager"] = agent_state(config, deadline.step(timeout))
        facts["version"] = agent_version(config, binary, deadline.step(timeout))
    except DeadlineExceeded:
        facts.setdefault("state", "unknown")
        facts.setdefault("version", None)
    facts["log_findings"] = agent_log_findings(config)
    return facts
