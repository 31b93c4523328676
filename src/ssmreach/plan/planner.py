"""From a check result to a plan: the smallest set of changes that makes instances PRIVATE.

Pure: `make_plan(estate, result, options)` reads the estate and the check result and
returns a `Plan`; it never calls AWS. The rules are requirements.md §4:

- Per VPC with checked instances whose features are not PRIVATE, in the instance
  subnets' Availability Zones (one subnet per AZ, subnets that already host endpoints
  first; AZs the service does not offer per DescribeVpcEndpointServices are skipped):
  interface endpoints only for the services that are not reached privately, with
  private DNS on. ssmmessages carries Run Command for agents 3.1.821.0 and newer;
  ec2messages is planned only for nodes that need it (older agents, Windows Server
  2012 and older, Nano Server) and only where the Region offers it.
- One endpoint security group per VPC allowing TCP 443 from the instance subnets. An
  existing non-default group that already admits every instance is reused; a group
  from an earlier plan (`ssmreach-endpoints`) gets the missing CIDRs.
- The S3 gateway endpoint on the instances' route tables, or the missing tables
  associated with an existing one.
- Endpoint policies allowing the features' actions (see `policies`); an existing
  policy that denies gets one statement added, never replaced.
- Egress rules (443 to the endpoint group, 443 to the S3 prefix list) on instance
  groups that restrict egress; the VPC DNS attributes when they are false.
- Reuse: an endpoint with private DNS off is modified; an endpoint whose groups do
  not admit the instances gets the endpoint group added. Nothing is deleted.
- Network ACLs that deny the planned paths get allow entries (`nacl_rules`): subnet
  CIDRs between instance and endpoint subnets, 0.0.0.0/0 to S3 through the gateway
  endpoint, numbered before the entry that denies; never a replacement.
- Causes a change of this kind cannot fix (no instance profile, IAM denies, IMDS off,
  custom DNS, forwarding rules, a network ACL with no free rule number, ...) become
  `ManualStep`s.

With `hub`, interface endpoints live in the hub VPC with private DNS off, and one
private hosted zone per service name (alias to the hub endpoint) is associated with
every spoke; routes between spokes and hub are checked both ways, and missing ones are
planned through an existing peering connection or transit gateway (or listed as
manual steps when there is none). S3 stays a gateway endpoint per VPC: gateway
endpoints do not work across peering or transit gateways.

The parts, by job: `needs` (check result -> needs per VPC), `per_vpc` and `hub` (the two
designs), `interfaces` (interface endpoints), `groups` (security groups), `gateway` (the
S3 gateway endpoint), `routes` (spoke <-> hub routes), `acls` (network ACL entries),
`manual` (steps for a person), `costs` (pricing), `assemble` (the run and the plan), over
`shared` (options, code sets, helpers) and `state` (the working state).
"""

from __future__ import annotations

from ssmreach.plan.assemble import make_plan
from ssmreach.plan.shared import (
    ENDPOINT_GROUP_NAME,
    MANUAL_CODES,
    MANUAL_ON_PRIVATE,
    NACL_CODES,
    PlanOptions,
)

__all__ = [
    "ENDPOINT_GROUP_NAME",
    "MANUAL_CODES",
    "MANUAL_ON_PRIVATE",
    "NACL_CODES",
    "PlanOptions",
    "make_plan",
]
