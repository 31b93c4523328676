"""Plans: what should change so that instances reach Systems Manager privately (pure).

changes.py   the closed union of change records (`Change`)
plan.py      `Plan`, its JSON form and the state fingerprint
planner.py   `make_plan(estate, result, options)`: check result -> plan (the rules; its
             parts by job: needs, per_vpc, hub, interfaces, groups, gateway, routes,
             acls, manual, assemble, over shared and state)
policies.py  endpoint policies the plan sets
costs.py     monthly cost of interface endpoints and hosted zones (`ssmreach.pricing`)
render.py    the plan as text a person reads
nacl_rules.py network ACL entries for the paths a plan leaves
"""

from __future__ import annotations

from ssmreach.plan.changes import CHANGE_TYPES, Change, Finding, is_ref, ref, ref_target
from ssmreach.plan.plan import (
    ManualStep,
    Plan,
    PlanFormatError,
    Scope,
    VpcDesign,
    decode_plan,
    encode_plan,
    fingerprint,
)
from ssmreach.plan.planner import PlanOptions, make_plan

__all__ = [
    "CHANGE_TYPES",
    "Change",
    "Finding",
    "ManualStep",
    "Plan",
    "PlanFormatError",
    "PlanOptions",
    "Scope",
    "VpcDesign",
    "decode_plan",
    "encode_plan",
    "fingerprint",
    "is_ref",
    "make_plan",
    "ref",
    "ref_target",
]
