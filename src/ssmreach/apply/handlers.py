"""One handler per change kind: the boto3 write calls, each idempotent and undoable.

Every handler first looks for what it would create (a group with the same name, an
endpoint for the same service, a rule that already exists), so carrying out the same
plan twice changes nothing the second time. EC2 creation calls carry a `ClientToken`
derived from the plan id and the change id; a Route 53 `CallerReference` adds the time,
since Route 53 refuses one used before (even for a zone deleted since).
What a handler creates or adds is returned with an `undo` that removes exactly that,
so a failed run can roll back what *this* run did. In dry-run mode EC2 calls are sent
with `DryRun=True` (the answer `DryRunOperation` means "would succeed"); calls
without a dry-run flag (Route 53, ModifyVpcAttribute) are not sent.

The handlers live by job: `endpoint_handlers.py` (endpoints and the private hosted
zones that resolve them), `network_handlers.py` (VPC attributes, security groups,
routes, network ACLs); what they share is in `context.py`. `HANDLERS` is the one
registry from change kind to handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ssmreach.apply import endpoint_handlers as endpoints
from ssmreach.apply import network_handlers as network
from ssmreach.apply.context import Context, Outcome
from ssmreach.plan import changes as c

__all__ = ["HANDLERS", "Context", "Outcome", "run_change"]

HANDLERS: dict[type, Callable[[Context, Any], Outcome]] = {
    c.SetVpcAttribute: network.vpc_attribute,
    c.CreateSecurityGroup: network.security_group,
    c.AuthorizeIngress: network.security_group_rules,
    c.AuthorizeEgress: network.security_group_rules,
    c.CreateInterfaceEndpoint: endpoints.interface_endpoint,
    c.ModifyEndpointPrivateDns: endpoints.endpoint_private_dns,
    c.ModifyEndpointSecurityGroups: endpoints.endpoint_security_groups,
    c.CreateGatewayEndpoint: endpoints.gateway_endpoint,
    c.AssociateGatewayRouteTables: endpoints.gateway_route_tables,
    c.SetEndpointPolicy: endpoints.endpoint_policy,
    c.CreateRoute: network.route,
    c.AddNetworkAclEntry: network.network_acl_entry,
    c.CreatePrivateHostedZone: endpoints.private_zone,
    c.AssociateHostedZone: endpoints.zone_association,
}


def run_change(ctx: Context, change: c.Change) -> Outcome:
    outcome = HANDLERS[type(change)](ctx, change)
    if outcome.resource:
        ctx.made[change.id] = outcome.resource
    return outcome
