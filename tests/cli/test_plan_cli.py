"""`ssmreach plan`, `export` and `apply` through click (commands invoked in a bare group)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result
from moto import mock_aws

from collect.collect_helpers import fake_aws_env, in_process_moto_env
from paths import EXAMPLES
from ssmreach.cli.app import SsmreachGroup
from ssmreach.cli.apply_cmd import apply_command
from ssmreach.cli.export_cmd import export_command
from ssmreach.cli.plan_cmd import plan_command
from ssmreach.plan import decode_plan

TRAP = str(EXAMPLES / "default-sg-trap")
PARTLY = str(EXAMPLES / "partly-private")


def group() -> SsmreachGroup:
    g = SsmreachGroup("ssmreach")
    for command in (plan_command, apply_command, export_command):
        g.add_command(command)
    return g


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(group(), list(args), input=input)


def one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[-1]
    assert "Traceback" not in result.output


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    fake_aws_env(monkeypatch, tmp_path_factory.mktemp("aws"), "us-east-1")


# --- plan -----------------------------------------------------------------------------------


def test_plan_help_has_examples() -> None:
    for command in ("plan", "apply", "export"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Examples:" in result.output


def test_plan_text_for_the_examples() -> None:
    result = run("plan", "--snapshot", PARTLY)
    assert result.exit_code == 0, result.output
    assert "create the ssmmessages interface endpoint" in result.stdout
    assert "create the S3 gateway endpoint" in result.stdout
    assert "Total: $7.30/month" in result.stdout
    trap = run("plan", "--snapshot", TRAP)
    assert trap.stdout.count("add the endpoint security group to vpce-") == 3


def test_plan_json_to_a_file_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = run(
        "plan",
        "--snapshot",
        PARTLY,
        "--format",
        "json",
        "--output",
        str(out),
        "--feature",
        "core",
        "--feature",
        "session-manager",
    )
    assert result.exit_code == 0, result.output
    plan = decode_plan(out.read_bytes())
    assert plan.features == ("core", "session-manager")
    assert [type(c).__name__ for c in plan.changes] == ["CreateInterfaceEndpoint"]
    assert json.loads(out.read_text())["changes"][0]["service"] == "ssmmessages"


def test_plan_errors_are_one_line() -> None:
    one_line_error(run("plan", "--snapshot", PARTLY, "--hub", "vpc-nope"), "--hub vpc-nope")
    one_line_error(run("plan", "--snapshot", PARTLY, "--region", "us-east-1"), "--snapshot")


# --- export ---------------------------------------------------------------------------------


def test_export_terraform_and_cloudformation(tmp_path: Path) -> None:
    folder = tmp_path / "tf"
    result = run("export", "--snapshot", PARTLY, "--format", "terraform", "--output", str(folder))
    assert result.exit_code == 0, result.output
    assert {p.name for p in folder.iterdir()} == {
        "versions.tf",
        "variables.tf",
        "main.tf",
        "outputs.tf",
        "README.md",
    }
    assert "aws_vpc_endpoint" in (folder / "main.tf").read_text()
    plan_file = tmp_path / "plan.json"
    run("plan", "--snapshot", TRAP, "--format", "json", "--output", str(plan_file))
    stack = tmp_path / "stack.json"
    result = run(
        "export", "--plan", str(plan_file), "--format", "cloudformation", "--output", str(stack)
    )
    assert result.exit_code == 0, result.output
    template = json.loads(stack.read_text())
    assert len(template["Metadata"]["ssmreach"]["ChangesOutsideTemplate"]) == 3
    yaml_file = tmp_path / "stack.yaml"
    assert (
        run(
            "export",
            "--plan",
            str(plan_file),
            "--format",
            "cloudformation",
            "--output",
            str(yaml_file),
        ).exit_code
        == 0
    )
    assert yaml_file.read_text().startswith("AWSTemplateFormatVersion: '2010-09-09'")


def test_export_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    one_line_error(
        run("export", "--plan", str(bad), "--format", "terraform", "--output", str(tmp_path / "x")),
        "not an ssmreach plan",
    )
    one_line_error(
        run(
            "export",
            "--plan",
            str(bad),
            "--snapshot",
            PARTLY,
            "--format",
            "terraform",
            "--output",
            str(tmp_path / "x"),
        ),
        "--plan",
    )
    assert (
        run("export", "--snapshot", PARTLY, "--output", str(tmp_path / "x")).exit_code == 2
    )  # --format is required


# --- apply ----------------------------------------------------------------------------------


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    in_process_moto_env(monkeypatch)
    with mock_aws():
        yield


def _small_estate() -> str:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"
    ]["SubnetId"]
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)
    return vpc


def test_apply_yes_against_moto_and_a_stale_plan(moto: None, tmp_path: Path) -> None:
    vpc = _small_estate()
    plan_file = tmp_path / "plan.json"
    made = run("plan", "--region", "us-east-1", "--format", "json", "--output", str(plan_file))
    assert made.exit_code == 0, made.output
    plan = decode_plan(plan_file.read_bytes())
    assert any(type(c).__name__ == "CreateInterfaceEndpoint" for c in plan.changes)
    result = run("apply", "--plan", str(plan_file), "--yes")
    assert result.exit_code == 0, result.output
    assert "done" in result.stdout and "before:" in result.stdout and "after:" in result.stdout
    ec2 = boto3.client("ec2", region_name="us-east-1")
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "VpcEndpoints"
    ]
    assert {e["ServiceName"].rsplit(".", 1)[-1] for e in endpoints} >= {"ssm", "ssmmessages", "s3"}
    # the same plan again: the account has moved on
    one_line_error(run("apply", "--plan", str(plan_file), "--yes"), "plan again, or pass --force")
    again = run("apply", "--plan", str(plan_file), "--yes", "--force")
    assert again.exit_code == 0 and "skipped" in again.stdout and " done " not in again.stdout


def test_apply_without_an_answer_refuses(moto: None, tmp_path: Path) -> None:
    _small_estate()
    plan_file = tmp_path / "plan.json"
    run("plan", "--region", "us-east-1", "--format", "json", "--output", str(plan_file))
    result = run("apply", "--plan", str(plan_file), input="")
    one_line_error(result, "pass --yes")
    assert "create the ssmmessages interface endpoint" in result.stdout  # the plan was shown
    declined = run("apply", "--plan", str(plan_file), input="n\n")
    assert declined.exit_code == 1 and "nothing changed" in declined.stderr


def _forge(plan_file: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(plan_file.read_text())
    edit(document)
    plan_file.write_text(json.dumps(document))


def _open_ssh_everywhere(document: dict[str, Any]) -> None:
    ingress = next(c for c in document["changes"] if c["type"] == "AuthorizeIngress")
    document["changes"].append(
        {**ingress, "id": "ingress/evil", "port": 22, "cidrs": ["0.0.0.0/0"], "depends_on": []}
    )


def _switch_dns_off(document: dict[str, Any]) -> None:
    vpc = document["vpcs"][0]["vpc_id"]
    document["changes"].append(
        {
            "type": "SetVpcAttribute",
            "id": "vpc-attribute/evil",
            "account": document["scope"][0]["account"],
            "region": "us-east-1",
            "vpc_id": vpc,
            "attribute": "enableDnsSupport",
            "value": False,
        }
    )


def _deny_all_s3(document: dict[str, Any]) -> None:
    gateway = next(c for c in document["changes"] if c["type"] == "CreateGatewayEndpoint")
    gateway["policy"] = json.dumps(
        {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}
    )


def _lying_summary(document: dict[str, Any]) -> None:
    for change in document["changes"]:
        change["summary"] = "harmless: nothing will change"


@pytest.mark.parametrize(
    "edit", [_open_ssh_everywhere, _switch_dns_off, _deny_all_s3], ids=lambda f: f.__name__
)
def test_an_edited_plan_is_refused_and_nothing_changes(
    moto: None, tmp_path: Path, edit: Callable[[dict[str, Any]], None]
) -> None:
    _small_estate()
    plan_file = tmp_path / "plan.json"
    run("plan", "--region", "us-east-1", "--format", "json", "--output", str(plan_file))
    _forge(plan_file, edit)
    ec2 = boto3.client("ec2", region_name="us-east-1")
    before = (
        ec2.describe_vpc_endpoints()["VpcEndpoints"],
        ec2.describe_security_groups()["SecurityGroups"],
    )
    result = run("apply", "--plan", str(plan_file), "--yes")
    one_line_error(result, "not what ssmreach plans for the account as it is now")
    assert "nothing was done" in result.stderr
    after = (
        ec2.describe_vpc_endpoints()["VpcEndpoints"],
        ec2.describe_security_groups()["SecurityGroups"],
    )
    assert after == before


def test_the_confirmation_shows_the_changes_ssmreach_computed_not_the_file_text(
    moto: None, tmp_path: Path
) -> None:
    _small_estate()
    plan_file = tmp_path / "plan.json"
    run("plan", "--region", "us-east-1", "--format", "json", "--output", str(plan_file))
    _forge(plan_file, _lying_summary)
    declined = run("apply", "--plan", str(plan_file), input="n\n")
    assert declined.exit_code == 1
    assert "harmless" not in declined.stdout
    assert "create the ssmmessages interface endpoint" in declined.stdout
