"""CloudFormation export: templates pass cfn-lint and say what a stack cannot do."""

from __future__ import annotations

import json
from typing import Literal

import pytest
from cfnlint.api import ManualArgs, lint

from export.export_plans import PLANS, every_kind
from ssmreach.export import ExportError, render_cloudformation, template_for
from ssmreach.plan import changes as c


@pytest.mark.parametrize(
    ("name", "fmt"), [(name, "yaml") for name in sorted(PLANS)] + [("every-kind", "json")]
)
def test_templates_pass_cfn_lint(name: str, fmt: Literal["yaml", "json"]) -> None:
    text = render_cloudformation(PLANS[name](), fmt)
    if fmt == "json":
        json.loads(text)
    matches = lint(text, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


def test_every_kind_is_a_resource_or_a_listed_command() -> None:
    plan = every_kind()
    template = template_for(plan)
    types = {r["Type"] for r in template["Resources"].values()}
    assert {
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::VPCEndpoint",
        "AWS::EC2::Route",
        "AWS::EC2::NetworkAclEntry",
        "AWS::Route53::HostedZone",
        "AWS::Route53::RecordSet",
    } == types
    outside = template["Metadata"]["ssmreach"]["ChangesOutsideTemplate"]
    assert {o["Change"] for o in outside} == {"attr", "dns", "groups", "policy", "gwrt", "assoc"}
    groups = next(o for o in outside if o["Change"] == "groups")["Command"]
    assert "--add-security-group-ids <EndpointSecurityGroup" in groups
    assert template["Outputs"]["ChangesOutsideTemplate"]["Value"] == "6"
    # the existing hub endpoint's DNS name is asked for as a parameter
    assert any(k.endswith("EndpointDns") for k in template["Parameters"])
    # references become GetAtt/Ref, never literal ${...}
    assert "${" not in json.dumps(template["Resources"])
    endpoint = next(
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
        and r["Properties"]["VpcEndpointType"] == "Interface"
    )
    assert endpoint["Properties"]["SecurityGroupIds"] == [
        {
            "Fn::GetAtt": [
                next(
                    k
                    for k, v in template["Resources"].items()
                    if v["Type"] == "AWS::EC2::SecurityGroup"
                ),
                "GroupId",
            ]
        }
    ]
    assert {"Key": "ssmreach:managed", "Value": "true"} in endpoint["Properties"]["Tags"]
    acl_entry = next(
        r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::NetworkAclEntry"
    )
    assert acl_entry["Properties"] == {
        "NetworkAclId": "acl-0aaaaaaaaaaaaaaa1",
        "RuleNumber": 90,
        "Protocol": 6,
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "10.0.11.0/24",
        "PortRange": {"From": 32768, "To": 60999},
    }


def test_a_plan_over_two_regions_is_refused() -> None:
    plan = every_kind()
    moved = c.CreateRoute(
        id="elsewhere",
        account="111122223333",
        region="eu-west-1",
        route_table_id="rtb-1",
        destination_cidr="10.0.0.0/8",
        target="pcx-1",
    )
    import msgspec

    with pytest.raises(ExportError, match="one account and Region"):
        template_for(msgspec.structs.replace(plan, changes=(*plan.changes, moved)))


def test_yaml_keys_and_values_that_look_like_other_things_round_trip() -> None:
    import yaml

    from ssmreach.export.cloudformation import to_yaml

    tricky = {"yes": "no", "a: b": "c: d", "on": [True, "0123", "null", "#x"], "n": 1.5}
    assert yaml.safe_load(to_yaml(tricky)) == tricky
