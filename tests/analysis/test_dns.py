"""Unit tests of `analysis.dns.resolve`: what the Route 53 Resolver of a VPC answers for a
service hostname, from hand-made estates.

Sources: Route 53 developer guide, "Resolving DNS queries between VPCs and your network"
(the most specific domain among Resolver rules, private hosted zones and endpoint zones
answers; on a tie a Resolver rule wins) and "Private hosted zones"; PrivateLink guide,
"Private DNS" (needs `enableDnsSupport` and `enableDnsHostnames`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ssmreach.analysis.dns import DnsAnswer, gap_reason, resolve
from ssmreach.analysis.verdict import Outcome, Severity
from ssmreach.model import aws
from ssmreach.model.estate import AccountData, Estate, Gap, PrivateZone, RegionData

ACCOUNT = "111122223333"
HOST = "ssm.us-east-1.amazonaws.com"
SSM = "com.amazonaws.us-east-1.ssm"
HUB_NAME = "vpce-0hub1234-abcd.ssm.us-east-1.vpce.amazonaws.com"


def endpoint(
    vpc: str = "vpc-1",
    *,
    endpoint_id: str = "vpce-0aaa1111",
    private_dns: bool = True,
    state: str = "available",
    service: str = SSM,
    dns_name: str = "vpce-0aaa1111-wxyz.ssm.us-east-1.vpce.amazonaws.com",
) -> aws.VpcEndpoint:
    return aws.VpcEndpoint(
        vpc_endpoint_id=endpoint_id,
        vpc_endpoint_type="Interface",
        vpc_id=vpc,
        service_name=service,
        state=state,
        private_dns_enabled=private_dns,
        dns_entries=(aws.DnsEntry(dns_name=dns_name), aws.DnsEntry(dns_name=HOST)),
    )


HUB_ENDPOINT = endpoint(
    "vpc-hub", endpoint_id="vpce-0hub1234", private_dns=False, dns_name=HUB_NAME
)


def rule(domain: str | None, rule_type: str = "FORWARD") -> aws.ResolverRule:
    return aws.ResolverRule(id="rslvr-rr-1", domain_name=domain, rule_type=rule_type)


def zone(
    name: str,
    *records: aws.ResourceRecordSet,
    read: bool = True,
    vpcs_read: bool = True,
) -> PrivateZone:
    gap = Gap(ACCOUNT, "global", "route53", "ListResourceRecordSets", "denied")
    return PrivateZone(
        account=ACCOUNT,
        zone=aws.HostedZone(
            id="/hostedzone/Z0PHZ", name=name, config=aws.HostedZoneConfig(private_zone=True)
        ),
        vpcs=(aws.ZoneVpc(vpc_id="vpc-1", vpc_region="us-east-1"),)
        if vpcs_read
        else Gap(ACCOUNT, "global", "route53", "GetHostedZone", "missing"),
        records=records if read else gap,
    )


def a_record(name: str, *ips: str) -> aws.ResourceRecordSet:
    return aws.ResourceRecordSet(
        name=name, type="A", resource_records=tuple(aws.ResourceRecord(value=ip) for ip in ips)
    )


def alias(name: str, target: str) -> aws.ResourceRecordSet:
    return aws.ResourceRecordSet(name=name, type="A", alias_target=aws.AliasTarget(dns_name=target))


@dataclass
class Vpc1:
    """vpc-1 and the hub VPC; by default vpc-1 has the ssm endpoint with private DNS."""

    support: bool | None = True
    hostnames: bool | None = True
    dhcp: tuple[str, ...] | None = None
    endpoints: tuple[aws.VpcEndpoint, ...] = (endpoint(),)
    rules: tuple[aws.ResolverRule, ...] = ()
    zones: tuple[PrivateZone, ...] = ()
    region_gaps: dict[str, Gap] = field(default_factory=dict)
    account_gaps: dict[str, Gap] = field(default_factory=dict)

    def answer(self, host: str = HOST, service: str = SSM) -> DnsAnswer:
        vpc = aws.Vpc(vpc_id="vpc-1", dhcp_options_id="dopt-1" if self.dhcp else None)
        attributes: dict[tuple[str, str], bool | Gap] = {}
        if self.support is not None:
            attributes[("vpc-1", "enableDnsSupport")] = self.support
        if self.hostnames is not None:
            attributes[("vpc-1", "enableDnsHostnames")] = self.hostnames
        options = aws.DhcpOptions(
            dhcp_options_id="dopt-1",
            dhcp_configurations=(
                aws.DhcpConfiguration(
                    key="domain-name-servers",
                    values=tuple(aws.DhcpValue(value=s) for s in self.dhcp or ()),
                ),
            ),
        )
        every = (*self.endpoints, HUB_ENDPOINT)
        data = RegionData(
            account=ACCOUNT,
            region="us-east-1",
            gaps=self.region_gaps,
            vpcs={"vpc-1": vpc},
            vpc_attributes=attributes,
            dhcp_options={"dopt-1": options},
            endpoints={e.vpc_endpoint_id: e for e in every},
            endpoints_by_vpc={"vpc-1": self.endpoints, "vpc-hub": (HUB_ENDPOINT,)},
            resolver_rules_by_vpc={"vpc-1": self.rules},
        )
        estate = Estate(
            "test",
            None,
            "aws",
            {(ACCOUNT, "us-east-1"): data},
            {ACCOUNT: AccountData(ACCOUNT, gaps=self.account_gaps, private_zones=self.zones)},
            zones_by_vpc={"vpc-1": self.zones},
        )
        return resolve(estate, data, vpc, host, service)


def codes(answer: DnsAnswer) -> list[str]:
    return [r.code for r in answer.reasons]


# -- the endpoint's private DNS -----------------------------------------------------------


def test_an_endpoint_with_private_dns_answers_its_service_name() -> None:
    answer = Vpc1().answer()
    assert answer.kind == "endpoint" and answer.reasons == ()
    assert answer.endpoint is not None and answer.endpoint.vpc_endpoint_id == "vpce-0aaa1111"
    assert answer.hop.result is Outcome.PASS and answer.hop.resource == "vpce-0aaa1111"


def test_dns_support_off_means_nothing_resolves() -> None:
    answer = Vpc1(support=False).answer()
    assert answer.kind == "fail" and codes(answer) == ["VPC_DNS_SUPPORT_DISABLED"]
    assert answer.hop.result is Outcome.FAIL


def test_an_unread_vpc_attribute_leaves_the_answer_unknown() -> None:
    answer = Vpc1(support=None).answer()
    assert answer.kind == "unknown" and codes(answer) == ["DATA_MISSING"]
    assert "ec2:DescribeVpcAttribute (vpc-1 enableDnsSupport)" in answer.hop.detail


def test_dns_hostnames_off_ignores_the_endpoint_zone() -> None:
    answer = Vpc1(hostnames=False).answer()
    assert answer.kind == "public" and codes(answer) == ["VPC_DNS_HOSTNAMES_DISABLED"]


def test_private_dns_off_resolves_publicly() -> None:
    answer = Vpc1(endpoints=(endpoint(private_dns=False),)).answer()
    assert answer.kind == "public" and codes(answer) == ["PRIVATE_DNS_DISABLED"]


def test_an_endpoint_that_is_not_available_does_not_answer() -> None:
    answer = Vpc1(endpoints=(endpoint(state="pendingAcceptance"),)).answer()
    assert answer.kind == "public" and codes(answer) == ["ENDPOINT_NOT_AVAILABLE"]


def test_no_endpoint_resolves_publicly_and_names_one_in_another_vpc() -> None:
    answer = Vpc1(endpoints=()).answer()
    assert answer.kind == "public" and codes(answer) == ["ENDPOINT_MISSING"]
    assert answer.hop.result is Outcome.PASS
    assert "vpce-0hub1234 in vpc-hub exists" in answer.reasons[0].message


def test_s3_without_an_interface_endpoint_is_not_reported_missing_here() -> None:
    """S3 is usually reached through a gateway endpoint, which DNS does not show."""
    host = "s3.us-east-1.amazonaws.com"
    answer = Vpc1(endpoints=()).answer(host, "com.amazonaws.us-east-1.s3")
    assert answer.kind == "public" and answer.reasons == ()


def test_endpoints_not_read_leave_the_answer_unknown() -> None:
    gap = Gap(ACCOUNT, "us-east-1", "ec2", "DescribeVpcEndpoints", "denied")
    answer = Vpc1(region_gaps={"DescribeVpcEndpoints": gap}).answer()
    assert answer.kind == "unknown" and codes(answer) == ["READ_DENIED"]


# -- DHCP options -------------------------------------------------------------------------


def test_custom_dns_servers_are_outside_the_snapshot() -> None:
    answer = Vpc1(dhcp=("10.0.0.53",)).answer()
    assert answer.kind == "unknown" and codes(answer) == ["CUSTOM_DNS_UNVERIFIED"]
    assert answer.hop.resource == "dopt-1"


def test_dhcp_options_naming_the_amazon_resolver_use_it() -> None:
    assert Vpc1(dhcp=("AmazonProvidedDNS",)).answer().kind == "endpoint"


# -- Resolver rules -----------------------------------------------------------------------


def test_a_more_specific_endpoint_zone_beats_a_forward_rule_for_a_parent_domain() -> None:
    assert Vpc1(rules=(rule("amazonaws.com"),)).answer().kind == "endpoint"


def test_on_a_tie_the_forward_rule_wins_and_the_answer_is_outside_the_snapshot() -> None:
    answer = Vpc1(rules=(rule(HOST + "."),)).answer()
    assert answer.kind == "unknown" and codes(answer) == ["DNS_FORWARDED"]
    assert answer.hop.resource == "rslvr-rr-1"


def test_a_forward_rule_for_the_root_domain_catches_every_name() -> None:
    answer = Vpc1(endpoints=(), rules=(rule("."),)).answer()
    assert codes(answer) == ["DNS_FORWARDED"]


def test_a_system_rule_lets_the_resolver_answer_from_the_vpcs_own_zones() -> None:
    assert Vpc1(rules=(rule(HOST, "SYSTEM"),)).answer().kind == "endpoint"


def test_a_rule_for_another_domain_does_not_apply() -> None:
    assert Vpc1(rules=(rule("corp.example.com"),)).answer().kind == "endpoint"


def test_a_rule_whose_domain_is_unknown_leaves_the_answer_unknown() -> None:
    answer = Vpc1(rules=(rule(None),)).answer()
    assert answer.kind == "unknown" and codes(answer) == ["DATA_MISSING"]


def test_resolver_rules_not_read_leave_the_answer_unknown() -> None:
    gap = Gap(ACCOUNT, "us-east-1", "route53resolver", "ListResolverRules", "denied")
    answer = Vpc1(region_gaps={"ListResolverRules": gap}).answer()
    assert answer.kind == "unknown" and codes(answer) == ["READ_DENIED"]


# -- private hosted zones -----------------------------------------------------------------


def test_a_parent_zone_without_a_record_for_the_name_answers_nxdomain() -> None:
    """A private zone for a domain answers every name under it: one it has no record for
    gets NXDOMAIN, not the public answer."""
    answer = Vpc1(endpoints=(), zones=(zone("us-east-1.amazonaws.com."),)).answer()
    assert answer.kind == "nxdomain" and codes(answer) == ["PHZ_SHADOWS_SERVICE"]
    assert answer.hop.result is Outcome.FAIL and answer.zone == "Z0PHZ"


def test_the_endpoint_zone_is_more_specific_than_a_parent_private_zone() -> None:
    assert Vpc1(zones=(zone("us-east-1.amazonaws.com."),)).answer().kind == "endpoint"


def test_a_zone_aliasing_the_name_to_a_hub_endpoint_reaches_it() -> None:
    """Hub and spoke: a private zone in the spoke aliases the service name to the hub
    endpoint's regional DNS name."""
    hub = zone(HOST + ".", alias(HOST + ".", HUB_NAME + "."))
    answer = Vpc1(endpoints=(), zones=(hub,)).answer()
    assert answer.kind == "endpoint" and answer.zone == "Z0PHZ"
    assert answer.endpoint is HUB_ENDPOINT


