"""The whole probe: node facts, every service in its own thread, and the document."""

from __future__ import annotations

import datetime
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from .agent import agent_config_facts, agent_facts, dual_stack_hosts, registration_facts
from .constants import PROBE_FORMAT, PROBE_VERSION
from .deadline import Deadline, ProbeUsageError
from .dns import _vpc_networks, resolver_facts
from .findings import _clock_facts, _node_reasons, apply_fixes
from .helpers import hop, reason, service_domain, service_host, services_for, worst_verdict
from .imds import imds_facts
from .proxy import proxy_facts
from .service import ServiceProbe, service_document

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Callable, Mapping, Sequence

    from .config import ProbeConfig


def _run_threads(jobs: Mapping[str, Callable[[], Any]], deadline: Deadline) -> dict[str, Any]:
    results: dict[str, Any] = {}
    lock = threading.Lock()

    def wrap(name: str, job: Callable[[], Any]) -> Callable[[], None]:
        def target() -> None:
            try:
                value = job()
            except Exception as exc:
                value = exc
            with lock:
                results[name] = value

        return target

    threads = [threading.Thread(target=wrap(n, j), daemon=True) for n, j in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline.left()))
    with lock:
        return dict(results)


def _region(
    config: ProbeConfig,
    imds: Mapping[str, Any],
    registration: Mapping[str, Any] | None,
    agent_config: Mapping[str, Any],
) -> str:
    region: str | None = (
        config.region
        or imds.get("region")
        or (registration or {}).get("region")
        or agent_config.get("region")
        or config.env.get("AWS_REGION")
        or config.env.get("AWS_DEFAULT_REGION")
    )
    if not region:
        raise ProbeUsageError(
            "no Region: the metadata service did not say and none is configured; pass --region"
        )
    return region


def _vpc_cidrs(config: ProbeConfig, imds: Mapping[str, Any]) -> list[str]:
    vpc_cidrs: list[str] = []
    for cidr in list(imds.get("vpc_cidrs") or []) + list(config.vpc_cidrs):
        if cidr not in vpc_cidrs:
            vpc_cidrs.append(cidr)
    return vpc_cidrs


def _unfinished(service: str, host: str, override: bool, result: Any) -> dict[str, Any]:
    """The UNKNOWN result of a service whose probe did not finish (or failed unexpectedly)."""
    note = (
        f"the probe's deadline passed before {host} was done"
        if result is None
        else f"the probe of {host} failed: {result}"
    )
    out = service_document(service, host, override)
    out["hops"] = [hop("deadline", None, "unknown", note)]
    out["reasons"] = [
        reason("EGRESS_UNMODELED", "warning", host, note + "; run again with a longer --timeout")
    ]
    return out


def _probe_in_threads(
    config: ProbeConfig,
    deadline: Deadline,
    wanted: Sequence[str],
    region: str,
    overrides: Mapping[str, str],
    vpc_cidrs: Sequence[str],
    proxy: Mapping[str, Any],
    imds: Mapping[str, Any],
) -> tuple[list[dict[str, Any]], Any]:
    """Every service, and the agent, in parallel until the deadline: (services, agent)."""
    vpc_nets = _vpc_networks(vpc_cidrs)
    jobs: dict[str, Callable[[], Any]] = {}
    hosts: dict[str, tuple[str, bool]] = {}
    for service in wanted:
        host = overrides.get(service) or service_host(service, region, config.domain)
        hosts[service] = (host, service in overrides)
        probe = ServiceProbe(
            service,
            host,
            config,
            deadline,
            vpc_nets,
            proxy,
            imds.get("subnet"),
            service in overrides,
        )
        jobs["service:" + service] = probe.run
    if config.agent:
        jobs["agent"] = lambda: agent_facts(config, deadline)
    done = _run_threads(jobs, deadline)
    services: list[dict[str, Any]] = []
    for service in wanted:
        result = done.get("service:" + service)
        if not isinstance(result, dict):
            result = _unfinished(service, hosts[service][0], hosts[service][1], result)
        services.append(result)
    agent = done.get("agent") if config.agent else None
    if config.agent and not isinstance(agent, dict):
        agent = {"state": "unknown", "note": "not finished before the deadline"}
    return services, agent


def _run_facts(config: ProbeConfig, started: float, begun: float) -> dict[str, Any]:
    return {
        "version": PROBE_VERSION,
        "started": datetime.datetime.fromtimestamp(
            started,
            datetime.timezone.utc,  # noqa: UP017 (Python 3.8)
        )
        .isoformat()
        .replace("+00:00", "Z"),
        "seconds": round(time.monotonic() - begun, 2),
        "timeout": config.timeout,
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
        "platform": config.platform,
        "features": list(config.features),
    }


def run_probe(config: ProbeConfig) -> dict[str, Any]:
    """Probe the node; return the `ssmreach.probe/1` document as a dict."""
    started = config.clock()
    begun = time.monotonic()
    deadline = Deadline(config.timeout)
    wanted = services_for(config.features, config.services)
    registration = registration_facts(config)
    agent_config = agent_config_facts(config) if config.agent else {"file": None, "overrides": {}}
    proxy = proxy_facts(config)
    imds = imds_facts(config, deadline)
    region = _region(config, imds, registration, agent_config)
    vpc_cidrs = _vpc_cidrs(config, imds)
    resolvers = resolver_facts(config, vpc_cidrs)
    overrides: Mapping[str, str] = {
        **dual_stack_hosts(agent_config, wanted, region, config.domain or service_domain(region)),
        **(agent_config.get("overrides") or {}),
    }
    services, agent = _probe_in_threads(
        config, deadline, wanted, region, overrides, vpc_cidrs, proxy, imds
    )
    node_kind = "hybrid" if registration else ("ec2" if imds.get("instance") else "unknown")
    instance = config.instance_id or (registration or {}).get("instance") or imds.get("instance")
    clock = _clock_facts(services)
    reasons = _node_reasons(node_kind, imds, proxy, agent, clock, config)
    proxy.pop("_https_proxy", None)
    doc = {
        "format": PROBE_FORMAT,
        "probe": _run_facts(config, started, begun),
        "node": {
            "instance": instance,
            "kind": node_kind,
            "region": region,
            "account": imds.get("account"),
            "vpc": imds.get("vpc"),
            "subnet": imds.get("subnet"),
            "vpc_cidrs": vpc_cidrs,
            "imds": {k: imds.get(k) for k in ("url", "reachable", "v2_token", "v1") if k in imds},
            "role": {
                "name": imds.get("role"),
                "credentials": imds.get("credentials", "unknown"),
                "expires": imds.get("credentials_expire"),
            },
            "registration": registration,
            "resolvers": resolvers,
            "proxy": proxy,
            "agent": dict(agent or {}, config=agent_config) if config.agent else None,
            "clock": clock,
        },
        "verdict": worst_verdict(
            [s["verdict"] for s in services]
            + ["BLOCKED" for r in reasons if r["severity"] == "error"]
        ),
        "reasons": reasons,
        "services": services,
    }
    apply_fixes(doc, config.fixes)
    return doc
