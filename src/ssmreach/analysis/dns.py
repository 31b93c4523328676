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
    # that zone has an AAAA (or CNAME) record for the name; None: no zone answered
    ipv6_records: bool | None = None
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
    """Resolve `host` as the VPC's Resolver would.

    Steps: the VPC must use the Resolver at all; then the candidates that may answer
    (Resolver rules, private hosted zones, endpoint zones), each step stopping at a read
    the snapshot lacks; then the most specific candidate answers, else the public answer.
    """
    stop = _resolver_not_used(region, vpc, host)
    if stop is not None:
        return stop
    rules = _rule_candidates(region, vpc.vpc_id, host)
    if isinstance(rules, DnsAnswer):
        return rules
    # Private hosted zones, like endpoint private DNS, need enableDnsHostnames as well
    # (Route 53 developer guide, "Considerations when working with a private hosted zone").
    zones = _zone_candidates(estate, region, vpc.vpc_id, host)
    if isinstance(zones, DnsAnswer):
        return zones
    hostnames, zone_candidates, ignored_zones = zones
    endpoints = _endpoint_candidates(region, vpc.vpc_id, host, hostnames)
    if isinstance(endpoints, DnsAnswer):
        return endpoints
    candidates = [*rules, *zone_candidates, *endpoints]
    if candidates:
        private = _private_answer(estate, region, vpc, host, service_name, candidates, depth)
        if private is not None:
            return private
    answer = _public_answer(estate, region, vpc, host, service_name, hostnames)
    if ignored_zones:
        answer = _with_ignored_zone(answer, vpc, host, ignored_zones[0])
    return answer


def _gap_answer(gap: Gap, resource: str | None) -> DnsAnswer:
    """The answer cannot be decided: `gap` is the read it needs."""
    return DnsAnswer(
        "unknown",
        Hop("dns", resource, Outcome.UNKNOWN, gap.describe()),
        (gap_reason(gap, resource),),
    )


def _missing_answer(resource: str, msg: str) -> DnsAnswer:
    return DnsAnswer(
        "unknown",
        Hop("dns", resource, Outcome.UNKNOWN, msg),
        (reason("DATA_MISSING", Severity.WARNING, resource, msg),),
    )


def _resolver_not_used(region: RegionData, vpc: aws.Vpc, host: str) -> DnsAnswer | None:
    """The answer when the VPC's Resolver does not answer `host` (DNS support off, custom
    DHCP DNS servers, or either not read); None when the Resolver answers."""
    vpc_id = vpc.vpc_id
    support = _attribute(region, vpc_id, "enableDnsSupport")
    if isinstance(support, Gap):
        return _gap_answer(support, vpc_id)
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
        return _gap_answer(servers, vpc_id)
    custom = [s for s in servers if s != "AmazonProvidedDNS"]
    if not custom:
        return None
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


def _rule_candidates(region: RegionData, vpc_id: str, host: str) -> list[_Candidate] | DnsAnswer:
    """The Resolver rules associated with the VPC whose domain covers `host`."""
    assoc_gap = region.gap("ListResolverRuleAssociations") or region.gap("ListResolverRules")
    if assoc_gap is not None:
        return _gap_answer(assoc_gap, vpc_id)
    candidates: list[_Candidate] = []
    for rule in region.resolver_rules_by_vpc.get(vpc_id, ()):
        if rule.domain_name is None:
            return _missing_answer(
                rule.id,
                f"Resolver rule {rule.id} is associated with {vpc_id} but its domain is not in the snapshot",
            )
        domain = normalize_name(rule.domain_name)
        if matches_domain(host, domain):
            candidates.append(_Candidate(domain, "rule", rule=rule))
    return candidates


def _zone_candidates(
    estate: Estate, region: RegionData, vpc_id: str, host: str
) -> tuple[bool | Gap, list[_Candidate], list[PrivateZone]] | DnsAnswer:
    """The private hosted zones associated with the VPC that cover `host`: with the
    VPC's enableDnsHostnames, the zones that answer and the zones it leaves silent."""
    zones_gap = estate.account_data(region.account).gap("ListHostedZones")
    if zones_gap is not None:
        return _gap_answer(zones_gap, vpc_id)
    for data in estate.accounts.values():
        for zone in data.private_zones:
            if isinstance(zone.vpcs, Gap) and matches_domain(host, zone.domain):
                return _gap_answer(zone.vpcs, zone.zone.zone_id)
    hostnames = _attribute(region, vpc_id, "enableDnsHostnames")
    candidates: list[_Candidate] = []
    ignored: list[PrivateZone] = []
    for zone in estate.zones_by_vpc.get(vpc_id, ()):
        if matches_domain(host, zone.domain):
            if isinstance(hostnames, Gap):
                return _gap_answer(hostnames, vpc_id)
            if hostnames:
                candidates.append(_Candidate(zone.domain, "zone", zone=zone))
            else:
                ignored.append(zone)
    return hostnames, candidates, ignored


