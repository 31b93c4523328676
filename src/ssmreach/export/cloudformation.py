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

Each change kind has one renderer in `CLOUDFORMATION`; a renderer adds the kind's
resources, outputs, parameters or outside-the-template command to the
`CloudFormationContext` of the plan being written.

YAML is written by PyYAML (`to_yaml`), intrinsic functions in their long `Fn::` form;
PyYAML quotes the strings YAML would otherwise read as booleans or mappings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

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

__all__ = [
    "CLOUDFORMATION",
    "CloudFormationContext",
    "CloudFormationRenderer",
    "StackTemplate",
    "render_cloudformation",
    "render_stack_templates",
    "stack_templates",
    "template_for",
]


def _tags(plan_id: str, name: str) -> list[dict[str, Any]]:
    return [
        {"Key": "Name", "Value": name},
        {"Key": MANAGED_TAG, "Value": "true"},
        {"Key": PLAN_TAG, "Value": {"Ref": "PlanId"}},
    ]


def _plan_parameter(plan: Plan) -> dict[str, Any]:
    return {
        "PlanId": {
            "Type": "String",
            "Default": plan.id,
            "Description": "Tagged on every resource (ssmreach:plan-id)",
        }
    }


@dataclass(slots=True)
class CloudFormationContext:
    """The plan being written: logical ids by change id, and what the renderers add."""

    plan_id: str
    names: dict[str, str]
    by_id: dict[str, c.Change]
    parameters: dict[str, Any]
    resources: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    outside: list[dict[str, str]] = field(default_factory=list)
    emitted: dict[str, list[str]] = field(default_factory=dict)
    """The logical ids each change rendered so far became (for `DependsOn`)."""
    foreign: dict[str, c.Change] = field(default_factory=dict)
    """Changes of the same plan in other stacks (other accounts or Regions): a reference
    to one becomes a parameter, filled from that stack's output."""

    @classmethod
    def of(cls, plan: Plan) -> CloudFormationContext:
        return cls(
            plan_id=plan.id,
            names={ch.id: name_for(ch) for ch in plan.changes},
            by_id={ch.id: ch for ch in plan.changes},
            parameters=_plan_parameter(plan),
        )

    def value(self, v: str) -> Any:
        """`v` as is, or, for a `${change-id}`, the intrinsic that yields that resource's id."""
        if not c.is_ref(v):
            return v
        if c.ref_target(v) in self.foreign:
            return {"Ref": self._foreign_parameter(self.foreign[c.ref_target(v)])}
        target = self.by_id[c.ref_target(v)]
        name = self.names[target.id]
        if isinstance(target, c.CreateSecurityGroup):
            return {"Fn::GetAtt": [name, "GroupId"]}
        return {"Ref": name}

    def depends(self, change: c.Change) -> list[str]:
        """The logical ids of earlier changes `change` depends on but does not refer to."""
        referenced = set(change.references())
        return [
            logical
            for d in change.depends_on
            if d not in referenced
            for logical in self.emitted.get(d, [])
        ]

    def text(self, v: str) -> str:
        """`v` as is, or, for a `${change-id}`, where to read the id from (for a CLI line)."""
        if not c.is_ref(v):
            return v
        if c.ref_target(v) in self.foreign:
            target = self.foreign[c.ref_target(v)]
            name = name_for(target)
            return f"<{name} id: output {name} of the stack in {target.account} {target.region}>"
        name = self.names[c.ref_target(v)]
        return f"<{name} id: stack output {name}>"

    def _foreign_parameter(self, target: c.Change) -> str:
        """The parameter that stands for the id a change of another stack creates."""
        name = name_for(target)
        parameter = f"{name}Id"
        self.parameters.setdefault(
            parameter,
            {
                "Type": "AWS::EC2::SecurityGroup::Id"
                if isinstance(target, c.CreateSecurityGroup)
                else "String",
                "Description": f"output {name} of the stack in account {target.account} "
                f"{target.region} ({target.summary})",
            },
        )
        return parameter

    def depends_on(self, change: c.Change) -> dict[str, Any]:
        """`{"DependsOn": [...]}` when the change depends on resources, else `{}`."""
        deps = self.depends(change)
        return {"DependsOn": deps} if deps else {}


