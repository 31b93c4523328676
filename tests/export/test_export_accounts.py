"""A plan across accounts (a shared VPC: the owner's endpoints, the participant's group
egress) as one Terraform root with one provider alias per account."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import hcl2
import pytest

from analysis.test_shared_subnets import OWNER, PARTICIPANT
from export.test_export_terraform import _terraform, offline_env
from plan.test_plan_shared_vpc import _plan
from ssmreach.export import render_terraform, write_terraform
from ssmreach.export.cloudformation import template_for
from ssmreach.export.common import ExportError


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


def test_cloudformation_still_refuses_several_accounts() -> None:
    plan, _ = _plan(egress=False)
    with pytest.raises(ExportError, match="account/Region pairs"):
        template_for(plan)


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
