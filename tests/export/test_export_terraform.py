"""Terraform export: the folder parses with python-hcl2 and passes `terraform validate`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from export.export_plans import PLANS, every_kind
from ssmreach.export import render_terraform, write_terraform
from ssmreach.export.hcl import quote

MIRROR = Path(os.environ.get("SSMREACH_TF_MIRROR", "/opt/tf-plugins"))


@pytest.mark.parametrize("name", sorted(PLANS))
def test_files_parse_with_python_hcl2(name: str) -> None:
    files = render_terraform(PLANS[name]())
    assert set(files) == {"versions.tf", "variables.tf", "main.tf", "outputs.tf", "README.md"}
    for file, text in files.items():
        if file.endswith(".tf"):
            hcl2.loads(text)


def test_every_kind_uses_standalone_resources_and_variables() -> None:
    files = render_terraform(every_kind())
    main = hcl2.loads(files["main.tf"])
    kinds = {kind.strip('"') for block in main["resource"] for kind in block}
    assert kinds == {
        "aws_security_group",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_endpoint",
        "aws_vpc_endpoint_private_dns",
        "aws_vpc_endpoint_security_group_association",
        "aws_vpc_endpoint_policy",
        "aws_vpc_endpoint_route_table_association",
        "aws_route",
        "aws_network_acl_rule",
        "aws_route53_zone",
        "aws_route53_record",
        "aws_route53_zone_association",
    }
    assert "data" in main  # the existing hub endpoint is read, not managed
    (rule,) = [
        body
        for block in main["resource"]
        for kind, named in block.items()
        if kind.strip('"') == "aws_network_acl_rule"
        for body in named.values()
    ]
    fields = {k: v.strip('"') if isinstance(v, str) else v for k, v in rule.items()}
    assert {k: v for k, v in fields.items() if not k.startswith("__")} == {
        "network_acl_id": "acl-0aaaaaaaaaaaaaaa1",
        "rule_number": 90,
        "egress": False,
        "protocol": "tcp",
        "rule_action": "allow",
        "cidr_block": "10.0.11.0/24",
        "from_port": 32768,
        "to_port": 60999,
    }
    variables = {
        name.strip('"') for block in hcl2.loads(files["variables.tf"])["variable"] for name in block
    }
    assert variables == {"region", "plan_id", "tags", "endpoint_policies"}
    assert 'lookup(var.endpoint_policies, "ssm"' in files["main.tf"]
    assert "merge(var.tags" in files["main.tf"]
    # the VPC attribute is the one change left to the README (Terraform would take over the VPC)
    assert "modify-vpc-attribute" in files["README.md"]
    assert "modify-vpc-attribute" in files["outputs.tf"]


def test_values_cannot_become_expressions() -> None:
    assert quote('a"b${var.x}%{if}\n') == '"a\\"b$${var.x}%%{if}\\n"'
    assert hcl2.loads(f"x = {quote('${oops}')}\n")["x"].strip('"') == "$${oops}"


def _terraform() -> str | None:
    found = shutil.which("terraform")
    if found is None or not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        return None
    return found


def offline_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `terraform` run that takes the AWS provider from the mirror."""
    rc = tmp_path / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{MIRROR}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    return {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(rc),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }


@pytest.mark.skipif(
    _terraform() is None, reason="terraform or its offline AWS provider mirror is not installed"
)
def test_terraform_validate_offline(tmp_path: Path) -> None:
    """One folder holding every kind of change (about 10 s: the provider loads once)."""
    terraform = _terraform()
    assert terraform is not None
    folder = tmp_path / "tf"
    write_terraform(every_kind(), folder)
    env = offline_env(tmp_path)
    init = subprocess.run(
        [terraform, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if init.returncode != 0:
        pytest.skip(f"terraform init cannot run offline here: {init.stderr.strip()[:200]}")
    result = subprocess.run(
        [terraform, "validate", "-no-color"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