def _endpoint_candidates(
    region: RegionData, vpc_id: str, host: str, hostnames: bool | Gap
) -> list[_Candidate] | DnsAnswer:
    """The managed zones of interface endpoints with private DNS in this VPC that cover
    `host`: when the endpoints were not read, any of them may answer the name."""
    endpoints_gap = region.gap("DescribeVpcEndpoints")
    if endpoints_gap is not None:
        return _gap_answer(endpoints_gap, vpc_id)
    candidates: list[_Candidate] = []
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
                    return _gap_answer(hostnames, vpc_id)
                if hostnames:
                    candidates.append(_Candidate(domain, "endpoint", endpoint=ep))
    return candidates


def _most_specific(candidates: list[_Candidate]) -> list[_Candidate]:
    top = max(_labels(c.domain) for c in candidates)
    return [c for c in candidates if _labels(c.domain) == top]


def _private_answer(
    estate: Estate,
    region: RegionData,
    vpc: aws.Vpc,
    host: str,
    service_name: str,
    candidates: list[_Candidate],
    depth: int,
) -> DnsAnswer | None:
    """The answer of the most specific candidate (a Resolver rule wins a tie, then a
    zone); None when only SYSTEM rules cover `host`, which leaves the public answer."""
    rule_winner = next((c for c in _most_specific(candidates) if c.kind == "rule"), None)
    if rule_winner is not None and rule_winner.rule is not None:
        rule = rule_winner.rule
        rtype = rule.rule_type.upper()
        if rtype == "FORWARD" or rtype not in ("SYSTEM", "RECURSIVE"):
            return _forwarded(rule, rtype, vpc.vpc_id, host)
        # SYSTEM: the Resolver answers itself, from the VPC's zones or publicly.
        candidates = [c for c in candidates if c.kind != "rule"]
        if not candidates:
            return None
    tied = _most_specific(candidates)
    winner = next((c for c in tied if c.kind == "zone"), tied[0])
    if winner.kind == "zone" and winner.zone is not None:
        return _answer_from_zone(estate, region, vpc, host, service_name, winner.zone, depth)
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
    return None


def _forwarded(rule: aws.ResolverRule, rtype: str, vpc_id: str, host: str) -> DnsAnswer:
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


def _with_ignored_zone(answer: DnsAnswer, vpc: aws.Vpc, host: str, zone: PrivateZone) -> DnsAnswer:
    """The public answer names the private zone enableDnsHostnames false leaves silent."""
    if any(r.code == "VPC_DNS_HOSTNAMES_DISABLED" for r in answer.reasons):
        return answer
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
    return dataclasses.replace(
        answer, reasons=(extra, *(r for r in answer.reasons if r.code != "ENDPOINT_MISSING"))
    )


def _answer_from_zone(
    estate: Estate,
    region: RegionData,
    vpc: aws.Vpc,
    host: str,
    service_name: str,
    zone: PrivateZone,
    depth: int,
) -> DnsAnswer:
    """What a private hosted zone answers for `host`: NXDOMAIN without a record, the
    endpoint an alias or CNAME names (followed up to four times), or its addresses."""
    zid = zone.zone.zone_id
    if isinstance(zone.records, Gap):
        return _gap_answer(zone.records, zid)
    usable = _records_for(zone.records, host)
    if not usable:
        return _shadowed(zone, vpc, host)
    record = usable[0]
    target = record.alias_target.dns_name if record.alias_target else None
    if record.type.upper() == "CNAME" and record.resource_records:
        target = record.resource_records[0].value
    ipv6 = any(
        r.type.upper() in ("AAAA", "CNAME")
        for r in _records_for(zone.records, host, ("AAAA", "CNAME"))
    )
    if target:
        answer = _follow(estate, region, vpc, host, service_name, zid, target, depth)
        return dataclasses.replace(answer, ipv6_records=ipv6)
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
        ipv6_records=ipv6,
    )


