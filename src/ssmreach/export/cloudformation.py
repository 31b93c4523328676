"""A plan as a CloudFormation template (YAML or JSON) that passes cfn-lint.

What a template can create becomes resources: the endpoint security group and its
rules (`AWS::EC2::SecurityGroup`, `SecurityGroupIngress`, `SecurityGroupEgress`, which
may also add rules to existing groups), interface and gateway endpoints
(`AWS::EC2::VPCEndpoint`), routes (`AWS::EC2::Route`), allow entries in existing
network ACLs (`AWS::EC2::NetworkAclEntry`), and, for hub and spoke, the
private hosted zones with their alias records (`AWS::Route53::HostedZone`,
`AWS::Route53::RecordSet`). A stack cannot modify resources it does not own, so the
changes to existing endpoints and VPCs (private DNS, added groups, route-table
associations, policies, DNS attributes, zone associations) are listed under
`Metadata.ssmreach.ChangesOutsideTemplate` with the AWS CLI command for each, and
counted in the `ChangesOutsideTemplate` output.

The YAML writer is a small block-style emitter (every string double-quoted, intrinsic
functions in their long `Fn::` form), so no YAML library is needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from ssmreach.export.common import (
    MANAGED_TAG,
    PLAN_TAG,
    ExportError,
    cli_command,
    name_for,
    single_scope,
)
from ssmreach.model.route_targets import connection_kind
from ssmreach.plan import changes as c
from ssmreach.plan.plan import Plan

__all__ = ["render_cloudformation", "template_for"]

_OUTSIDE = (
    c.SetVpcAttribute,
    c.ModifyEndpointPrivateDns,
    c.ModifyEndpointSecurityGroups,
    c.AssociateGatewayRouteTables,
    c.SetEndpointPolicy,
    c.AssociateHostedZone,
)


def _tags(plan_id: str, name: str) -> list[dict[str, Any]]:
    return [
        {"Key": "Name", "Value": name},
        {"Key": MANAGED_TAG, "Value": "true"},
        {"Key": PLAN_TAG, "Value": {"Ref": "PlanId"}},
    ]


def template_for(plan: Plan) -> dict[str, Any]:
    """The template as a dict (CloudFormation JSON structure)."""
    account, region = single_scope(plan, "CloudFormation stack")
    names = {ch.id: name_for(ch) for ch in plan.changes}
    by_id = {ch.id: ch for ch in plan.changes}
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    parameters: dict[str, Any] = {
        "PlanId": {
            "Type": "String",
            "Default": plan.id,
            "Description": "Tagged on every resource (ssmreach:plan-id)",
        }
    }
    outside: list[dict[str, str]] = []

    def value(v: str, attribute: str = "") -> Any:
        if not c.is_ref(v):
            return v
        target = by_id[c.ref_target(v)]
        name = names[target.id]
        if isinstance(target, c.CreateSecurityGroup):
            return {"Fn::GetAtt": [name, "GroupId"]}
        if isinstance(target, c.CreatePrivateHostedZone):
            return {"Ref": name}
        return {"Ref": name}

    emitted: dict[str, list[str]] = {}

    def depends(change: c.Change) -> list[str]:
        referenced = set(change.references())
        return [
            logical
            for d in change.depends_on
            if d not in referenced
            for logical in emitted.get(d, [])
        ]

    def text(v: str) -> str:
        if not c.is_ref(v):
            return v
        return f"<{names[c.ref_target(v)]} id: stack output {names[c.ref_target(v)]}>"

    for change in plan.changes:
        name = names[change.id]
        deps = depends(change)
        before = set(resources)
        if isinstance(change, _OUTSIDE):
            command = cli_command(change)
            for raw in change.references():
                command = command.replace(c.ref(raw), text(c.ref(raw)))
            outside.append({"Change": change.id, "Summary": change.summary, "Command": command})
            continue
        match change:
            case c.CreateSecurityGroup():
                resources[name] = {
                    "Type": "AWS::EC2::SecurityGroup",
                    "Properties": {
                        "GroupName": change.group_name,
                        "GroupDescription": change.description,
                        "VpcId": change.vpc_id,
                        "Tags": _tags(plan.id, change.group_name),
                    },
                }
                outputs[name] = {
                    "Description": f"the endpoint security group of {change.vpc_id}",
                    "Value": {"Fn::GetAtt": [name, "GroupId"]},
                }
            case c.AuthorizeIngress():
                rules = [("CidrIp", x) for x in change.cidrs] + [
                    ("SourceSecurityGroupId", g) for g in change.source_group_ids
                ]
                for n, (key, peer) in enumerate(rules):
                    resources[f"{name}{n}"] = {
                        "Type": "AWS::EC2::SecurityGroupIngress",
                        "Properties": {
                            "GroupId": value(change.group_id),
                            "IpProtocol": "tcp",
                            "FromPort": change.port,
                            "ToPort": change.port,
                            key: value(peer),
                            "Description": change.description,
                        },
                        **({"DependsOn": deps} if deps else {}),
                    }
            case c.AuthorizeEgress():
                rules = (
                    [("CidrIp", x) for x in change.cidrs]
                    + [("DestinationPrefixListId", p) for p in change.prefix_list_ids]
                    + [("DestinationSecurityGroupId", g) for g in change.destination_group_ids]
                )
                for n, (key, peer) in enumerate(rules):
                    resources[f"{name}{n}"] = {
                        "Type": "AWS::EC2::SecurityGroupEgress",
                        "Properties": {
                            "GroupId": value(change.group_id),
                            "IpProtocol": "tcp",
                            "FromPort": change.port,
                            "ToPort": change.port,
                            key: value(peer),
                            "Description": change.description,
                        },
                        **({"DependsOn": deps} if deps else {}),
                    }
            case c.CreateInterfaceEndpoint():
                props: dict[str, Any] = {
                    "VpcEndpointType": "Interface",
                    "ServiceName": change.service_name,
                    "VpcId": change.vpc_id,
                    "SubnetIds": list(change.subnet_ids),
                    "SecurityGroupIds": [value(g) for g in change.security_group_ids],
                    "PrivateDnsEnabled": change.private_dns,
                    "Tags": _tags(plan.id, f"ssmreach-{change.service}"),
                }
                if change.policy:
                    props["PolicyDocument"] = json.loads(change.policy)
                resources[name] = {
                    "Type": "AWS::EC2::VPCEndpoint",
                    "Properties": props,
                    **({"DependsOn": deps} if deps else {}),
                }
                outputs[name] = {
                    "Description": f"the {change.service} endpoint in {change.vpc_id}",
                    "Value": {"Ref": name},
                }
            case c.CreateGatewayEndpoint():
                gateway: dict[str, Any] = {
                    "VpcEndpointType": "Gateway",
                    "ServiceName": change.service_name,
                    "VpcId": change.vpc_id,
                    "RouteTableIds": list(change.route_table_ids),
                    "Tags": _tags(plan.id, "ssmreach-s3"),
                }
                if change.policy:
                    gateway["PolicyDocument"] = json.loads(change.policy)
                resources[name] = {"Type": "AWS::EC2::VPCEndpoint", "Properties": gateway}
                outputs[name] = {
                    "Description": f"the S3 gateway endpoint in {change.vpc_id}",
                    "Value": {"Ref": name},
                }
            case c.CreateRoute():
                key = (
                    "VpcPeeringConnectionId"
                    if connection_kind(change.target) == "peering"
                    else "TransitGatewayId"
                )
                resources[name] = {
                    "Type": "AWS::EC2::Route",
                    "Properties": {
                        "RouteTableId": change.route_table_id,
                        "DestinationCidrBlock": change.destination_cidr,
                        key: change.target,
                    },
                }
            case c.AddNetworkAclEntry():
                resources[name] = {
                    "Type": "AWS::EC2::NetworkAclEntry",
                    "Properties": {
                        "NetworkAclId": change.network_acl_id,
                        "RuleNumber": change.rule_number,
                        "Protocol": int(change.protocol),
                        "RuleAction": "allow",
                        "Egress": change.egress,
                        "CidrBlock": change.cidr,
                        "PortRange": {"From": change.from_port, "To": change.to_port},
                    },
                }
            case c.CreatePrivateHostedZone():
                resources[name] = {
                    "Type": "AWS::Route53::HostedZone",
                    "Properties": {
                        "Name": change.zone_name,
                        "HostedZoneConfig": {
                            "Comment": f"ssmreach: {change.service} through the hub endpoint"
                        },
                        "VPCs": [{"VPCId": v, "VPCRegion": change.region} for v in change.vpc_ids],
                        "HostedZoneTags": [
                            {"Key": MANAGED_TAG, "Value": "true"},
                            {"Key": PLAN_TAG, "Value": {"Ref": "PlanId"}},
                        ],
                    },
                }
                if c.is_ref(change.endpoint_id):
                    entry: Any = {
                        "Fn::Select": [
                            0,
                            {"Fn::GetAtt": [names[c.ref_target(change.endpoint_id)], "DnsEntries"]},
                        ]
                    }
                    dns_name: Any = {"Fn::Select": [1, {"Fn::Split": [":", entry]}]}
                    zone_id: Any = {"Fn::Select": [0, {"Fn::Split": [":", entry]}]}
                else:
                    param = f"{name}EndpointDns"
                    parameters[param] = {
                        "Type": "String",
                        "Description": f"'HostedZoneId:DnsName' of the first DNS entry of {change.endpoint_id}",
                        "AllowedPattern": "^[A-Z0-9]+:[a-z0-9.-]+$",
                    }
                    dns_name = {"Fn::Select": [1, {"Fn::Split": [":", {"Ref": param}]}]}
                    zone_id = {"Fn::Select": [0, {"Fn::Split": [":", {"Ref": param}]}]}
                resources[f"{name}Alias"] = {
                    "Type": "AWS::Route53::RecordSet",
                    "Properties": {
                        "HostedZoneId": {"Ref": name},
                        "Name": change.zone_name,
                        "Type": "A",
                        "AliasTarget": {
                            "DNSName": dns_name,
                            "HostedZoneId": zone_id,
                            "EvaluateTargetHealth": False,
                        },
                    },
                }
            case _:  # pragma: no cover - every kind is handled above or listed in _OUTSIDE
                raise ExportError(f"cannot export {type(change).__name__}")
        emitted[change.id] = [k for k in resources if k not in before]
    if not resources:
        # A stack needs one resource; a plan of modifications only gets a no-op marker.
        resources["NothingToCreate"] = {
            "Type": "AWS::CloudFormation::WaitConditionHandle",
            "Properties": {},
        }
    if json.dumps({"Ref": "PlanId"}) not in json.dumps(resources):
        del parameters["PlanId"]  # nothing tagged (network ACL entries carry no tags)
    outputs["ChangesOutsideTemplate"] = {
        "Description": "Changes to existing resources this stack cannot make (see Metadata.ssmreach)",
        "Value": str(len(outside)),
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"ssmreach plan {plan.id}: private Systems Manager connectivity ({account} {region})",
        "Metadata": {
            "ssmreach": {
                "PlanId": plan.id,
                "Fingerprint": plan.fingerprint,
                "Account": account,
                "Region": region,
                "MonthlyCost": f"{plan.monthly_cost:.2f} USD",
                "ChangesOutsideTemplate": outside,
                "ManualSteps": [f"{m.code} {m.resource or ''}: {m.message}" for m in plan.manual],
            }
        },
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": outputs,
    }


# --- YAML ---------------------------------------------------------------------------------


def to_yaml(document: dict[str, Any]) -> str:
    """The template as block YAML, written by PyYAML (which quotes `yes`, `on`, `a: b` ...)."""
    import yaml

    class _NoAliases(yaml.SafeDumper):
        """CloudFormation rejects YAML aliases: write shared values out in full."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump(
        document,
        Dumper=_NoAliases,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=4096,
    )


def render_cloudformation(plan: Plan, fmt: Literal["yaml", "json"] = "yaml") -> str:
    """The template text."""
    template = template_for(plan)
    writer: Callable[[dict[str, Any]], str] = (
        to_yaml if fmt == "yaml" else (lambda d: json.dumps(d, indent=2) + "\n")
    )
    return writer(template)
