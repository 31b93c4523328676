"""`ssmreach permissions`: the policy JSON on stdout, generated from the calls table."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ssmreach.cli.app import cli
from ssmreach.collect.calls import CALLS


def test_prints_the_read_policy() -> None:
    result = CliRunner().invoke(cli, ["permissions"])
    assert result.exit_code == 0, result.output
    policy = json.loads(result.stdout)
    assert policy["Version"] == "2012-10-17"
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    assert statement["Action"] == sorted(set(statement["Action"]))
    assert {c.iam_action for c in CALLS} <= set(statement["Action"])
    assert CliRunner().invoke(cli, ["permissions", "--for", "snapshot"]).stdout == result.stdout


def test_role_arns_add_assume_role() -> None:
    role = "arn:aws:iam::111122223333:role/ssmreach-read"
    result = CliRunner().invoke(cli, ["permissions", "--role-arn", role])
    assert result.exit_code == 0, result.output
    statements = json.loads(result.stdout)["Statement"]
    assert statements[1]["Action"] == "sts:AssumeRole"
    assert statements[1]["Resource"] == [role]


def test_only_known_purposes() -> None:
    result = CliRunner().invoke(cli, ["permissions", "--for", "delete-everything"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["permissions", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "ssmreach permissions > ssmreach-read.json" in result.output
    assert "--for [snapshot|apply]" in result.output


def test_apply_permissions_cover_every_change_kind_and_the_reads() -> None:
    import msgspec

    from ssmreach.permissions import minimal_policy
    from ssmreach.plan.changes import CHANGE_TYPES

    policy = minimal_policy("apply")
    actions = {
        a
        for st in policy["Statement"]
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    for kind in CHANGE_TYPES:
        declared = next(f.default for f in msgspec.structs.fields(kind) if f.name == "permissions")
        assert set(declared) <= actions, kind.__name__
    assert "ec2:DescribeVpcs" in actions and "ec2:DeleteVpcEndpoints" in actions
    result = CliRunner().invoke(cli, ["permissions", "--for", "apply"])
    assert result.exit_code == 0 and "SsmreachApplyWrite" in result.stdout
