"""The live side of apply: boto3 clients, and the account's state read with the collector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ssmreach.collect import collect_snapshot
from ssmreach.collect.session import SessionFactory
from ssmreach.model.estate import Estate
from ssmreach.model.reader import parse_snapshot
from ssmreach.plan.plan import Plan

__all__ = ["client_factory", "regions_of", "state_reader"]


def regions_of(plan: Plan) -> list[str]:
    return sorted({s.region for s in plan.scope} | {c.region for c in plan.changes})


def state_reader(
    regions: Sequence[str],
    *,
    profile: str | None = None,
    session_factory: SessionFactory | None = None,
) -> Callable[[], Estate]:
    """Reads the account with the collector (read-only calls) into an estate, each call."""

    def read() -> Estate:
        result = collect_snapshot(
            list(regions), profile=profile, session_factory=session_factory, max_workers=4
        )
        return parse_snapshot(result.raw)

    return read


def client_factory(
    *, profile: str | None = None, session_factory: SessionFactory | None = None
) -> Callable[[str, str], Any]:
    """Write-capable clients (service, Region), cached; the standard credential chain."""
    factory: Any = session_factory
    if factory is None:
        import boto3

        factory = boto3.Session
    session: Any = factory(profile_name=profile) if profile else factory()
    cache: dict[tuple[str, str], Any] = {}

    def make(service: str, region: str) -> Any:
        key = (service, region)
        if key not in cache:
            cache[key] = session.client(service, region_name=region)
        return cache[key]

    return make
