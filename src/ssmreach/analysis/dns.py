"""What the Route 53 Resolver of a VPC answers for a service hostname.

The Resolver picks the most specific domain among: Resolver rules associated with
the VPC (FORWARD, SYSTEM), private hosted zones associated with the VPC, and the
managed zone of each available interface endpoint in the VPC with private DNS on
(which applies only while `enableDnsHostnames` is true). On a tie a Resolver rule
wins. A FORWARD rule sends the question outside the snapshot (UNKNOWN); a private
zone without a record for the name answers NXDOMAIN; nothing private means the
public answer. Sources: Route 53 developer guide, "Resolving DNS queries between VPCs
and your network" and "Private hosted zones"; PrivateLink guide, "Private DNS".

Judgement (documented in the README): a SYSTEM (or the autodefined RECURSIVE) rule
that wins does not force the public answer: the Resolver then resolves the name
itself, which includes private hosted zones and endpoint zones of the VPC.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Literal

from ssmreach.analysis.reasons import reason
from ssmreach.analysis.services import endpoint_private_names
from ssmreach.analysis.verdict import Hop, Outcome, Reason, Severity
from ssmreach.model import aws
from ssmreach.model.estate import Estate, Gap, PrivateZone, RegionData, normalize_name

AnswerKind = Literal["endpoint", "addresses", "public", "nxdomain", "unknown", "fail"]

_VPCE_ID = re.compile(r"(vpce-[0-9a-f]+)")


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    kind: AnswerKind
    hop: Hop
    reasons: tuple[Reason, ...] = ()
    endpoint: aws.VpcEndpoint | None = None
    endpoint_region: RegionData | None = None
    addresses: tuple[str, ...] = ()
    zone: str | None = None  # the private zone that answered (hub-and-spoke)
    notes: tuple[str, ...] = field(default=())


def gap_reason(gap: Gap, resource: str | None = None) -> Reason:
    return reason(
        gap.code,
        Severity.WARNING,
        resource,
        gap.describe() + "; the answer cannot be decided without it",
    )


def matches_domain(host: str, domain: str) -> bool:
    return domain in ("", ".") or host == domain or host.endswith("." + domain)


def _labels(domain: str) -> int:
    return 0 if domain in ("", ".") else domain.count(".") + 1


@dataclass(frozen=True, slots=True)
class _Candidate:
    domain: str
    kind: Literal["rule", "zone", "endpoint"]
    rule: aws.ResolverRule | None = None
    zone: PrivateZone | None = None
    endpoint: aws.VpcEndpoint | None = None


def _attribute(region: RegionData, vpc_id: str, name: str) -> bool | Gap:
    value = region.vpc_attributes.get((vpc_id, name))
    if value is not None:
        return value
    gap = region.gap("DescribeVpcAttribute")
    return gap or Gap(
        region.account,
        region.region,
        "ec2",
        "DescribeVpcAttribute",
        "missing",
        request=f"{vpc_id} {name}",
    )


def _dhcp_servers(region: RegionData, vpc: aws.Vpc) -> tuple[str, ...] | Gap:
    dopt = vpc.dhcp_options_id
    if not dopt or dopt == "default":
        return ("AmazonProvidedDNS",)
    options = region.dhcp_options.get(dopt)
    if options is None:
        gap = region.gap("DescribeDhcpOptions")
        return gap or Gap(
            region.account, region.region, "ec2", "DescribeDhcpOptions", "missing", request=dopt
        )
    servers = options.values_of("domain-name-servers")
    return servers or ("AmazonProvidedDNS",)


def find_endpoint_by_name(estate: Estate, name: str) -> tuple[aws.VpcEndpoint, RegionData] | None:
    """The endpoint whose regional or zonal DNS name (or id) `name` is."""
    name = normalize_name(name)
    found = _VPCE_ID.search(name)
    for data in estate.regions.values():
        if found and found.group(1) in data.endpoints:
            return data.endpoints[found.group(1)], data
        for ep in data.endpoints.values():
            if any(normalize_name(e.dns_name or "") == name for e in ep.dns_entries):
                return ep, data
    return None


def resolve(
    estate: Estate, region: RegionData, vpc: aws.Vpc, host: str, service_name: str, depth: int = 0
) -> DnsAnswer:
    """Resolve `host` as the VPC's Resolver would."""
    vpc_id = vpc.vpc_id
    support = _attribute(region, vpc_id, "enableDnsSupport")
    if isinstance(support, Gap):
        return DnsAnswer(
            "unknown",
            Hop("dns", vpc_id, Outcome.UNKNOWN, support.describe()),
            (gap_reason(support, vpc_id),),
        )
    if not support:
        msg = f"{vpc_id} has enableDnsSupport false: the VPC resolver answers nothing, so {host} does not resolve"
        return DnsAnswer(
            "fail",
            Hop("dns", vpc_id, Outcome.FAIL, msg),
            (
                reason(
                    "VPC_DNS_SUPPORT_DISABLED",
                    Severity.ERROR,
                    vpc_id,
                    msg,
                    f"Set enableDnsSupport to true on {vpc_id}.",
                ),
            ),
        )
    servers = _dhcp_servers(region, vpc)
    if isinstance(servers, Gap):
        return DnsAnswer(
            "unknown",
            Hop("dns", vpc_id, Outcome.UNKNOWN, servers.describe()),
            (gap_reason(servers, vpc_id),),
        )
    custom = [s for s in servers if s != "AmazonProvidedDNS"]
    if custom:
        msg = (
            f"{vpc_id} uses DHCP options {vpc.dhcp_options_id} with DNS servers {', '.join(custom)}; "
            f"what they answer for {host} is not in the snapshot"
        )
        return DnsAnswer(
            "unknown",
            Hop("dns", vpc.dhcp_options_id, Outcome.UNKNOWN, msg),
            (
                reason(
                    "CUSTOM_DNS_UNVERIFIED",
                    Severity.WARNING,
                    vpc.dhcp_options_id,
                    msg,
                    f"Make {', '.join(custom)} forward amazonaws.com to the VPC resolver ({vpc_id} base +2), then confirm with `ssmreach probe`.",
                ),
            ),
        )

    candidates: list[_Candidate] = []
    # Resolver rules associated with the VPC.
    assoc_gap = region.gap("ListResolverRuleAssociations") or region.gap("ListResolverRules")
    if assoc_gap is not None:
        return DnsAnswer(
            "unknown",
            Hop("dns", vpc_id, Outcome.UNKNOWN, assoc_gap.describe()),
            (gap_reason(assoc_gap, vpc_id),),
        )
    for rule in region.resolver_rules_by_vpc.get(vpc_id, ()):
        if rule.domain_name is None:
            msg = f"Resolver rule {rule.id} is associated with {vpc_id} but its domain is not in the snapshot"
            return DnsAnswer(
                "unknown",
                Hop("dns", rule.id, Outcome.UNKNOWN, msg),
                (reason("DATA_MISSING", Severity.WARNING, rule.id, msg),),
            )
        domain = normalize_name(rule.domain_name)
        if matches_domain(host, domain):
            candidates.append(_Candidate(domain, "rule", rule=rule))
    # Private hosted zones associated with the VPC.
    account = estate.account_data(region.account)
    zones_gap = account.gap("ListHostedZones")
    if zones_gap is not None:
        return DnsAnswer(
            "unknown",
            Hop("dns", vpc_id, Outcome.UNKNOWN, zones_gap.describe()),
            (gap_reason(zones_gap, vpc_id),),
        )
    for data in estate.accounts.values():
        for zone in data.private_zones:
            if isinstance(zone.vpcs, Gap) and matches_domain(host, zone.domain):
                return DnsAnswer(
                    "unknown",
                    Hop("dns", zone.zone.zone_id, Outcome.UNKNOWN, zone.vpcs.describe()),
                    (gap_reason(zone.vpcs, zone.zone.zone_id),),
                )
    # Private hosted zones, like endpoint private DNS, need enableDnsHostnames as well
    # (Route 53 developer guide, "Considerations when working with a private hosted zone").
    hostnames = _attribute(region, vpc_id, "enableDnsHostnames")
    ignored_zones: list[PrivateZone] = []
    for zone in estate.zones_by_vpc.get(vpc_id, ()):
        if matches_domain(host, zone.domain):
            if isinstance(hostnames, Gap):
                return DnsAnswer(
                    "unknown",
                    Hop("dns", vpc_id, Outcome.UNKNOWN, hostnames.describe()),
                    (gap_reason(hostnames, vpc_id),),
                )
            if hostnames:
                candidates.append(_Candidate(zone.domain, "zone", zone=zone))
            else:
                ignored_zones.append(zone)
    # Managed zones of interface endpoints with private DNS in this VPC: when the endpoints
    # were not read, any of them may answer the name.
    endpoints_gap = region.gap("DescribeVpcEndpoints")
    if endpoints_gap is not None:
        return DnsAnswer(
            "unknown",
            Hop("dns", vpc_id, Outcome.UNKNOWN, endpoints_gap.describe()),
            (gap_reason(endpoints_gap, vpc_id),),
        )
    for ep in region.endpoints_by_vpc.get(vpc_id, ()):
        if not (ep.is_interface and ep.private_dns_enabled and ep.state.lower() == "available"):
            continue
        names = endpoint_private_names(
            region, ep.service_name, tuple(e.dns_name or "" for e in ep.dns_entries)
        )
        for name in names:
            wildcard = name.startswith("*.")
            domain = name[2:] if wildcard else name
            if host == domain or (wildcard and host.endswith("." + domain)):
                if isinstance(hostnames, Gap):
                    return DnsAnswer(
                        "unknown",
                        Hop("dns", vpc_id, Outcome.UNKNOWN, hostnames.describe()),
                        (gap_reason(hostnames, vpc_id),),
                    )
                if hostnames:
                    candidates.append(_Candidate(domain, "endpoint", endpoint=ep))

    if candidates:
        top = max(_labels(c.domain) for c in candidates)
        tied = [c for c in candidates if _labels(c.domain) == top]
        rule_winner = next((c for c in tied if c.kind == "rule"), None)
        if rule_winner is not None and rule_winner.rule is not None:
            rule = rule_winner.rule
            rtype = rule.rule_type.upper()
            if rtype == "FORWARD" or rtype not in ("SYSTEM", "RECURSIVE"):
                msg = f"Resolver rule {rule.id} ({rtype} {rule.domain_name}) associated with {vpc_id} sends {host} to servers outside the snapshot"
                return DnsAnswer(
                    "unknown",
                    Hop("dns", rule.id, Outcome.UNKNOWN, msg),
                    (
                        reason(
                            "DNS_FORWARDED",
                            Severity.WARNING,
                            rule.id,
                            msg,
                            f"Add a SYSTEM Resolver rule for {host} (so the VPC resolver answers it), or confirm the forwarded answer with `ssmreach probe`.",
                        ),
                    ),
                )
            # SYSTEM: the Resolver answers itself, from the VPC's zones or publicly.
            rest = [c for c in candidates if c.kind != "rule" and _labels(c.domain) >= 0]
            candidates = rest
        if candidates:
            top = max(_labels(c.domain) for c in candidates)
            tied = [c for c in candidates if _labels(c.domain) == top]
            winner = next((c for c in tied if c.kind == "zone"), tied[0])
            if winner.kind == "zone" and winner.zone is not None:
                return _answer_from_zone(
                    estate, region, vpc, host, service_name, winner.zone, depth
                )
            if winner.endpoint is not None:
                ep = winner.endpoint
                return DnsAnswer(
                    "endpoint",
                    Hop(
                        "dns",
                        ep.vpc_endpoint_id,
                        Outcome.PASS,
                        f"{host} resolves to the network interfaces of {ep.vpc_endpoint_id} (private DNS)",
                    ),
                    endpoint=ep,
                    endpoint_region=region,
                )
    answer = _public_answer(estate, region, vpc, host, service_name, hostnames)
    if ignored_zones and not any(r.code == "VPC_DNS_HOSTNAMES_DISABLED" for r in answer.reasons):
        zone = ignored_zones[0]
        msg = (
            f"{vpc.vpc_id} has enableDnsHostnames false, so private hosted zone {zone.domain} "
            f"({zone.zone.zone_id}) does not answer and {host} resolves publicly"
        )
        extra = reason(
            "VPC_DNS_HOSTNAMES_DISABLED",
            Severity.WARNING,
            vpc.vpc_id,
            msg,
            f"Set enableDnsHostnames to true on {vpc.vpc_id}.",
        )
        answer = dataclasses.replace(
            answer, reasons=(extra, *(r for r in answer.reasons if r.code != "ENDPOINT_MISSING"))
        )
    return answer