def _records_for(
    records: tuple[aws.ResourceRecordSet, ...],
    host: str,
    types: tuple[str, ...] = ("A", "CNAME"),
) -> list[aws.ResourceRecordSet]:
    """The records of `types` of a zone for `host`: its own name, else a wildcard."""
    exact = [r for r in records if normalize_name(r.name) == host]
    if not exact:
        exact = [
            r
            for r in records
            if normalize_name(r.name).startswith("*.") and host.endswith(normalize_name(r.name)[1:])
        ]
    return [r for r in exact if r.type.upper() in types]


def _shadowed(zone: PrivateZone, vpc: aws.Vpc, host: str) -> DnsAnswer:
    zid = zone.zone.zone_id
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


def _follow(
    estate: Estate,
    region: RegionData,
    vpc: aws.Vpc,
    host: str,
    service_name: str,
    zid: str,
    target: str,
    depth: int,
) -> DnsAnswer:
    """An alias or CNAME in zone `zid`: the endpoint it names, or the target resolved again."""
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
        return resolve(estate, region, vpc, target_name, service_name, depth + 1)
    return _missing_answer(
        zid,
        f"{host} is an alias or CNAME in {zid} to {target_name}, which is not an endpoint in the snapshot",
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
    own = next(
        (
            ep
            for ep in region.endpoints_by_vpc.get(vpc.vpc_id, ())
            if ep.service_name == service_name and ep.is_interface
        ),
        None,
    )
    found: Reason | None = None
    if own is not None:
        found = _why_own_endpoint_silent(own, vpc, host, service_name, hostnames)
    elif not service_name.endswith(".s3"):
        found = _endpoint_missing(estate, vpc, host, service_name)
    detail = f"{host} resolves to public AWS addresses (no private answer in {vpc.vpc_id})"
    return DnsAnswer(
        "public",
        Hop("dns", vpc.vpc_id, Outcome.PASS, detail),
        () if found is None else (found,),
    )


def _why_own_endpoint_silent(
    ep: aws.VpcEndpoint, vpc: aws.Vpc, host: str, service_name: str, hostnames: bool | Gap
) -> Reason | None:
    """Why the VPC's own interface endpoint for the service does not answer `host`."""
    if ep.state.lower() != "available":
        return reason(
            "ENDPOINT_NOT_AVAILABLE",
            Severity.WARNING,
            ep.vpc_endpoint_id,
            f"{ep.vpc_endpoint_id} ({service_name}) is {ep.state}, not available",
            f"Find out why {ep.vpc_endpoint_id} is {ep.state} (accept it, or fix and recreate it).",
        )
    if not ep.private_dns_enabled:
        return reason(
            "PRIVATE_DNS_DISABLED",
            Severity.WARNING,
            ep.vpc_endpoint_id,
            f"{ep.vpc_endpoint_id} ({service_name}) has private DNS off, so {host} resolves to public addresses",
            f"Turn on private DNS for {ep.vpc_endpoint_id} (modify-vpc-endpoint --private-dns-enabled).",
        )
    if isinstance(hostnames, Gap):
        return gap_reason(hostnames, vpc.vpc_id)
    if not hostnames:
        return reason(
            "VPC_DNS_HOSTNAMES_DISABLED",
            Severity.WARNING,
            vpc.vpc_id,
            f"{vpc.vpc_id} has enableDnsHostnames false, so the private DNS of {ep.vpc_endpoint_id} does not apply and {host} resolves publicly",
            f"Set enableDnsHostnames to true on {vpc.vpc_id}.",
        )
    return None


def _endpoint_missing(estate: Estate, vpc: aws.Vpc, host: str, service_name: str) -> Reason:
    """No interface endpoint for the service in the VPC (naming one elsewhere, if any)."""
    elsewhere = next(
        (
            ep.vpc_endpoint_id + " in " + ep.vpc_id
            for ep in estate.interface_endpoints.get(service_name, ())
            if ep.vpc_id != vpc.vpc_id
        ),
        None,
    )
    hint = (
        f" ({elsewhere} exists, but no private hosted zone associated with {vpc.vpc_id} maps {host} to it)"
        if elsewhere
        else ""
    )
    return reason(
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
