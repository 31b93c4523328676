"""Node findings (IMDS, proxy, agent, clock) and the fix sentence of every finding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .constants import CLOCK_SKEW_LIMIT
from .helpers import reason

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Mapping, Sequence

    from .config import ProbeConfig


def _clock_facts(services: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    for service in services:
        http = service.get("http") or {}
        if "skew_seconds" in http:
            return {"skew_seconds": http["skew_seconds"], "against": service["host"]}
    return {"skew_seconds": None, "against": None}


def _node_reasons(
    kind: str,
    imds: Mapping[str, Any],
    proxy: Mapping[str, Any],
    agent: Mapping[str, Any] | None,
    clock: Mapping[str, Any],
    config: ProbeConfig,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if kind != "hybrid" and config.imds_url and not imds.get("instance"):
        detail = "token: {}; IMDSv1: {}".format(imds.get("v2_token"), imds.get("v1"))
        out.append(
            reason(
                "PROBE_IMDS_FAILED",
                "error" if not imds.get("reachable") else "warning",
                config.imds_url,
                f"the instance metadata service at {config.imds_url} gave no instance identity ({detail})",
            )
        )
    if not proxy.get("imds_excluded"):
        out.append(
            reason(
                "PROXY_IMDS_NOT_EXCLUDED",
                "warning",
                proxy.get("https_proxy") or proxy.get("http_proxy"),
                "a proxy is set ({}) but NO_PROXY ({}) does not contain 169.254.169.254".format(
                    proxy.get("https_proxy") or proxy.get("http_proxy"),
                    proxy.get("no_proxy") or "empty",
                ),
            )
        )
    if agent is not None:
        out.extend(_agent_reasons(agent))
    skew = clock.get("skew_seconds")
    if isinstance(skew, (int, float)) and abs(skew) > CLOCK_SKEW_LIMIT:
        out.append(
            reason(
                "CLOCK_SKEW",
                "warning",
                clock.get("against"),
                "the node's clock is {:+.0f} s off the Date of {}".format(skew, clock["against"]),
            )
        )
    return out


def _agent_reasons(agent: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    state = agent.get("state")
    if state in ("inactive", "failed", "not-installed", "stopped"):
        out.append(
            reason(
                "AGENT_NOT_RUNNING",
                "error",
                "amazon-ssm-agent",
                f"the SSM agent service is {state}",
            )
        )
    for finding in agent.get("log_findings") or []:
        out.append(
            reason(
                finding["code"],
                "warning",
                finding["file"],
                "recent agent log line: {}".format(finding["line"]),
            )
        )
    return out


def apply_fixes(doc: Mapping[str, Any], fixes: Mapping[str, str]) -> None:
    """Give every finding of the document the fix sentence of its code (None: no fix known)."""
    found = list(doc.get("reasons") or [])
    for service in doc.get("services") or []:
        found.extend(service.get("reasons") or [])
    for item in found:
        item["fix"] = fixes.get(item["code"])
