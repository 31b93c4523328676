"""The document for a person (text) or a program (JSON, optionally gzip + base64)."""

from __future__ import annotations

import base64
import gzip
import json
from typing import TYPE_CHECKING, Any

from .constants import SEVERITY_RANK

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Mapping


def render_text(doc: Mapping[str, Any]) -> str:
    node = doc.get("node") or {}
    probe = doc.get("probe") or {}
    lines = [
        "ssmreach probe on {} ({}{}{}), {} s: {}".format(
            node.get("instance") or "an unidentified node",
            node.get("region"),
            ", " + node["vpc"] if node.get("vpc") else "",
            ", " + node["subnet"] if node.get("subnet") else "",
            probe.get("seconds"),
            doc.get("verdict"),
        )
    ]
    lines.extend(_node_lines(node))
    lines.append("")
    lines.extend(_service_lines(doc))
    lines.extend(_finding_lines(doc))
    return "\n".join(lines) + "\n"


def _node_lines(node: Mapping[str, Any]) -> list[str]:
    """IMDS and role, resolvers, proxy, agent and clock: one line each."""
    lines: list[str] = []
    imds = node.get("imds") or {}
    role = node.get("role") or {}
    if imds.get("url"):
        lines.append(
            "  IMDS {}: token {}, IMDSv1 {}; role {}, credentials {}".format(
                imds.get("url"),
                imds.get("v2_token"),
                imds.get("v1"),
                role.get("name") or "none",
                role.get("credentials"),
            )
        )
    resolvers = node.get("resolvers") or {}
    kinds = resolvers.get("kinds") or {}
    servers = ", ".join(
        "{} ({})".format(ns, kinds.get(ns, "?")) for ns in resolvers.get("nameservers") or []
    )
    lines.append(
        "  resolvers: {}{}".format(
            servers or resolvers.get("note") or "none",
            "; upstream " + ", ".join(f"{k} ({v})" for k, v in resolvers["upstream"].items())
            if resolvers.get("upstream")
            else "",
        )
    )
    proxy = node.get("proxy") or {}
    lines.append(
        "  proxy: {}".format(
            "HTTPS {}, NO_PROXY {}".format(
                proxy.get("https_proxy"), proxy.get("no_proxy") or "empty"
            )
            if proxy.get("https_proxy") or proxy.get("http_proxy")
            else "none"
        )
    )
    agent = node.get("agent")
    if agent:
        overrides = (agent.get("config") or {}).get("overrides") or {}
        lines.append(
            "  agent: {}{}, version {}; endpoint overrides: {}".format(
                agent.get("state"),
                " ({})".format(agent["manager"]) if agent.get("manager") else "",
                agent.get("version") or "unknown",
                ", ".join(f"{k}={v}" for k, v in overrides.items()) or "none",
            )
        )
    clock = node.get("clock") or {}
    if clock.get("skew_seconds") is not None:
        lines.append(
            "  clock: {:+.1f} s against {}".format(clock["skew_seconds"], clock["against"])
        )
    return lines


def _service_lines(doc: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for service in doc.get("services") or []:
        lines.append(
            "  {:<12} {:<8} {}{}".format(
                service["service"],
                service["verdict"],
                service["host"],
                " via " + service["via"] if service.get("via") else "",
            )
        )
        for step in service.get("hops") or []:
            lines.append(
                "      {:<7} {:<7} {}".format(step["step"], step["result"], step["detail"])
            )
    return lines


def _finding_lines(doc: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    findings = list(doc.get("reasons") or []) + [
        r for s in doc.get("services") or [] for r in s.get("reasons") or []
    ]
    if findings:
        lines.append("")
        lines.append("findings:")
        for item in sorted(findings, key=lambda r: -SEVERITY_RANK.get(r["severity"], 0)):
            lines.append("  {:<7} {}: {}".format(item["severity"], item["code"], item["message"]))
            if item.get("fix") and item["severity"] != "info":
                lines.append("          fix: {}".format(item["fix"]))
    return lines


def exit_status(doc: Mapping[str, Any]) -> int:
    return 1 if doc.get("verdict") == "BLOCKED" else 0


def dump_json(doc: Mapping[str, Any], compress: bool = False) -> str:
    text = json.dumps(doc, indent=None if compress else 2, sort_keys=False)
    if compress:
        return base64.b64encode(gzip.compress(text.encode("utf-8"))).decode("ascii")
    return text
