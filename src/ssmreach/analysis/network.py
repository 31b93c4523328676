"""The network leg of a path: route, security groups and network ACLs, as hops.

Each function returns a `Leg`: the hops in path order, the reasons for any hop
that did not pass, and the outcome. Order follows requirements.md §3 steps 2-4.

The legs live by job in their own modules; this one keeps their names importable:

- `legs`: `Leg`, `Node`, `Target`, the gap, uncertain-route, unmodeled and appliance hops;
- `filters`: security-group and network-ACL hops;
- `endpoint_leg`: from the instance to an interface endpoint (`path_to_target`);
- `transit`: through a peering connection or a transit gateway, and the route back;
- `internet_leg`: to a public address through a gateway endpoint, an internet gateway, a
  NAT gateway or an appliance (`internet_leg`).
"""

from __future__ import annotations

from ssmreach.analysis.endpoint_leg import (
    check_nacls_to_target,
    check_route_to_target,
    path_to_target,
)
from ssmreach.analysis.filters import (
    Crossing,
    check_crossings,
    check_nacl,
    check_sg_egress,
    check_sg_ingress,
    endpoint_groups,
)
from ssmreach.analysis.internet_leg import check_own_subnet, internet_leg
from ssmreach.analysis.legs import EPHEMERAL_NAT, HTTPS, Leg, Node, Target, through_appliance
from ssmreach.analysis.transit import check_return_route

__all__ = [
    "EPHEMERAL_NAT",
    "HTTPS",
    "Crossing",
    "Leg",
    "Node",
    "Target",
    "check_crossings",
    "check_nacl",
    "check_nacls_to_target",
    "check_own_subnet",
    "check_return_route",
    "check_route_to_target",
    "check_sg_egress",
    "check_sg_ingress",
    "endpoint_groups",
    "internet_leg",
    "path_to_target",
    "through_appliance",
]