CloudFormationRenderer = Callable[[CloudFormationContext, Any], None]
"""Adds what one change of its kind becomes to the context."""


def _outside(ctx: CloudFormationContext, change: c.Change) -> None:
    """A change to a resource the stack does not own: its CLI command, in the metadata."""
    command = cli_command(change)
    for raw in change.references():
        command = command.replace(c.ref(raw), ctx.text(c.ref(raw)))
    ctx.outside.append({"Change": change.id, "Summary": change.summary, "Command": command})


def _security_group(ctx: CloudFormationContext, change: c.CreateSecurityGroup) -> None:
    name = ctx.names[change.id]
    ctx.resources[name] = {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupName": change.group_name,
            "GroupDescription": change.description,
            "VpcId": change.vpc_id,
            "Tags": _tags(ctx.plan_id, change.group_name),
        },
    }
    ctx.outputs[name] = {
        "Description": f"the endpoint security group of {change.vpc_id}",
        "Value": {"Fn::GetAtt": [name, "GroupId"]},
    }


def _rules(
    ctx: CloudFormationContext,
    change: c.AuthorizeIngress | c.AuthorizeEgress,
    resource_type: str,
    rules: list[tuple[str, str]],
) -> None:
    """One rule resource per peer (`<name><n>`) on the change's group, TCP `port`."""
    name = ctx.names[change.id]
    deps = ctx.depends_on(change)
    for n, (key, peer) in enumerate(rules):
        ctx.resources[f"{name}{n}"] = {
            "Type": resource_type,
            "Properties": {
                "GroupId": ctx.value(change.group_id),
                "IpProtocol": "tcp",
                "FromPort": change.port,
                "ToPort": change.port,
                key: ctx.value(peer),
                "Description": change.description,
            },
            **deps,
        }


def _cidr_rules(cidrs: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("CidrIpv6" if c.is_ipv6_cidr(x) else "CidrIp", x) for x in cidrs]


def _ingress(ctx: CloudFormationContext, change: c.AuthorizeIngress) -> None:
    rules = _cidr_rules(change.cidrs)
    rules += [("SourceSecurityGroupId", g) for g in change.source_group_ids]
    _rules(ctx, change, "AWS::EC2::SecurityGroupIngress", rules)


def _egress(ctx: CloudFormationContext, change: c.AuthorizeEgress) -> None:
    rules = _cidr_rules(change.cidrs)
    rules += [("DestinationPrefixListId", p) for p in change.prefix_list_ids]
    rules += [("DestinationSecurityGroupId", g) for g in change.destination_group_ids]
    _rules(ctx, change, "AWS::EC2::SecurityGroupEgress", rules)


def _interface_endpoint(ctx: CloudFormationContext, change: c.CreateInterfaceEndpoint) -> None:
    name = ctx.names[change.id]
    props: dict[str, Any] = {
        "VpcEndpointType": "Interface",
        "ServiceName": change.service_name,
        "VpcId": change.vpc_id,
        "SubnetIds": list(change.subnet_ids),
        "SecurityGroupIds": [ctx.value(g) for g in change.security_group_ids],
        "PrivateDnsEnabled": change.private_dns,
        "Tags": _tags(ctx.plan_id, f"ssmreach-{change.service}"),
    }
    if change.ip_address_type:
        props["IpAddressType"] = change.ip_address_type
    if change.dns_record_ip_type:
        props["DnsOptions"] = {"DnsRecordIpType": change.dns_record_ip_type}
    if change.policy:
        props["PolicyDocument"] = json.loads(change.policy)
    ctx.resources[name] = {
        "Type": "AWS::EC2::VPCEndpoint",
        "Properties": props,
        **ctx.depends_on(change),
    }
    ctx.outputs[name] = {
        "Description": f"the {change.service} endpoint in {change.vpc_id}",
        "Value": {"Ref": name},
    }


