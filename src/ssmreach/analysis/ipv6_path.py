"""What an instance in an IPv6-only subnet needs on the way to a service (`docs/ipv6.md`).

Such an instance has no IPv4 address. The agent asks the service's usual names
(`ssm.REGION.amazonaws.com`) unless `UseDualStackEndpoint` is set on the node, so:

- through an interface endpoint, the endpoint must serve IPv6 (IP address type dualstack
  or ipv6) and publish AAAA records for the default name (DNS record IP type dualstack or
  ipv6; service-defined gives AAAA only to the endpoint's own vpce names): PrivateLink
  guide, "IP address types" and "DNS record IP type";
- without one, the usual names answer IPv4 only: DNS64 on the subnet with 64:ff9b::/96
  routed to a NAT gateway carries the request (NAT64, VPC user guide, "DNS64 and NAT64");
  a ::/0 route to an egress-only or internet gateway serves only an agent that asks the
  dual-stack names, a setting on the node (`AGENT_DUALSTACK_UNVERIFIED`);
- nothing else carries IPv6 to AWS (`IPV6_ONLY_NO_PATH`).

Instances in dual-stack subnets use IPv4, as the agent does by default.
"""

from __future__ import annotations

import ipaddress

from ssmreach.analysis.addresses import Place, public_service
from ssmreach.analysis.dns import DnsAnswer
from ssmreach.analysis.features import DUALSTACK_ENDPOINT_MIN, format_version, parse_version
from ssmreach.analysis.internet_leg import internet_leg
from ssmreach.analysis.legs import Leg, Node, route_table
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.routing import select_route
from ssmreach.analysis.verdict import Outcome, Reason, Severity
from ssmreach.model import aws
from ssmreach.model import route_targets as rt
from ssmreach.model.estate import Estate, Gap

NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
AAAA_RECORD_TYPES = ("dualstack", "ipv6")  # give the default name AAAA records


def dualstack_host(service: str, region: str, partition: str) -> str | None:
    """The dual-stack name an agent with UseDualStackEndpoint asks (Systems Manager guide,
    "Create VPC endpoints": IPv6-only nodes reach `ssm.REGION.api.aws`; S3 user guide,
    "Dual-stack endpoints")."""
    if partition != "aws":
        return None
    if service == "s3":
        return f"s3.dualstack.{region}.amazonaws.com"
    return f"{service}.{region}.api.aws"


def nat64_route(node: Node) -> rt.NatGateway | None:
    """The NAT gateway that 64:ff9b::/96 is routed to, when the subnet has DNS64."""
    if not node.subnet.enable_dns64:
        return None
    table = route_table(node.region, node.subnet.subnet_id, node.vpc.vpc_id)
    if isinstance(table, Gap):
        return None
    choice = select_route(node.region, table, Place(net=NAT64_PREFIX))
    if choice.route is None:
        return None
    kind = node.region.target_of(choice.route)
    return kind if isinstance(kind, rt.NatGateway) else None


def endpoint_gate(node: Node, dns: DnsAnswer) -> Leg | None:
    """Why the endpoint DNS named cannot take the IPv6-only instance's request (a leg of
    one failing or unknown hop), or None when it can."""
    endpoint = dns.endpoint
    assert endpoint is not None
    eid = endpoint.vpc_endpoint_id
    leg = Leg()
    ip_type = (endpoint.ip_address_type or "").lower()
    if not ip_type:
        msg = f"{eid}'s IpAddressType is not in the snapshot: whether it serves the IPv6-only subnet {node.subnet.subnet_id} is not known"
        leg.finding("endpoint", eid, Outcome.UNKNOWN, "DATA_MISSING", msg)
        return leg
    if ip_type == "ipv4":
        _ipv4_only(leg, node, endpoint)
        return leg
    if dns.zone is not None:
        if dns.ipv6_records is False:
            msg = f"private hosted zone {dns.zone} answers {eid}'s name with A records only; {node.subnet.subnet_id} is IPv6-only"
            leg.finding(
                "dns",
                dns.zone,
                Outcome.FAIL,
                "ENDPOINT_DNS_RECORDS_IPV4",
                msg,
                f"Add an AAAA alias record for the service name in {dns.zone}, pointing at {eid}.",
            )
            return leg
        return None
    record_type = (endpoint.dns_options.dns_record_ip_type or "") if endpoint.dns_options else ""
    if not record_type:
        msg = f"{eid}'s DnsOptions.DnsRecordIpType is not in the snapshot: whether its private DNS name has AAAA records is not known"
        leg.finding("endpoint", eid, Outcome.UNKNOWN, "DATA_MISSING", msg)
        return leg
    if record_type.lower() not in AAAA_RECORD_TYPES:
        msg = f"{eid} serves IPv6 but its DNS record IP type is {record_type}: the service's default name gets A records only, and {node.subnet.subnet_id} is IPv6-only"
        leg.finding(
            "endpoint",
            eid,
            Outcome.FAIL,
            "ENDPOINT_DNS_RECORDS_IPV4",
            msg,
            f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {eid} --dns-options DnsRecordIpType=dualstack",
        )
        return leg
    return None


