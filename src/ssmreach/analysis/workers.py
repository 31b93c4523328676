"""A large check on every core: the instances split by VPC among worker processes.

Instances of different VPCs share no cached network result (DNS, routes, ACLs and
endpoints are per VPC) and identity results are cheap next to them, so a VPC is the unit
of work: each worker analyses whole VPCs, in the order a single process would, with caches
of its own, and the results come back to be put in that order. Grouping is exact
(grouping.py), so which process analysed an instance never changes its result; a test
compares one worker with two.

Workers are forked: they inherit the parsed estate instead of receiving it, which is
what makes the split pay. Where processes cannot be forked (not Linux or macOS with the
fork start method), the check runs in one process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ssmreach.analysis.grouping import PolicyNames
from ssmreach.analysis.instance_check import Shared, instance_results
from ssmreach.analysis.path_context import PathContext
from ssmreach.analysis.retirement import Assumption
from ssmreach.analysis.verdict import FeatureResult
from ssmreach.model import aws
from ssmreach.model.estate import Estate, RegionData

# Below this many instances a check takes about a second: forking and sending results
# back would eat what a second core saves.
POOL_MIN_INSTANCES = 4000
# At most this many workers by default: each one copies the pages of the estate it
# touches, so memory grows with workers, while the gain per worker shrinks (results
# come back through one parent).
DEFAULT_MAX_WORKERS = 4


def usable_cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


# (account, Region, VPC): what one worker takes whole.
Unit = tuple[str, str, str]
# An instance to check: its Region's key in `Estate.regions`, its data, the instance.
Placed = tuple[tuple[str, str], RegionData, aws.Instance]


@dataclass(frozen=True, slots=True)
class Job:
    """What every worker checks its share against (inherited when forked)."""

    estate: Estate
    grouped: bool
    assumption: Assumption
    as_of: date | None
    features: tuple[str, ...]
    instances: tuple[Placed, ...]
    names: PolicyNames  # what the estate's policies name (grouping.py)


def unit_of(placed: Placed) -> Unit:
    _, region, instance = placed
    return (region.account, region.region, instance.vpc_id or "")


def worker_count(requested: int | None, instances: int, units: int) -> int:
    """How many processes: `requested` (None: one per usable core, at most
    DEFAULT_MAX_WORKERS, for POOL_MIN_INSTANCES or more), at most one per unit of work,
    and 1 where processes cannot be forked."""
    if requested is not None:
        wanted = requested
    elif instances >= POOL_MIN_INSTANCES:
        wanted = min(usable_cores(), DEFAULT_MAX_WORKERS)
    else:
        wanted = 1
    if wanted <= 1 or units <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(wanted, units)


def split(sizes: dict[Unit, int], workers: int) -> list[list[Unit]]:
    """Units into `workers` shares of about equal instance counts (largest first, each to
    the lightest share so far), each share in the units' first order."""
    order = {unit: n for n, unit in enumerate(sizes)}
    shares: list[list[Unit]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for unit in sorted(sizes, key=lambda u: (-sizes[u], order[u])):
        lightest = loads.index(min(loads))
        shares[lightest].append(unit)
        loads[lightest] += sizes[unit]
    return [sorted(share, key=order.__getitem__) for share in shares if share]


_JOB: Job | None = None  # set in the parent just before the workers are forked


def _check_share(units: Sequence[Unit]) -> list[list[FeatureResult]]:
    """In a worker: the results of the instances of `units`, in the job's order."""
    job = _JOB
    assert job is not None, "workers are forked after the job is set"
    wanted = set(units)
    shared = Shared(job.estate, job.grouped, job.assumption, job.as_of, job.names)
    ctx = PathContext(job.estate, job.names.instances)
    out: list[list[FeatureResult]] = []
    for placed in job.instances:
        if unit_of(placed) in wanted:
            _, region, instance = placed
            out.append(instance_results(ctx, region, instance, shared, job.features))
    return out


def check_in_workers(job: Job, workers: int) -> list[list[FeatureResult]]:
    """Each instance's results, in `job.instances` order, from `workers` processes."""
    global _JOB
    sizes: dict[Unit, int] = {}
    for placed in job.instances:
        unit = unit_of(placed)
        sizes[unit] = sizes.get(unit, 0) + 1
    shares = split(sizes, workers)
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(len(shares)) as pool:
            answers = pool.map(_check_share, shares, chunksize=1)
    finally:
        _JOB = None
    by_unit: dict[Unit, int] = {unit: n for n, share in enumerate(shares) for unit in share}
    taken = [iter(answer) for answer in answers]
    return [next(taken[by_unit[unit_of(placed)]]) for placed in job.instances]