def _answer_from_zone(
    estate: Estate,
    region: RegionData,
    vpc: aws.Vpc,
    host: str,
    service_name: str,
    zone: PrivateZone,
    depth: int,
) -> DnsAnswer:
    zid = zone.zone.zone_id
    if isinstance(zone.records, Gap):
        return DnsAnswer(
            "unknown",
            Hop("dns", zid, Outcome.UNKNOWN, zone.records.describe()),
            (gap_reason(zone.records, zid),),
        )
    exact = [r for r in zone.records if normalize_name(r.name) == host]
    if not exact:
        exact = [
            r
            for r in zone.records
            if normalize_name(r.name).startswith("*.") and host.endswith(normalize_name(r.name)[1:])
        ]
    usable = [r for r in exact if r.type.upper() in ("A", "CNAME")]
    if not usable:
        msg = (
            f"private hosted zone {zone.zone.name.rstrip('.')} ({zid}) is associated with {vpc.vpc_id} and covers {host} "
            f"but has no A or CNAME record for it: the resolver answers NXDOMAIN"
        )
        return DnsAnswer(
            "nxdomain",
            Hop("dns", zid, Outcome.FAIL, msg),
            (
                reason(
                    "PHZ_SHADOWS_SERVICE",
                    Severity.ERROR,
                    zid,
                    msg,
                    f"Add an alias record for {host} in {zid} pointing at the service's endpoint, or disassociate the zone from {vpc.vpc_id}.",
                ),
            ),
            zone=zid,
        )
    record = usable[0]
    target = record.alias_target.dns_name if record.alias_target else None
    if record.type.upper() == "CNAME" and record.resource_records:
        target = record.resource_records[0].value
    if target:
        found = find_endpoint_by_name(estate, target)
        if found is not None:
            ep, ep_region = found
            return DnsAnswer(
                "endpoint",
                Hop(
                    "dns",
                    zid,
                    Outcome.PASS,
                    f"{host} resolves through private hosted zone {zid} to {ep.vpc_endpoint_id} in {ep.vpc_id}",
                ),
                endpoint=ep,
                endpoint_region=ep_region,
                zone=zid,
            )
        target_name = normalize_name(target)
        if depth < 4 and target_name != host:
            inner = resolve(estate, region, vpc, target_name, service_name, depth + 1)
            return inner
        msg = f"{host} is an alias or CNAME in {zid} to {target_name}, which is not an endpoint in the snapshot"
        return DnsAnswer(
            "unknown",
            Hop("dns", zid, Outcome.UNKNOWN, msg),
            (reason("DATA_MISSING", Severity.WARNING, zid, msg),),
        )
    ips = tuple(r.value for r in record.resource_records)
    return DnsAnswer(
        "addresses",
        Hop(
            "dns",
            zid,
            Outcome.PASS,
            f"{host} resolves through private hosted zone {zid} to {', '.join(ips)}",
        ),
        addresses=ips,
        zone=zid,
    )


