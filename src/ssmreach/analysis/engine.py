"""`check`: every instance x every feature → a verdict with reasons and hop traces.

Pure: takes an `Estate`, returns a `CheckResult`. Results that depend only on the
VPC (DNS answers), on the role (policy evaluations) or on the whole path are
cached per run, so the cost grows with distinct configurations, not instances.

The work lives by job in its own modules; `check_estate` here walks the instances and
assembles the result:

- `instance_check`: one instance's features, and what instances share in a run;
- `instance_facts`: the agent and the ephemeral ports of an instance;
- `sessions`: the Session Manager preferences and what a session needs;
- `message_channel`: the ec2messages retirement, and no message channel at all;
- `missing_reads`: an UNKNOWN result names every missing read of its path;
- `path`: one service along its path.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from ssmreach.analysis.ec2messages_usage import may_need_ec2messages, unused_ec2messages_endpoints
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.analysis.grouping import policy_names
from ssmreach.analysis.hybrid_nodes import unchecked_hybrid_nodes
from ssmreach.analysis.instance_check import Shared, instance_results
from ssmreach.analysis.instance_facts import agent_facts, ephemeral_ports
from ssmreach.analysis.path_context import PathContext
from ssmreach.analysis.retirement import Assumption
from ssmreach.analysis.sessions import session_preferences
from ssmreach.analysis.verdict import CheckResult
from ssmreach.analysis.workers import Job, Placed, check_in_workers, unit_of, worker_count
from ssmreach.model.estate import Estate, RegionData
from ssmreach.pricing import price_table

__all__ = [
    "CheckOptions",
    "agent_facts",
    "check_estate",
    "cycle_collector_paused",
    "ephemeral_ports",
    "instance_ids",
    "session_preferences",
]


@dataclass(frozen=True, slots=True)
class CheckOptions:
    features: tuple[str, ...] = DEFAULT_FEATURES
    instances: tuple[str, ...] = ()  # empty: all
    grouped: bool = True  # analyse instances with equal group keys once (see grouping.py)
    assume_ec2messages: Assumption = "auto"  # see retirement.py
    as_of: date | None = None  # the day the check judges; None: the snapshot's date, else today
    # processes to analyse in (workers.py); None: every core for a large estate
    workers: int | None = None


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector, paused while the check runs. Its full collections walk
    every object alive, which here is the whole estate and every result, and so grow
    with the estate at each pass; the check makes almost no reference cycles (under a
    thousand objects for 10,000 instances in 2,000 VPCs, where pausing saves a third of
    the time). Reference counting frees everything else as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_estate(estate: Estate, options: CheckOptions | None = None) -> CheckResult:
    """Verdicts for every instance (or the chosen ones) and every chosen feature."""
    with cycle_collector_paused():
        return _check_estate(estate, options)


def _check_estate(estate: Estate, options: CheckOptions | None) -> CheckResult:
    options = options or CheckOptions()
    names = policy_names(estate)
    ctx = PathContext(estate, names.instances)
    wanted = set(options.instances)
    features = tuple(sorted(options.features))
    placed: list[Placed] = [
        (key, region, instance)
        for key, region in sorted(estate.regions.items())
        for instance in sorted(region.instances, key=lambda i: i.instance_id)
        if not wanted or instance.instance_id in wanted
    ]
    count = len(placed)
    workers = worker_count(options.workers, count, len({unit_of(p) for p in placed}))
    if workers > 1:
        job = Job(
            estate,
            options.grouped,
            options.assume_ec2messages,
            options.as_of,
            features,
            tuple(placed),
            names,
        )
        per_instance = check_in_workers(job, workers)
    else:
        shared = Shared(estate, options.grouped, options.assume_ec2messages, options.as_of, names)
        per_instance = [
            instance_results(ctx, region, instance, shared, features)
            for _, region, instance in placed
        ]
    results = [r for rs in per_instance for r in rs]
    not_running = sum(instance.state_name != "running" for _, _, instance in placed)
    needing: dict[tuple[str, str, str], tuple[RegionData, str]] = {}
    for _, region, instance in placed:
        where = (region.account, region.region, instance.vpc_id or "")
        if where not in needing and may_need_ec2messages(agent_facts(region, instance)):
            needing[where] = (region, instance.vpc_id or "")
    # About endpoints rather than instances: only when every instance is checked.
    estate_findings = (
        ()
        if wanted
        else unused_ec2messages_endpoints(
            estate, needing.values(), ctx.resolve, ctx.partition, price_table()
        )
        + unchecked_hybrid_nodes(estate)
    )
    return CheckResult(
        accounts=estate.account_ids,
        regions=estate.region_names,
        created=estate.created,
        source=estate.source,
        instances=count,
        results=tuple(results),
        not_running=not_running,
        estate_findings=estate_findings,
    )


def instance_ids(estate: Estate) -> Sequence[str]:
    return [i.instance_id for r in estate.regions.values() for i in r.instances]
