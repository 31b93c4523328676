"""From the instance to an interface endpoint that DNS named: the endpoint's network
interfaces as targets (the instance's Availability Zone first), the leg to each until one
works (`endpoint_leg`), and the endpoint a private zone's addresses belong to
(`endpoint_for_addresses`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ssmreach.analysis.addresses import Place, network
from ssmreach.analysis.dns import DnsAnswer, gap_reason
from ssmreach.analysis.network import Leg, Node, Target, endpoint_groups, path_to_target
from ssmreach.analysis.path_context import PathContext
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.verdict import Hop, Outcome, Severity
from ssmreach.model import aws
from ssmreach.model.estate import Estate, Gap, RegionData


def _targets(
    node: Node, region: RegionData, endpoint: aws.VpcEndpoint, only: Sequence[str] = ()
) -> list[Target] | Gap:
    """The endpoint's network interfaces (only those in `only`, when given) as targets,
    else its subnets; the instance's Availability Zone first."""
    groups = endpoint_groups(region, endpoint)
    if isinstance(groups, Gap):
        return groups
    targets: list[Target] = []
    for eni_id in endpoint.network_interface_ids:
        if only and eni_id not in only:
            continue
        eni = region.network_interfaces.get(eni_id)
        if eni is None or not eni.subnet_id:
            continue
        ip, cidr = _interface_address(node, eni, region.subnets.get(eni.subnet_id))
        subnet = region.subnets.get(eni.subnet_id)
        net = network(ip) if ip else (network(cidr) if cidr else None)
        targets.append(
            Target(
                region=region,
                vpc_id=endpoint.vpc_id,
                subnet_id=eni.subnet_id,
                az=eni.availability_zone or (subnet.availability_zone if subnet else None),
                place=Place(
                    net=net,
                    groups=frozenset(g.group_id for g in groups),
                    label=f"{eni_id} ({ip or 'address unknown'})",
                ),
                groups=groups,
                label=eni_id,
                owner=endpoint.vpc_endpoint_id,
            )
        )
    if not targets:
        # Interfaces not in the snapshot: fall back to the endpoint's subnets (their CIDRs).
        for subnet_id in endpoint.subnet_ids:
            subnet = region.subnets.get(subnet_id)
            cidr = _interface_address(node, None, subnet)[1]
            if subnet is None or not cidr:
                continue
            targets.append(
                Target(
                    region=region,
                    vpc_id=endpoint.vpc_id,
                    subnet_id=subnet_id,
                    az=subnet.availability_zone,
                    place=Place(
                        net=network(cidr),
                        groups=frozenset(g.group_id for g in groups),
                        label=f"{endpoint.vpc_endpoint_id} in {subnet_id}",
                    ),
                    groups=groups,
                    label=f"{endpoint.vpc_endpoint_id} in {subnet_id}",
                    owner=endpoint.vpc_endpoint_id,
                )
            )
    return sorted(targets, key=lambda t: (t.az != node.az, t.subnet_id))


def _interface_address(
    node: Node, eni: aws.NetworkInterface | None, subnet: aws.Subnet | None
) -> tuple[str | None, str | None]:
    """The address an endpoint interface takes the node's request at, of the node's
    family (IPv6 for an IPv6-only node), and its subnet's CIDR of that family."""
    if node.ipv6_only:
        ip = eni.ipv6_addresses[0].ipv6_address if eni and eni.ipv6_addresses else None
        cidrs = subnet.ipv6_cidrs if subnet is not None else ()
        return ip, cidrs[0] if cidrs else None
    ip = None
    if eni is not None:
        ip = eni.private_ip_address or (
            eni.private_ip_addresses[0].private_ip_address if eni.private_ip_addresses else None
        )
    return ip, subnet.cidr_block if subnet is not None else None


def endpoint_leg(
    ctx: PathContext, node: Node, dns: DnsAnswer, only_enis: Sequence[str] = ()
) -> Leg:
    """The leg from `node` to the endpoint `dns` named: the endpoint must be available and
    have an address; then the first target whose path passes (else the first UNKNOWN
    one, else the first), with a warning when it is in another Availability Zone."""
    endpoint = dns.endpoint
    region = dns.endpoint_region
    assert endpoint is not None and region is not None
    eid = endpoint.vpc_endpoint_id
    leg = Leg()
    if endpoint.state.lower() != "available":
        msg = f"{eid} is {endpoint.state}, not available"
        leg.finding(
            "endpoint",
            eid,
            Outcome.FAIL,
            "ENDPOINT_NOT_AVAILABLE",
            msg,
            f"Find out why {eid} is {endpoint.state}, then fix or recreate it.",
        )
        return leg
    if endpoint.is_interface and not endpoint.subnet_ids and not endpoint.network_interface_ids:
        # No subnet, no network interface: the endpoint has no address to connect to.
        msg = f"{eid} has no subnet (and so no network interface): nothing answers at its addresses"
        leg.finding(
            "endpoint",
            eid,
            Outcome.FAIL,
            "ENDPOINT_NO_SUBNETS",
            msg,
            f"Add a subnet in each Availability Zone of the instances to {eid} (aws ec2 modify-vpc-endpoint --vpc-endpoint-id {eid} --add-subnet-ids ...).",
        )
        return leg
    targets = _targets(node, region, endpoint, only_enis)
    if isinstance(targets, Gap):
        leg.add(Hop("endpoint", eid, Outcome.UNKNOWN, targets.describe()), gap_reason(targets, eid))
        return leg
    if not targets:
        msg = f"{eid} has no network interface in the snapshot"
        leg.add(
            Hop("endpoint", eid, Outcome.UNKNOWN, msg),
            reason("DATA_MISSING", Severity.WARNING, eid, msg),
        )
        return leg
    legs = [(t, path_to_target(ctx.estate, node, t)) for t in targets]
    passing = [(t, lg) for t, lg in legs if lg.outcome is Outcome.PASS]
    if passing:
        target, chosen = passing[0]
        if node.az and target.az != node.az:
            msg = (
                f"{eid} has no working network interface in {node.az}, where the instance runs; "
                f"traffic crosses to {target.az}"
            )
            chosen.reasons.append(
                reason(
                    "ENDPOINT_OTHER_AZ",
                    Severity.WARNING,
                    eid,
                    msg,
                    f"Add a subnet in {node.az} to {eid}.",
                )
            )
    else:
        unknown = [(t, lg) for t, lg in legs if lg.outcome is Outcome.UNKNOWN]
        target, chosen = unknown[0] if unknown else legs[0]
    chosen.via = eid
    chosen.private = True
    return chosen


def endpoint_for_addresses(
    estate: Estate, addresses: Sequence[str]
) -> tuple[aws.VpcEndpoint, RegionData, tuple[str, ...]] | None:
    """The endpoint whose network interfaces hold some of `addresses`, and those interfaces."""
    wanted = set(addresses)
    for data in estate.regions.values():
        for ep in data.endpoints.values():
            enis = tuple(
                eid
                for eid in ep.network_interface_ids
                if (eni := data.network_interfaces.get(eid)) is not None
                and eni.private_ip_address in wanted
            )
            if enis:
                return ep, data, enis
    return None
