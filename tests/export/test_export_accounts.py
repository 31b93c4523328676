"""A plan across accounts (a shared VPC: the owner's endpoints, the participant's group
egress) as one Terraform root with one provider alias per account, and as one
CloudFormation template per account and Region."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import hcl2
import pytest
from cfnlint.api import ManualArgs, lint

from analysis.test_shared_subnets import OWNER, PARTICIPANT
from export.test_export_terraform import _terraform, offline_env
from plan.test_plan_shared_vpc import _plan
from ssmreach.export import render_terraform, write_terraform
from ssmreach.export.cloudformation import (
    render_stack_templates,
    stack_templates,
    template_for,
    to_yaml,
)
from ssmreach.export.common import ExportError, name_for
from ssmreach.plan import changes as c


def _providers(versions_tf: str) -> list[dict[str, object]]:
    """The provider blocks, with python-hcl2's quoting (which varies by version) removed."""
    out = []
    for provider in hcl2.loads(versions_tf)["provider"]:
        ((_, body),) = provider.items()
        out.append({k: (v.strip('"') if isinstance(v, str) else v) for k, v in body.items()})
    return out


def test_each_account_gets_a_provider_and_each_resource_names_its_own() -> None:
    plan, _ = _plan(egress=False)
    files = render_terraform(plan)
    aliases = {p["alias"]: p for p in _providers(files["versions.tf"])}
    assert set(aliases) == {f"account_{OWNER}", f"account_{PARTICIPANT}"}
    assert "var.account_roles" in str(aliases[f"account_{OWNER}"]["assume_role"])
    found = re.findall(
        r'resource "(\w+)" "\w+" \{\n  provider +\= aws\.account_(\d+)', files["main.tf"]
    )
    by_type: dict[str, set[str]] = {}
    for kind, account in found:
        by_type.setdefault(kind, set()).add(account)
    assert by_type["aws_vpc_endpoint"] == {OWNER}
    assert by_type["aws_vpc_security_group_egress_rule"] == {PARTICIPANT}
    assert len(found) == files["main.tf"].count('resource "')  # every resource names one
    assert "account_roles" in files["variables.tf"]


def test_a_single_account_plan_keeps_one_unaliased_provider() -> None:
    plan, _ = _plan(egress=True)
    files = render_terraform(plan)
    assert [p.get("alias") for p in _providers(files["versions.tf"])] == [None]
    assert "provider " not in files["main.tf"]


def test_one_template_refuses_several_accounts() -> None:
    plan, _ = _plan(egress=False)
    with pytest.raises(ExportError, match="account/Region pairs"):
        template_for(plan)


def test_cloudformation_writes_one_stack_per_account_in_order() -> None:
    """The owner's stack first; the participant's egress rule to the owner's new endpoint
    group takes the group id as a parameter (an output of the owner's stack), so that the
    template names nothing of another account and deploys as a stack or a stack set."""
    plan, _ = _plan(egress=False)
    owner, participant = stack_templates(plan)
    assert (owner.account, participant.account) == (OWNER, PARTICIPANT)
    assert owner.inputs == {}
    [(parameter, source)] = participant.inputs.items()
    group = next(ch for ch in plan.changes if isinstance(ch, c.CreateSecurityGroup))
    assert source == (OWNER, group.region, name_for(group))
    assert name_for(group) in owner.template["Outputs"]
    assert participant.template["Parameters"][parameter]["Type"] == "AWS::EC2::SecurityGroup::Id"
    rules = [
        r for r in participant.template["Resources"].values()
        if r["Type"] == "AWS::EC2::SecurityGroupEgress"
    ]  # fmt: skip
    assert rules and {"Ref": parameter} in [
        r["Properties"].get("DestinationSecurityGroupId") for r in rules
    ]
    assert name_for(group) not in participant.template["Resources"]
    for stack in (owner, participant):
        assert {r["Type"] for r in stack.template["Resources"].values()}
        assert stack.template["Metadata"]["ssmreach"]["Account"] == stack.account
        matches = lint(to_yaml(stack.template), config=ManualArgs(regions=["us-east-1"]))
        assert [str(m) for m in matches] == []

    files = render_stack_templates(plan)
    assert sorted(files) == sorted(
        ["README.md", f"ssmreach-{OWNER}-us-east-1.yaml", f"ssmreach-{PARTICIPANT}-us-east-1.yaml"]
    )
    readme = files["README.md"]
    assert readme.index(f"## 1. account {OWNER}") < readme.index(f"## 2. account {PARTICIPANT}")
    assert f"--accounts {PARTICIPANT} --regions us-east-1 --parameter-overrides " in readme
    assert f"ParameterKey={parameter},ParameterValue=<output {name_for(group)} of {OWNER}" in readme


def test_a_plan_of_one_account_is_one_stack() -> None:
    plan, _ = _plan(egress=True)
    [stack] = stack_templates(plan)
    assert stack.template == template_for(plan) and stack.inputs == {}


@pytest.mark.skipif(
    _terraform() is None, reason="terraform or its offline provider mirror is missing"
)
def test_the_multi_account_root_passes_terraform_validate(tmp_path: Path) -> None:
    terraform = _terraform()
    assert terraform is not None
    folder = tmp_path / "tf"
    plan, _ = _plan(egress=False)
    write_terraform(plan, folder)
    env = offline_env(tmp_path)
    for args in (["init", "-backend=false", "-input=false"], ["validate"]):
        run = subprocess.run(
            [terraform, *args, "-no-color"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert run.returncode == 0, run.stdout + run.stderr
