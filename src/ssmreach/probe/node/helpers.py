"""Small helpers: findings and hops, service names, redaction, files, commands, errors."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
from typing import TYPE_CHECKING, Any

from .constants import (
    DOMAINS,
    FEATURE_SERVICES,
    FEATURES,
    LOG_TAIL_BYTES,
    SERVICES,
    VERDICT_RANK,
)
from .deadline import ProbeUsageError

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Sequence


def reason(code: str, severity: str, resource: str | None, message: str) -> dict[str, Any]:
    """One finding; its fix sentence is filled in from `ProbeConfig.fixes` at the end."""
    return {
        "code": code,
        "severity": severity,
        "resource": resource,
        "message": message,
        "fix": None,
    }


def hop(step: str, resource: str | None, result: str, detail: str) -> dict[str, Any]:
    return {"step": step, "resource": resource, "result": result, "detail": detail}


def worst_verdict(verdicts: Sequence[str]) -> str:
    return max(verdicts, key=lambda v: VERDICT_RANK.get(v, 2), default="PRIVATE")


def service_domain(region: str) -> str:
    for prefix, domain in DOMAINS:
        if region.startswith(prefix):
            return domain
    return "amazonaws.com"


def service_host(service: str, region: str, domain: str | None = None) -> str:
    return f"{service}.{region}.{domain or service_domain(region)}"


def services_for(features: Sequence[str], extra: Sequence[str] = ()) -> list[str]:
    wanted: list[str] = []
    for feature in features:
        if feature == "all":
            wanted.extend(SERVICES)
            continue
        if feature not in FEATURE_SERVICES:
            raise ProbeUsageError(
                "unknown feature {!r}; choose from {}, all".format(feature, ", ".join(FEATURES))
            )
        wanted.extend(FEATURE_SERVICES[feature])
    for service in extra:
        if service not in SERVICES:
            raise ProbeUsageError(
                "unknown service {!r}; choose from {}".format(service, ", ".join(SERVICES))
            )
        wanted.append(service)
    return [s for s in SERVICES if s in wanted]


def redact_url(url: str) -> str:
    """A proxy URL without its user and password."""
    return re.sub(r"//[^@/]*@", "//***@", url)


def redact_line(line: str) -> str:
    line = re.sub(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b", "***", line)
    line = re.sub(r"(?i)(token|secret|password)([\"':= ]+)[^\s\"',]+", r"\1\2***", line)
    return line[:240]


def read_text(path: str, limit: int = 1024 * 1024) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def tail_text(path: str, limit: int = LOG_TAIL_BYTES) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return None


def run_command(argv: Sequence[str], timeout: float) -> tuple[int | None, str]:
    """Run a local command with a timeout: (exit code, stdout+stderr); None when it cannot run."""
    try:
        done = subprocess.run(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None, ""
    return done.returncode, done.stdout.decode("utf-8", "replace").strip()


def error_text(exc: BaseException) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)):  # distinct on Python 3.8
        return "timed out" + (f": {exc}" if str(exc) and str(exc) != "timed out" else "")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate did not validate: {exc.verify_message or exc.reason}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"does not resolve ({exc.strerror or exc})"
    text = str(exc) or exc.__class__.__name__
    return text