def test_a_zone_for_the_same_name_as_the_endpoint_zone_wins_the_tie() -> None:
    hub = zone(HOST + ".", alias(HOST + ".", HUB_NAME + "."))
    answer = Vpc1(zones=(hub,)).answer()
    assert answer.endpoint is HUB_ENDPOINT


def test_a_zone_with_address_records_answers_them() -> None:
    records = zone(HOST + ".", a_record(HOST + ".", "10.0.11.5", "10.0.12.5"))
    answer = Vpc1(endpoints=(), zones=(records,)).answer()
    assert answer.kind == "addresses" and answer.addresses == ("10.0.11.5", "10.0.12.5")


def test_a_wildcard_record_answers_names_under_it() -> None:
    wild = zone("amazonaws.com.", a_record("\\052.us-east-1.amazonaws.com.", "10.0.11.9"))
    answer = Vpc1(endpoints=(), zones=(wild,)).answer()
    assert answer.kind == "addresses" and answer.addresses == ("10.0.11.9",)


def test_with_dns_hostnames_off_a_private_zone_does_not_answer() -> None:
    """Route 53 developer guide, "Considerations when working with a private hosted
    zone": a private zone needs enableDnsHostnames and enableDnsSupport on the VPC."""
    quiet = Vpc1(endpoints=(), hostnames=False, zones=(zone("us-east-1.amazonaws.com."),))
    answer = quiet.answer()
    assert answer.kind == "public" and codes(answer) == ["VPC_DNS_HOSTNAMES_DISABLED"]
    assert "private hosted zone us-east-1.amazonaws.com (Z0PHZ) does not answer" in (
        answer.reasons[0].message
    )


