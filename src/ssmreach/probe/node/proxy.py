"""Proxy settings: the environment and the agent's systemd drop-ins, and NO_PROXY matching."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from .constants import IMDS_ADDRESS
from .helpers import read_text, redact_url

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Mapping

    from .config import ProbeConfig


def _env(env: Mapping[str, str], name: str) -> str:
    return env.get(name.lower()) or env.get(name.upper()) or ""


def no_proxy_matches(host: str, no_proxy: str) -> bool:
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return True
            continue
        except ValueError:
            pass
        entry = entry.lstrip("*").lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


def parse_systemd_environment(text: str) -> dict[str, str]:
    """`Environment="a=b" "c=d"` lines of a systemd unit drop-in."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("Environment="):
            continue
        body = line[len("Environment=") :]
        for item in re.findall(r'"([^"]*)"|(\S+)', body):
            pair = item[0] or item[1]
            name, sep, value = pair.partition("=")
            if sep:
                out[name] = value
    return out


def proxy_facts(config: ProbeConfig) -> dict[str, Any]:
    agent_env: dict[str, str] = {}
    sources: list[str] = []
    for path in config.agent_proxy_files:
        text = read_text(path)
        if text is None:
            continue
        found = {
            k: v
            for k, v in parse_systemd_environment(text).items()
            if k.lower() in ("https_proxy", "http_proxy", "no_proxy")
        }
        if found:
            agent_env.update(found)
            sources.append(path)
    env = config.env
    effective = dict((k, v) for k, v in env.items() if k.lower().endswith("_proxy"))
    effective.update(agent_env)
    https_proxy = _env(effective, "https_proxy")
    http_proxy = _env(effective, "http_proxy")
    no_proxy = _env(effective, "no_proxy")
    any_proxy = bool(https_proxy or http_proxy)
    return {
        "https_proxy": redact_url(https_proxy) or None,
        "http_proxy": redact_url(http_proxy) or None,
        "no_proxy": no_proxy or None,
        "agent_sources": sources,
        "imds_excluded": (not any_proxy) or no_proxy_matches(IMDS_ADDRESS, no_proxy),
        "_https_proxy": https_proxy,  # internal, removed before output
    }


def proxy_for(host: str, proxy: Mapping[str, Any]) -> str | None:
    url = proxy.get("_https_proxy") or ""
    if not url or no_proxy_matches(host, proxy.get("no_proxy") or ""):
        return None
    return str(url)