def _gateway_endpoint(ctx: CloudFormationContext, change: c.CreateGatewayEndpoint) -> None:
    name = ctx.names[change.id]
    gateway: dict[str, Any] = {
        "VpcEndpointType": "Gateway",
        "ServiceName": change.service_name,
        "VpcId": change.vpc_id,
        "RouteTableIds": list(change.route_table_ids),
        "Tags": _tags(ctx.plan_id, "ssmreach-s3"),
    }
    if change.policy:
        gateway["PolicyDocument"] = json.loads(change.policy)
    ctx.resources[name] = {"Type": "AWS::EC2::VPCEndpoint", "Properties": gateway}
    ctx.outputs[name] = {
        "Description": f"the S3 gateway endpoint in {change.vpc_id}",
        "Value": {"Ref": name},
    }


def _route(ctx: CloudFormationContext, change: c.CreateRoute) -> None:
    key = (
        "VpcPeeringConnectionId"
        if connection_kind(change.target) == "peering"
        else "TransitGatewayId"
    )
    ctx.resources[ctx.names[change.id]] = {
        "Type": "AWS::EC2::Route",
        "Properties": {
            "RouteTableId": change.route_table_id,
            "DestinationCidrBlock": change.destination_cidr,
            key: change.target,
        },
    }


def _nacl_entry(ctx: CloudFormationContext, change: c.AddNetworkAclEntry) -> None:
    ctx.resources[ctx.names[change.id]] = {
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


def _alias_target(ctx: CloudFormationContext, change: c.CreatePrivateHostedZone) -> tuple[Any, Any]:
    """The (DNS name, hosted zone id) of the hub endpoint's first DNS entry: from the
    endpoint the stack creates, or from a parameter for an endpoint that exists."""
    if c.is_ref(change.endpoint_id):
        entry: Any = {
            "Fn::Select": [
                0,
                {"Fn::GetAtt": [ctx.names[c.ref_target(change.endpoint_id)], "DnsEntries"]},
            ]
        }
    else:
        param = f"{ctx.names[change.id]}EndpointDns"
        ctx.parameters[param] = {
            "Type": "String",
            "Description": f"'HostedZoneId:DnsName' of the first DNS entry of {change.endpoint_id}",
            "AllowedPattern": "^[A-Z0-9]+:[a-z0-9.-]+$",
        }
        entry = {"Ref": param}
    dns_name = {"Fn::Select": [1, {"Fn::Split": [":", entry]}]}
    zone_id = {"Fn::Select": [0, {"Fn::Split": [":", entry]}]}
    return dns_name, zone_id


def _zone(ctx: CloudFormationContext, change: c.CreatePrivateHostedZone) -> None:
    name = ctx.names[change.id]
    ctx.resources[name] = {
        "Type": "AWS::Route53::HostedZone",
        "Properties": {
            "Name": change.zone_name,
            "HostedZoneConfig": {"Comment": f"ssmreach: {change.service} through the hub endpoint"},
            "VPCs": [{"VPCId": v, "VPCRegion": change.region} for v in change.vpc_ids],
            "HostedZoneTags": [
                {"Key": MANAGED_TAG, "Value": "true"},
                {"Key": PLAN_TAG, "Value": {"Ref": "PlanId"}},
            ],
        },
    }
    dns_name, zone_id = _alias_target(ctx, change)
    ctx.resources[f"{name}Alias"] = {
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


CLOUDFORMATION: dict[type[c.Change], CloudFormationRenderer] = {
    c.SetVpcAttribute: _outside,
    c.CreateSecurityGroup: _security_group,
    c.AuthorizeIngress: _ingress,
    c.AuthorizeEgress: _egress,
    c.CreateInterfaceEndpoint: _interface_endpoint,
    c.ModifyEndpointPrivateDns: _outside,
    c.ModifyEndpointSecurityGroups: _outside,
    c.CreateGatewayEndpoint: _gateway_endpoint,
    c.AssociateGatewayRouteTables: _outside,
    c.SetEndpointPolicy: _outside,
    c.CreatePrivateHostedZone: _zone,
    c.AssociateHostedZone: _outside,
    c.CreateRoute: _route,
    c.AddNetworkAclEntry: _nacl_entry,
}
"""The renderer of every change kind (`tests/plan/test_change_kind_registries.py`);
`_outside` for the changes to resources a stack cannot own."""


def _metadata(plan: Plan, ctx: CloudFormationContext, account: str, region: str) -> dict[str, Any]:
    return {
        "ssmreach": {
            "PlanId": plan.id,
            "Fingerprint": plan.fingerprint,
            "Account": account,
            "Region": region,
            "MonthlyCost": f"{plan.monthly_cost:.2f} USD",
            "ChangesOutsideTemplate": ctx.outside,
            "ManualSteps": [f"{m.code} {m.resource or ''}: {m.message}" for m in plan.manual],
        }
    }


def template_for(plan: Plan, foreign: tuple[c.Change, ...] = ()) -> dict[str, Any]:
    """The template as a dict (CloudFormation JSON structure). `foreign`: the changes of
    the plan that other stacks make (`stack_templates`)."""
    account, region = single_scope(plan, "CloudFormation stack")
    ctx = CloudFormationContext.of(plan)
    ctx.foreign = {ch.id: ch for ch in foreign}
    for change in plan.changes:
        renderer = CLOUDFORMATION.get(type(change))
        if renderer is None:
            raise ExportError(f"cannot export {type(change).__name__}")
        before = set(ctx.resources)
        renderer(ctx, change)
        ctx.emitted[change.id] = [k for k in ctx.resources if k not in before]
    if not ctx.resources:
        # A stack needs one resource; a plan of modifications only gets a no-op marker.
        ctx.resources["NothingToCreate"] = {
            "Type": "AWS::CloudFormation::WaitConditionHandle",
            "Properties": {},
        }
    if json.dumps({"Ref": "PlanId"}) not in json.dumps(ctx.resources):
        del ctx.parameters["PlanId"]  # nothing tagged (network ACL entries carry no tags)
    ctx.outputs["ChangesOutsideTemplate"] = {
        "Description": "Changes to existing resources this stack cannot make (see Metadata.ssmreach)",
        "Value": str(len(ctx.outside)),
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"ssmreach plan {plan.id}: private Systems Manager connectivity ({account} {region})",
        "Metadata": _metadata(plan, ctx, account, region),
        "Parameters": ctx.parameters,
        "Resources": ctx.resources,
        "Outputs": ctx.outputs,
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


# --- one stack per account and Region -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StackTemplate:
    """The template of the stack one account and Region needs, and the parameters it takes
    from the outputs of stacks earlier in the order (parameter -> (account, Region, output))."""

    account: str
    region: str
    template: dict[str, Any]
    inputs: dict[str, tuple[str, str, str]]

    @property
    def file_name(self) -> str:
        return f"ssmreach-{self.account}-{self.region}"


def stack_templates(plan: Plan) -> list[StackTemplate]:
    """One template per account and Region of the plan's changes, in the order to deploy
    them: a stack whose change refers to what another stack creates (a participant's egress
    rule to the owner's endpoint group) comes after it and takes the id as a parameter.

    Each template is an ordinary stack template, deployable as it is in its account or as a
    stack set with one stack instance there (`create-stack-instances --accounts`, the
    parameters as `--parameter-overrides`): nothing in it names another account's resources."""
    scopes = sorted({(ch.account, ch.region) for ch in plan.changes})
    if len(scopes) <= 1:
        return [_stack(plan, plan.changes, ())]
    by_id = {ch.id: ch for ch in plan.changes}
    after: dict[tuple[str, str], set[tuple[str, str]]] = {scope: set() for scope in scopes}
    for ch in plan.changes:
        for target in ch.references():
            other = by_id.get(target)
            if other is not None and (other.account, other.region) != (ch.account, ch.region):
                after[(ch.account, ch.region)].add((other.account, other.region))
    ordered: list[tuple[str, str]] = []
    while len(ordered) < len(scopes):
        ready = [s for s in scopes if s not in ordered and after[s] <= set(ordered)]
        if not ready:
            raise ExportError(
                "the plan's stacks refer to each other in a cycle: export it as Terraform"
            )
        ordered.extend(ready[:1])
    stacks = []
    for scope in ordered:
        own = tuple(ch for ch in plan.changes if (ch.account, ch.region) == scope)
        others = tuple(ch for ch in plan.changes if (ch.account, ch.region) != scope)
        stacks.append(_stack(plan, own, others))
    return stacks


def _stack(plan: Plan, own: tuple[c.Change, ...], others: tuple[c.Change, ...]) -> StackTemplate:
    part = msgspec.structs.replace(
        plan, changes=own, monthly_cost=round(sum(ch.monthly_cost for ch in own), 2)
    )
    template = template_for(part, others)
    account, region = single_scope(part, "CloudFormation stack")
    by_name = {f"{name_for(ch)}Id": ch for ch in others}
    inputs = {
        parameter: (
            by_name[parameter].account,
            by_name[parameter].region,
            name_for(by_name[parameter]),
        )
        for parameter in template["Parameters"]
        if parameter in by_name
    }
    return StackTemplate(account, region, template, inputs)


def render_stack_templates(plan: Plan, fmt: Literal["yaml", "json"] = "yaml") -> dict[str, str]:
    """The files of a plan across accounts or Regions: one template per account and Region
    (`ssmreach-<account>-<region>.yaml`) and a README.md with the order and the commands."""
    stacks = stack_templates(plan)
    writer: Callable[[dict[str, Any]], str] = (
        to_yaml if fmt == "yaml" else (lambda d: json.dumps(d, indent=2) + "\n")
    )
    suffix = ".yaml" if fmt == "yaml" else ".json"
    files = {s.file_name + suffix: writer(s.template) for s in stacks}
    files["README.md"] = _stacks_readme(plan, stacks, suffix)
    return files


def _stacks_readme(plan: Plan, stacks: list[StackTemplate], suffix: str) -> str:
    name = f"ssmreach-{plan.id}"
    lines = [
        f"# ssmreach plan {plan.id}: one CloudFormation stack per account and Region",
        "",
        f"{len(plan.changes)} change(s) in {len(stacks)} stack(s), ${plan.monthly_cost:.2f}/month. "
        "Deploy them in this order, each with credentials of its account (or as a stack set "
        "from the management account or a delegated administrator, one stack instance per "
        "template). A parameter is the output of a stack deployed before it; changes a stack "
        "cannot make are listed with their AWS CLI command under `Metadata.ssmreach` of each "
        "template.",
        "",
    ]
    for n, stack in enumerate(stacks, 1):
        file = stack.file_name + suffix
        overrides = " ".join(
            f"{p}=<output {o} of {a} {r}>" for p, (a, r, o) in stack.inputs.items()
        )
        instance_overrides = " ".join(
            f"ParameterKey={p},ParameterValue=<output {o} of {a} {r}>"
            for p, (a, r, o) in stack.inputs.items()
        )
        outside = stack.template["Metadata"]["ssmreach"]["ChangesOutsideTemplate"]
        lines += [
            f"## {n}. account {stack.account}, {stack.region}: `{file}`",
            "",
            f"{len(stack.template['Resources'])} resource(s), {len(outside)} change(s) outside the template"
            + (
                "; parameters: "
                + ", ".join(
                    f"`{p}` (output `{o}` of {a} {r})" for p, (a, r, o) in stack.inputs.items()
                )
                if stack.inputs
                else ""
            )
            + ".",
            "",
            "```sh",
            f"# in account {stack.account}:",
            f"aws cloudformation deploy --region {stack.region} --stack-name {name} "
            f"--template-file {file}"
            + (f" --parameter-overrides {overrides}" if overrides else ""),
            "# or as a stack set (self-managed permissions):",
            f"aws cloudformation create-stack-set --region {stack.region} "
            f"--stack-set-name {name}-{stack.account} --template-body file://{file}",
            f"aws cloudformation create-stack-instances --region {stack.region} "
            f"--stack-set-name {name}-{stack.account} --accounts {stack.account} "
            f"--regions {stack.region}"
            + (f" --parameter-overrides {instance_overrides}" if instance_overrides else ""),
            "```",
            "",
        ]
    return "\n".join(lines)
