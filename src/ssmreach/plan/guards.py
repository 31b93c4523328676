"""What a change may ever do, per kind: the last check before `apply` acts.

`apply` only carries out changes a fresh plan holds (verify.py); these guards hold every
change to the few things a Systems Manager fix needs, so that not even a planner bug can
open the network or switch something off:

- security group rules: TCP 443 only, from or to CIDRs of the plan's VPCs and subnets,
  or an AWS-managed prefix list (`com.amazonaws.…`);
- network ACL entries: allow TCP 443, or the return range (1024-65535 or within it), for
  a CIDR of the plan's VPCs or subnets, or `0.0.0.0/0` (the S3 replies, see changes.py);
- VPC attributes and endpoint private DNS: only ever turned on;
- routes: only to CIDRs of the plan's VPCs;
- every change: in one of the plan's VPCs (or account-wide, with no VPC).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from ssmreach.model.estate import Estate
from ssmreach.plan import changes as c
from ssmreach.plan.plan import Plan

HTTPS = 443
RETURN_LOW = 1024


def _networks(plan: Plan, estate: Estate) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for design in plan.vpcs:
        region = estate.regions.get((design.account, design.region))
        if region is None:
            continue
        vpc = region.vpcs.get(design.vpc_id)
        cidrs = list(vpc.cidrs) if vpc else []
        cidrs += [
            s.cidr_block
            for s in region.subnets.values()
            if s.vpc_id == design.vpc_id and s.cidr_block
        ]
        for cidr in cidrs:
            try:
                out.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                continue
    return out


def _inside(cidr: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return any(net.version == n.version and net.subnet_of(n) for n in networks)  # type: ignore[arg-type]


def _aws_list(plan: Plan, estate: Estate, pl_id: str) -> bool:
    for design in plan.vpcs:
        region = estate.regions.get((design.account, design.region))
        info = region.prefix_lists.get(pl_id) if region else None
        if info is not None and (info.name or "").startswith("com.amazonaws."):
            return True
    return False


def problems(plan: Plan, estate: Estate) -> Iterator[str]:
    """Each change that does more than a Systems Manager fix may, with why."""
    nets = _networks(plan, estate)
    vpcs = {d.vpc_id for d in plan.vpcs} | {v for s in plan.scope for v in s.vpc_ids}
    for change in plan.changes:
        what = f"{change.id} ({type(change).__name__})"
        if change.vpc_id is not None and change.vpc_id not in vpcs:
            yield f"{what} is in {change.vpc_id}, outside the plan's VPCs"
        match change:
            case c.SetVpcAttribute(value=value) if value is not True:
                yield f"{what} would turn {change.attribute} off"
            case c.ModifyEndpointPrivateDns(enabled=enabled) if enabled is not True:
                yield f"{what} would turn private DNS off"
            case c.AuthorizeIngress() | c.AuthorizeEgress():
                if change.port != HTTPS:
                    yield f"{what} opens port {change.port}, not {HTTPS}"
                for cidr in change.cidrs:
                    if not _inside(cidr, nets):
                        yield f"{what} opens {cidr}, outside the plan's VPCs"
                if isinstance(change, c.AuthorizeEgress):
                    for pl_id in change.prefix_list_ids:
                        if not _aws_list(plan, estate, pl_id):
                            yield f"{what} opens {pl_id}, not an AWS-managed prefix list"
            case c.AddNetworkAclEntry():
                ports = (change.from_port, change.to_port)
                if change.protocol != "6":
                    yield f"{what} is for protocol {change.protocol}, not TCP"
                if ports != (HTTPS, HTTPS) and not (RETURN_LOW <= ports[0] <= ports[1] <= 65535):
                    yield f"{what} opens ports {ports[0]}-{ports[1]}, neither 443 nor the return range"
                if change.cidr != "0.0.0.0/0" and not _inside(change.cidr, nets):
                    yield f"{what} opens {change.cidr}, outside the plan's VPCs"
            case c.CreateRoute():
                if not _inside(change.destination_cidr, nets):
                    yield f"{what} routes {change.destination_cidr}, outside the plan's VPCs"
            case c.CreatePrivateHostedZone():
                # Account-wide (no vpc_id), so its associations are checked one by one.
                for vpc_id in change.vpc_ids:
                    if vpc_id not in vpcs:
                        yield f"{what} associates {vpc_id}, outside the plan's VPCs"
            case _:
                pass