def _public_answer(
    estate: Estate,
    region: RegionData,
    vpc: aws.Vpc,
    host: str,
    service_name: str,
    hostnames: bool | Gap,
) -> DnsAnswer:
    """Nothing private answers: the public AWS addresses, and why it is not private."""
    own = [
        ep
        for ep in region.endpoints_by_vpc.get(vpc.vpc_id, ())
        if ep.service_name == service_name and ep.is_interface
    ]
    reasons: list[Reason] = []
    notes: list[str] = []
    if own:
        ep = own[0]
        if ep.state.lower() != "available":
            reasons.append(
                reason(
                    "ENDPOINT_NOT_AVAILABLE",
                    Severity.WARNING,
                    ep.vpc_endpoint_id,
                    f"{ep.vpc_endpoint_id} ({service_name}) is {ep.state}, not available",
                    f"Find out why {ep.vpc_endpoint_id} is {ep.state} (accept it, or fix and recreate it).",
                )
            )
        elif not ep.private_dns_enabled:
            reasons.append(
                reason(
                    "PRIVATE_DNS_DISABLED",
                    Severity.WARNING,
                    ep.vpc_endpoint_id,
                    f"{ep.vpc_endpoint_id} ({service_name}) has private DNS off, so {host} resolves to public addresses",
                    f"Turn on private DNS for {ep.vpc_endpoint_id} (modify-vpc-endpoint --private-dns-enabled).",
                )
            )
        elif isinstance(hostnames, Gap):
            reasons.append(gap_reason(hostnames, vpc.vpc_id))
        elif not hostnames:
            reasons.append(
                reason(
                    "VPC_DNS_HOSTNAMES_DISABLED",
                    Severity.WARNING,
                    vpc.vpc_id,
                    f"{vpc.vpc_id} has enableDnsHostnames false, so the private DNS of {ep.vpc_endpoint_id} does not apply and {host} resolves publicly",
                    f"Set enableDnsHostnames to true on {vpc.vpc_id}.",
                )
            )
    elif not service_name.endswith(".s3"):
        elsewhere = [
            ep.vpc_endpoint_id + " in " + ep.vpc_id
            for data in estate.regions.values()
            for ep in data.endpoints.values()
            if ep.service_name == service_name and ep.vpc_id != vpc.vpc_id and ep.is_interface
        ]
        hint = (
            f" ({elsewhere[0]} exists, but no private hosted zone associated with {vpc.vpc_id} maps {host} to it)"
            if elsewhere
            else ""
        )
        reasons.append(
            reason(
                "ENDPOINT_MISSING",
                Severity.WARNING,
                vpc.vpc_id,
                f"no {service_name} interface endpoint serves {vpc.vpc_id}{hint}",
                f"Create an interface endpoint for {service_name} in {vpc.vpc_id} with private DNS on"
                + (
                    f", or associate a private hosted zone for {host} aliased to the hub endpoint."
                    if elsewhere
                    else "."
                ),
            )
        )
    detail = f"{host} resolves to public AWS addresses (no private answer in {vpc.vpc_id})"
    outcome = Outcome.PASS
    return DnsAnswer(
        "public", Hop("dns", vpc.vpc_id, outcome, detail), tuple(reasons), notes=tuple(notes)
    )
