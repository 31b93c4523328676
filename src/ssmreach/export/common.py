"""What the exporters share: resource names from change ids, and the CLI line for changes
that infrastructure code cannot express on resources it does not manage."""

from __future__ import annotations

import hashlib
import re
import shlex

from ssmreach.errors import SsmreachError
from ssmreach.plan import changes as c
from ssmreach.plan.plan import Plan

__all__ = ["ExportError", "cli_command", "name_for", "single_scope"]

MANAGED_TAG = "ssmreach:managed"
PLAN_TAG = "ssmreach:plan-id"


class ExportError(SsmreachError):
    """A plan that cannot be written as the asked-for infrastructure code."""


_PREFIX = {
    "SetVpcAttribute": "VpcAttribute",
    "CreateSecurityGroup": "EndpointSecurityGroup",
    "AuthorizeIngress": "Ingress",
    "AuthorizeEgress": "Egress",
    "CreateInterfaceEndpoint": "Endpoint",
    "ModifyEndpointPrivateDns": "PrivateDns",
    "ModifyEndpointSecurityGroups": "EndpointGroups",
    "CreateGatewayEndpoint": "GatewayEndpoint",
    "AssociateGatewayRouteTables": "GatewayRoutes",
    "SetEndpointPolicy": "EndpointPolicy",
    "CreatePrivateHostedZone": "Zone",
    "AssociateHostedZone": "ZoneAssociation",
    "CreateRoute": "Route",
    "AddNetworkAclEntry": "NetworkAclEntry",
}


def name_for(change: c.Change) -> str:
    """A stable CamelCase name (CloudFormation logical id; snake_case'd for Terraform)."""
    tail = ""
    service = getattr(change, "service", None)
    if isinstance(service, str):
        tail = service.capitalize()
    digest = hashlib.sha256(change.id.encode()).hexdigest()[:6]
    return re.sub(r"[^A-Za-z0-9]", "", f"{_PREFIX[type(change).__name__]}{tail}{digest}")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def single_scope(plan: Plan, what: str) -> tuple[str, str]:
    """The one (account, Region) of the plan's changes; exporters write one stack/folder each."""
    places = sorted({(ch.account, ch.region) for ch in plan.changes})
    if len(places) > 1:
        shown = ", ".join(f"{a}/{r}" for a, r in places)
        raise ExportError(
            f"the plan changes {len(places)} account/Region pairs ({shown}); a {what} covers one: "
            "plan one account and Region at a time (--region, or a snapshot of one)"
        )
    if places:
        return places[0]
    if plan.scope:
        return plan.scope[0].account, plan.scope[0].region
    return "", "us-east-1"


def cli_command(change: c.Change) -> str:
    """The AWS CLI command that carries out a change outside the generated code."""
    region = f" --region {change.region}"
    match change:
        case c.SetVpcAttribute():
            flag = (
                "--enable-dns-support"
                if change.attribute == "enableDnsSupport"
                else "--enable-dns-hostnames"
            )
            return f"aws ec2 modify-vpc-attribute --vpc-id {change.vpc_id} {flag}{region}"
        case c.ModifyEndpointPrivateDns():
            return f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {change.endpoint_id} --private-dns-enabled{region}"
        case c.ModifyEndpointSecurityGroups():
            groups = " ".join(change.add_group_ids)
            return f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {change.endpoint_id} --add-security-group-ids {groups}{region}"
        case c.AssociateGatewayRouteTables():
            tables = " ".join(change.route_table_ids)
            return f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {change.endpoint_id} --add-route-table-ids {tables}{region}"
        case c.SetEndpointPolicy():
            return (
                f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {change.endpoint_id} "
                f"--policy-document {shlex.quote(change.policy)}{region}"
            )
        case c.AssociateHostedZone():
            return (
                f"aws route53 associate-vpc-with-hosted-zone --hosted-zone-id {change.zone_id} "
                f"--vpc VPCRegion={change.region},VPCId={change.vpc_id}"
            )
        case c.AddNetworkAclEntry():
            return (
                f"aws ec2 create-network-acl-entry --network-acl-id {change.network_acl_id} "
                f"--rule-number {change.rule_number} --{'egress' if change.egress else 'ingress'} "
                f"--protocol {change.protocol} --rule-action allow --cidr-block {change.cidr} "
                f"--port-range From={change.from_port},To={change.to_port}{region}"
            )
        case _:
            return f"# {change.summary}"