def test_zone_records_not_read_leave_the_answer_unknown() -> None:
    answer = Vpc1(endpoints=(), zones=(zone(HOST + ".", read=False),)).answer()
    assert answer.kind == "unknown" and codes(answer) == ["READ_DENIED"]


def test_a_zone_whose_vpcs_are_unknown_may_answer_the_name() -> None:
    answer = Vpc1(zones=(zone("amazonaws.com.", vpcs_read=False),)).answer()
    assert answer.kind == "unknown" and codes(answer) == ["DATA_MISSING"]


def test_hosted_zones_not_read_leave_the_answer_unknown() -> None:
    gap = Gap(ACCOUNT, "global", "route53", "ListHostedZones", "denied")
    answer = Vpc1(account_gaps={"ListHostedZones": gap}).answer()
    assert answer.kind == "unknown" and codes(answer) == ["READ_DENIED"]


# -- gap reasons --------------------------------------------------------------------------


def test_a_gap_reason_is_a_warning_naming_the_read() -> None:
    missing = Gap(ACCOUNT, "us-east-1", "ec2", "DescribeDhcpOptions", "missing", request="dopt-1")
    found = gap_reason(missing, "vpc-1")
    assert (found.code, found.severity, found.resource) == (
        "DATA_MISSING",
        Severity.WARNING,
        "vpc-1",
    )
    assert found.message == (
        "ec2:DescribeDhcpOptions (dopt-1) is not in the snapshot for 111122223333/us-east-1; "
        "the answer cannot be decided without it"
    )
    denied = Gap(ACCOUNT, "us-east-1", "ec2", "DescribeDhcpOptions", "denied")
    assert gap_reason(denied).code == "READ_DENIED"
