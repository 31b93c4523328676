"""A whole AWS Organization, end to end through the CLI on in-process moto.

`org_e2e_estate` builds the organization (a network account sharing three subnets with two
workload accounts, a hub VPC with interface endpoints and private hosted zones associated
with spoke VPCs of other accounts, S3 endpoint perimeters on `aws:PrincipalOrgID`) and says
where moto is made to answer as AWS would. Then, as a person would:

    ssmreach snapshot -o org/ --region us-east-2 --org --role-name ssmreach-read
    ssmreach check --snapshot org/ --format json
    ssmreach plan --snapshot org/ --hub <hub> --format json --output plan.json
    ssmreach export --plan plan.json --format terraform --output tf/
    ssmreach export --plan plan.json --format cloudformation --output cfn/

and the verdicts of every instance and feature, the plan's changes by account, and the
exports are asserted.

The plan is asked for the hub design (`--hub`), which the network account's VPCs use: the
per-VPC design would put private-DNS endpoints into the shared VPC, whose names the hub's
zones already answer (a known limit of the per-VPC planner, not asserted here).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from click.testing import CliRunner, Result
from moto import mock_aws

from collect.collect_helpers import aws_env, in_process_moto_env  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION
from e2e.org_e2e_estate import ROLE_NAME, OrgEstate, build_org_estate, moto_as_aws
from plan.simulate import after
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.cli.app import cli
from ssmreach.cli.apply_cmd import read_plan_file
from ssmreach.collect.readonly import is_read_only
from ssmreach.model.raw import read_raw_snapshot

ORG = ("--org", "--role-name", ROLE_NAME)
FEATURES = DEFAULT_FEATURES  # core, run-command, session-manager, patch-manager, agent-update
S3_FEATURES = ("patch-manager", "agent-update")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OrgEstate, list[Any]]]:
    in_process_moto_env(monkeypatch)
    sent: list[tuple[str, str, str]] = []
    with mock_aws():
        estate = build_org_estate()
        monkeypatch.setattr(boto3, "Session", moto_as_aws(sent))
        yield estate, sent


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _collect(e: OrgEstate, sent: list[Any], folder: Path) -> None:
    result = run("snapshot", "-o", str(folder), "--region", REGION, *ORG)
    assert result.exit_code == 0, result.output
    listing, summary = result.stderr.splitlines()
    assert listing == (
        f"organization {e.org.id} (management account {ACCOUNT}): 4 ACTIVE accounts, "
        "1 not ACTIVE (skipped), 4 selected"
    )
    assert summary.startswith("snapshot: 4 accounts \u00d7 1 Region, ")
    manifest = _json(folder / "manifest.json")
    assert manifest["accounts"] == e.accounts and "failed_accounts" not in manifest
    operations = {(s, o) for _, s, o in sent}
    assert all(is_read_only(s, o) for s, o in operations), sorted(operations)
    assert {a for a, _, _ in sent} == set(e.accounts)

    # A participant lists the shared VPC and subnets with the owner's OwnerId, and none of
    # the owner's route tables, ACLs or endpoints: those are read in the owner's account.
    ids = e.ids
    for participant in (e.workload_a, e.workload_b):
        ec2 = folder / participant / REGION / "ec2"
        subnets = {s["SubnetId"]: s for s in _json(ec2 / "DescribeSubnets.json")["Subnets"]}
        for name in ("shared-a", "shared-b", "shared-c"):
            assert subnets[ids[name]]["OwnerId"] == e.network
        vpcs = {v["VpcId"]: v for v in _json(ec2 / "DescribeVpcs.json")["Vpcs"]}
        assert vpcs[ids["shared"]]["OwnerId"] == e.network
        tables = _json(ec2 / "DescribeRouteTables.json")["RouteTables"]
        assert ids["shared"] not in {t["VpcId"] for t in tables}
        endpoints = _json(ec2 / "DescribeVpcEndpoints.json")["VpcEndpoints"]
        assert ids["shared"] not in {x["VpcId"] for x in endpoints}
    for account in e.accounts:
        described = _json(folder / account / "global/organizations/DescribeOrganization.json")
        assert described["Organization"]["Id"] == e.org.id  # aws:PrincipalOrgID of each


def _check(e: OrgEstate, folder: Path) -> dict[str, Any]:
    result = run("check", "--snapshot", str(folder), "--format", "json")
    assert result.exit_code == 1, result.output  # something is BLOCKED
    doc: dict[str, Any] = json.loads(result.stdout)
    ids = e.ids
    by = {(r["instance"], r["feature"]): r for r in doc["results"]}
    verdicts = {key: r["verdict"] for key, r in by.items()}
    private = dict.fromkeys(FEATURES, "PRIVATE")
    expected = {
        "a-shared": private,
        "b-shared": private,
        "a-locked": dict.fromkeys(FEATURES, "BLOCKED"),
        "b-spoke": {
            **private,
            "session-manager": "BLOCKED",
            **dict.fromkeys(S3_FEATURES, "BLOCKED"),
        },
    }
    assert verdicts == {
        (ids[name], feature): verdict
        for name, features in expected.items()
        for feature, verdict in features.items()
    }
    assert {by[(ids[n], "core")]["account"] for n in ("a-shared", "a-locked")} == {e.workload_a}
    assert {by[(ids[n], "core")]["account"] for n in ("b-shared", "b-spoke")} == {e.workload_b}

    def codes(name: str, feature: str) -> set[str]:
        return {x["code"] for x in by[(ids[name], feature)]["reasons"]}

    def reason(name: str, feature: str, code: str) -> dict[str, Any]:
        return next(x for x in by[(ids[name], feature)]["reasons"] if x["code"] == code)

    # Instances in the shared subnets are judged with the owner's route table, through the
    # hub's zone and endpoint, whose perimeter admits the organization's principals.
    for name in ("a-shared", "b-shared"):
        for feature in ("core", "session-manager"):
            for service in by[(ids[name], feature)]["services"]:
                if service["service"] not in ("ssm", "ssmmessages"):
                    continue
                hops = {h["step"]: h for h in service["hops"]}
                assert service["via"] == ids[f"vpce-{service['service']}"]
                assert hops["dns"]["resource"] == ids[f"zone-{service['service']}"]
                assert hops["route"]["resource"] == ids["shared-rtb"]
                assert hops["peering"]["resource"] == ids["shared-pcx"]
                assert hops["endpoint-policy"]["result"] == "pass"
        assert codes(name, "core") == set()
        # The shared VPC's S3 perimeter exempts the AWS-owned buckets; the role lacks the
        # s3:GetObject grant the SSM documentation asks for with endpoints (a warning).
        assert codes(name, "agent-update") == {"IAM_S3_GRANT_MISSING"}

    # The third shared subnet: the owner's ACL lets no reply in, and the participant's group
    # lets nothing out; both are named.
    assert codes("a-locked", "core") == {"NACL_INBOUND_DENIED", "SG_EGRESS_DENIED"}
    assert ids["shared-c-acl"] in reason("a-locked", "core", "NACL_INBOUND_DENIED")["message"]
    assert ids["a-locked-sg"] in reason("a-locked", "core", "SG_EGRESS_DENIED")["message"]

    # The spoke of workload B is missing from the hub's ssmmessages zone ...
    assert codes("b-spoke", "core") == set()
    assert codes("b-spoke", "session-manager") == {"ENDPOINT_MISSING", "NO_ROUTE"}
    missing = reason("b-spoke", "session-manager", "ENDPOINT_MISSING")
    assert ids["vpce-ssmmessages"] in missing["message"] and ids["spoke"] in missing["message"]
    assert "no private hosted zone associated with" in missing["message"]
    # ... and its S3 perimeter on aws:ResourceOrgID shuts out the AWS-owned buckets.
    for feature in S3_FEATURES:
        assert codes("b-spoke", feature) == {"PERIMETER_DENIES_AWS_BUCKETS"}
        found = reason("b-spoke", feature, "PERIMETER_DENIES_AWS_BUCKETS")
        assert ids["spoke-s3"] in found["message"] and "aws:resourceorgid" in found["message"]
    assert doc["summary"]["verdicts"] == {"PRIVATE": 12, "INTERNET": 0, "BLOCKED": 8, "UNKNOWN": 0}
    return doc


def _plan(e: OrgEstate, folder: Path, plan_file: Path) -> dict[str, Any]:
    ids = e.ids
    result = run(
        "plan",
        "--snapshot",
        str(folder),
        "--hub",
        ids["hub"],
        "--format",
        "json",
        "--output",
        str(plan_file),
    )
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = _json(plan_file)
    changes = {(c["type"], c["account"]) for c in plan["changes"]}
    assert changes == {
        # the owner changes its ACL of the shared subnet ...
        ("AddNetworkAclEntry", e.network),
        # ... the participant its own group (to the hub's range and the S3 prefix list) ...
        ("AuthorizeEgress", e.workload_a),
        # ... and workload B its spoke: the ssmmessages endpoint, the S3 exemption.
        ("CreateSecurityGroup", e.workload_b),
        ("AuthorizeIngress", e.workload_b),
        ("CreateInterfaceEndpoint", e.workload_b),
        ("SetEndpointPolicy", e.workload_b),
    }
    by_type = {c["type"]: c for c in plan["changes"]}
    acl = by_type["AddNetworkAclEntry"]
    assert (acl["network_acl_id"], acl["egress"]) == (ids["shared-c-acl"], False)
    assert (acl["from_port"], acl["to_port"]) == (32768, 60999)  # the Linux reply ports
    egress = [c for c in plan["changes"] if c["type"] == "AuthorizeEgress"]
    assert {c["group_id"] for c in egress} == {ids["a-locked-sg"]}
    assert by_type["SetEndpointPolicy"]["endpoint_id"] == ids["spoke-s3"]
    assert by_type["CreateInterfaceEndpoint"]["vpc_id"] == ids["spoke"]
    assert by_type["CreateInterfaceEndpoint"]["service"] == "ssmmessages"

    # Carried out on the snapshot, the plan makes every instance PRIVATE.
    fixed = check_estate(
        after(read_raw_snapshot(folder), read_plan_file(plan_file)),
        CheckOptions(features=FEATURES),
    )
    assert {r.verdict.value for r in fixed.results} == {"PRIVATE"}
    return plan


def _terraform(e: OrgEstate, plan_file: Path, folder: Path) -> None:
    result = run(
        "export", "--plan", str(plan_file), "--format", "terraform", "--output", str(folder)
    )
    assert result.exit_code == 0, result.output
    versions = (folder / "versions.tf").read_text()
    aliases = re.findall(r'alias += "account_(\d+)"', versions)
    assert sorted(aliases) == sorted((e.network, e.workload_a, e.workload_b))
    for account in aliases:
        assert f'role_arn = var.account_roles["{account}"]' in versions
        assert f'allowed_account_ids = ["{account}"]' in versions
    main = (folder / "main.tf").read_text()
    found = re.findall(r'resource "(\w+)" "\w+" \{\n  provider +\= aws\.account_(\d+)', main)
    assert len(found) == main.count('resource "')  # every resource names its account
    assert set(found) == {
        ("aws_network_acl_rule", e.network),
        ("aws_vpc_security_group_egress_rule", e.workload_a),
        ("aws_security_group", e.workload_b),
        ("aws_vpc_security_group_ingress_rule", e.workload_b),
        ("aws_vpc_endpoint", e.workload_b),
        ("aws_vpc_endpoint_policy", e.workload_b),
    }


def _cloudformation(e: OrgEstate, plan_file: Path, folder: Path) -> None:
    args = ("export", "--plan", str(plan_file), "--format", "cloudformation", "--output")
    result = run(*args, str(folder))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"wrote 3 templates and README.md to {folder} ")
    accounts = (e.network, e.workload_a, e.workload_b)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["README.md", *(f"ssmreach-{a}-{REGION}.yaml" for a in accounts)]
    )
    types = {}
    for account in accounts:
        template = yaml.safe_load((folder / f"ssmreach-{account}-{REGION}.yaml").read_text())
        assert template["Metadata"]["ssmreach"]["Account"] == account
        types[account] = {r["Type"] for r in template["Resources"].values()}
        outside = {x["Change"] for x in template["Metadata"]["ssmreach"]["ChangesOutsideTemplate"]}
        assert outside == (
            {f"endpoint-policy/{e.ids['spoke-s3']}"} if account == e.workload_b else set()
        )
    assert types == {
        e.network: {"AWS::EC2::NetworkAclEntry"},
        e.workload_a: {"AWS::EC2::SecurityGroupEgress"},
        e.workload_b: {
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::SecurityGroupIngress",
            "AWS::EC2::VPCEndpoint",
        },
    }
    readme = (folder / "README.md").read_text()
    for account in accounts:
        assert f"--accounts {account} --regions {REGION}" in readme
    # A second export into the same folder is refused without --force.
    again = run(*args, str(folder))
    assert again.exit_code == 2 and "is not empty" in again.stderr


def test_an_organization_is_collected_checked_planned_and_exported(
    org: tuple[OrgEstate, list[Any]], tmp_path: Path
) -> None:
    e, sent = org
    folder = tmp_path / "org"
    _collect(e, sent, folder)
    _check(e, folder)
    plan_file = tmp_path / "plan.json"
    _plan(e, folder, plan_file)
    _terraform(e, plan_file, tmp_path / "tf")
    _cloudformation(e, plan_file, tmp_path / "cfn")
