"""The fix for an action the instance role does not allow: the AWS managed policy that
grants it (from `ssmreach/data/granting_policies.json`, with sources) when the role does
not carry it yet; otherwise, or when no managed policy fits, the exact statement to add.
A policy that is already attached and still does not grant the action is never suggested.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from ssmreach.model import aws


@cache
def _table() -> tuple[tuple[tuple[str, ...], str], ...]:
    text = resources.files("ssmreach.data").joinpath("granting_policies.json").read_text()
    return tuple((tuple(p["actions"]), p["policy"]) for p in json.loads(text)["policies"])


def granting_policy(action: str) -> str | None:
    """The AWS managed policy that grants `action`, by the table (None: none listed)."""
    for prefixes, policy in _table():
        if any(action == p or (p.endswith(":") and action.startswith(p)) for p in prefixes):
            return policy
    return None


def iam_fix(role: aws.RoleDetail, action: str, resource: str, *, denied: bool) -> str:
    """One sentence that fixes `action` on `resource` for `role`."""
    statement = (
        f'add to role {role.role_name} the statement {{"Effect": "Allow", "Action": "{action}", '
        f'"Resource": "{resource}"}}'
    )
    if denied:
        return f"Remove the explicit deny of {action} for role {role.role_name}, then {statement}."
    policy = granting_policy(action)
    attached = {
        (p.policy_name or p.policy_arn.rsplit("/", 1)[-1]) for p in role.attached_managed_policies
    }
    if policy is not None and policy not in attached:
        return f"Attach {policy} to role {role.role_name}, or {statement}."
    return statement[0].upper() + statement[1:] + "."