def _ipv4_only(leg: Leg, node: Node, endpoint: aws.VpcEndpoint) -> None:
    eid = endpoint.vpc_endpoint_id
    nat = nat64_route(node)
    if nat is not None:
        msg = f"{eid} has IPv4 addresses only; DNS64 and the NAT64 route to {nat.id} may carry the request to them, a path the check does not follow"
        leg.finding(
            "endpoint",
            eid,
            Outcome.UNKNOWN,
            "EGRESS_UNMODELED",
            msg,
            f"Give {eid} the dualstack IP address type, or confirm the path with `ssmreach probe`.",
        )
        return
    msg = f"{eid} has the ipv4 IP address type: it has no IPv6 address for the IPv6-only subnet {node.subnet.subnet_id}"
    leg.finding(
        "endpoint",
        eid,
        Outcome.FAIL,
        "ENDPOINT_IPV4_ONLY",
        msg,
        f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {eid} --ip-address-type dualstack --dns-options DnsRecordIpType=dualstack (its subnets need IPv6 CIDRs)",
    )


def public_leg(estate: Estate, node: Node, service: str, service_name: str, place: Place) -> Leg:
    """From an IPv6-only instance to the service's public addresses (`place`, the IPv4 ones
    the usual name answers): NAT64 where the subnet has it, else IPv6 to the dual-stack
    name, which only an agent configured for it asks."""
    nat = nat64_route(node)
    if nat is not None:
        synthesized = Place(
            net=NAT64_PREFIX, label=f"the NAT64 addresses of {service} (64:ff9b::/96)"
        )
        leg = internet_leg(estate, node, synthesized, onward=place)
        if leg.outcome is Outcome.PASS:
            leg.reasons.append(
                reason(
                    "NAT64_PATH",
                    Severity.INFO,
                    nat.id,
                    f"{node.subnet.subnet_id} has DNS64: the request to {service}'s IPv4 addresses goes to 64:ff9b::/96 and through {nat.id} to the internet",
                )
            )
        return leg
    v6 = public_service(service_name, label=f"public IPv6 {service} addresses", version=6)
    table = route_table(node.region, node.subnet.subnet_id, node.vpc.vpc_id)
    choice = None if isinstance(table, Gap) else select_route(node.region, table, v6)
    if choice is not None and choice.route is None and not choice.uncertain:
        return _no_path(node, service, service_name)
    leg = internet_leg(estate, node, v6)
    if leg.outcome is not Outcome.PASS:
        return leg
    _dual_stack_agent(leg, node, service)
    return leg


def _dual_stack_agent(leg: Leg, node: Node, service: str) -> None:
    """The IPv6 path works for the dual-stack name: whether the agent asks it."""
    iid = node.instance.instance_id
    info = node.own.instance_information.get(iid)
    version = parse_version(info.agent_version if info else None)
    name = dualstack_host(service, node.region.region, "aws") or service
    minimum = format_version(DUALSTACK_ENDPOINT_MIN)
    if version is not None and version < DUALSTACK_ENDPOINT_MIN:
        msg = f"{node.subnet.subnet_id} is IPv6-only and only IPv6 to {name} leaves it; agent {format_version(version)} cannot ask the dual-stack names (UseDualStackEndpoint needs {minimum} or later)"
        leg.finding(
            "agent",
            iid,
            Outcome.FAIL,
            "IPV6_ONLY_NO_PATH",
            msg,
            f"Update the SSM agent to {minimum} or later and set UseDualStackEndpoint, or create dual-stack interface endpoints in {node.vpc.vpc_id}.",
        )
        return
    msg = f"IPv6 from {node.subnet.subnet_id} reaches {name} over the internet, if the agent asks that name (UseDualStackEndpoint in amazon-ssm-agent.json, agent {minimum} or later): a setting on the node"
    leg.finding(
        "agent",
        iid,
        Outcome.UNKNOWN,
        "AGENT_DUALSTACK_UNVERIFIED",
        msg,
        'Set {"Agent": {"UseDualStackEndpoint": true}} in /etc/amazon/ssm/amazon-ssm-agent.json and restart the agent, or create dual-stack interface endpoints.',
    )


def _no_path(node: Node, service: str, service_name: str) -> Leg:
    leg = Leg()
    detail = node.region.endpoint_services.get(service_name)
    types = detail.supported_ip_address_types if detail is not None else None
    extra: list[Reason] = []
    if types is not None and "ipv6" not in (t.lower() for t in types):
        fix = f"{service_name} does not offer IPv6 endpoints here: turn on DNS64 for {node.subnet.subnet_id} and route 64:ff9b::/96 to a NAT gateway."
        extra.append(
            reason(
                "SERVICE_NO_IPV6",
                Severity.ERROR,
                service_name,
                f"{service_name} lists only {', '.join(types) or 'no'} IP address types: no endpoint of it can serve the IPv6-only subnet {node.subnet.subnet_id}",
                fix,
            )
        )
    else:
        fix = f"Create the {service} interface endpoint in {node.vpc.vpc_id} with the dualstack IP address type and DNS record IP type, or turn on DNS64 and route 64:ff9b::/96 to a NAT gateway."
    msg = f"{node.subnet.subnet_id} is IPv6-only and nothing carries its IPv6 traffic to {service}: no endpoint answers, no NAT64 route and no ::/0 route"
    leg.finding("route", node.subnet.subnet_id, Outcome.FAIL, "IPV6_ONLY_NO_PATH", msg, fix)
    leg.reasons.extend(extra)
    return leg
