"""The generated IAM policy covers every call of the collector, and nothing else."""

from __future__ import annotations

from collect.collect_helpers import aws_env, moto  # noqa: F401
from ssmreach.collect.calls import CALLS, REGION_LISTING
from ssmreach.permissions import minimal_policy, required_actions


def test_policy_covers_every_call_of_the_table() -> None:
    policy = minimal_policy()
    assert policy["Version"] == "2012-10-17"
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "*"
    actions = statement["Action"]
    assert actions == sorted(set(actions))
    assert {c.iam_action for c in CALLS} | {REGION_LISTING.iam_action} == set(actions)
    assert all(c.iam_action for c in CALLS)
    assert "sts:GetCallerIdentity" not in actions  # IAM cannot deny it
    assert not any(
        a.split(":")[1].startswith(("Create", "Modify", "Delete", "Put")) for a in actions
    )


def test_role_arns_add_an_assume_role_statement() -> None:
    roles = [
        "arn:aws:iam::222222222222:role/b",
        "arn:aws:iam::111111111111:role/a",
        "arn:aws:iam::111111111111:role/a",
    ]
    read, assume = minimal_policy("snapshot", roles)["Statement"]
    assert read["Action"] == required_actions()
    assert assume == {
        "Sid": "SsmreachAssumeReadRoles",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": ["arn:aws:iam::111111111111:role/a", "arn:aws:iam::222222222222:role/b"],
    }
