"""Carry out a plan against a live account (the only package that writes to AWS).

executor.py  `apply_plan(plan, state, clients, options)`: stale check, ordered steps,
             rollback of what this run did, before/after verdicts
handlers.py  `HANDLERS`: one idempotent, undoable handler per change kind, from
             endpoint_handlers.py (endpoints, private zones) and network_handlers.py
             (VPC attributes, security groups, routes, ACL entries); context.py holds what
             they share (clients, dry run, tags, `Outcome`)
live.py      boto3 clients and the collector as the state reader
"""

from __future__ import annotations

from ssmreach.apply.executor import (
    ApplyOptions,
    ApplyResult,
    PlanStaleError,
    Prepared,
    StepResult,
    apply_plan,
    carry_out,
    prepare_apply,
)
from ssmreach.apply.live import client_factory, regions_of, state_reader

__all__ = [
    "ApplyOptions",
    "ApplyResult",
    "PlanStaleError",
    "Prepared",
    "StepResult",
    "apply_plan",
    "carry_out",
    "client_factory",
    "prepare_apply",
    "regions_of",
    "state_reader",
]
