"""End-to-end: one estate per failure cause of the spec, through the whole engine."""

from __future__ import annotations

from typing import TypedDict

import pytest

from builders import EstateBuilder, nacl_entry, tcp
from scenario import codes, one_vpc, result_for, run
from ssmreach.analysis.verdict import Severity, Verdict

DEFAULT = ("core", "run-command", "session-manager", "patch-manager", "agent-update")


def verdicts(b: EstateBuilder, iid: str) -> dict[str, Verdict]:
    return {r.feature: r.verdict for r in run(b).results if r.instance == iid}


def test_recommended_setup_is_private_for_every_feature() -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    got = verdicts(e.b, iid)
    assert all(got[f] is Verdict.PRIVATE for f in DEFAULT), got
    r = result_for(e.b, iid, "core")
    ssm = r.services[0]
    assert ssm.via and ssm.via.startswith("vpce-")
    assert [h.step for h in ssm.hops][:4] == ["dns", "route", "sg-egress", "sg-ingress"]


def test_default_security_group_on_endpoints_blocks_other_groups() -> None:
    e = one_vpc(endpoints=False)
    e.b.private_endpoints(e.vpc, [e.ep_a], [], [e.rtb])
    web = e.b.instance("web", e.app, [e.app_sg], e.profile)
    ops = e.b.instance("ops", e.app, [e.b.default_sg(e.vpc)], e.profile)
    r = result_for(e.b, web, "core")
    assert r.verdict is Verdict.BLOCKED
    assert "SG_INGRESS_DENIED" in codes(r)
    assert next(x for x in r.reasons if x.code == "SG_INGRESS_DENIED").resource == e.b.default_sg(
        e.vpc
    )
    assert verdicts(e.b, ops)["core"] is Verdict.PRIVATE


def test_missing_ssmmessages_endpoint_falls_back_to_nat() -> None:
    e = one_vpc(endpoints=False)
    e.b.endpoint(e.vpc, "ssm", [e.ep_a], [e.ep_sg])
    e.b.internet_via_nat(e.vpc, e.rtb, "10.0.100.0/24")
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.INTERNET
    assert {"ENDPOINT_MISSING", "INTERNET_PATH"} <= codes(r)
    missing = next(x for x in r.reasons if x.code == "ENDPOINT_MISSING")
    assert missing.severity is Severity.WARNING
    assert result_for(e.b, iid, "core").verdict is Verdict.PRIVATE


def test_missing_endpoint_without_internet_is_blocked_with_error() -> None:
    e = one_vpc(endpoints=False)
    e.b.endpoint(e.vpc, "ssm", [e.ep_a], [e.ep_sg])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.BLOCKED
    assert {"ENDPOINT_MISSING", "NO_ROUTE"} <= codes(r)
    assert next(x for x in r.reasons if x.code == "ENDPOINT_MISSING").severity is Severity.ERROR


def test_endpoint_not_available() -> None:
    e = one_vpc(endpoints=False)
    e.b.endpoint(e.vpc, "ssm", [e.ep_a], [e.ep_sg], state="pendingAcceptance")
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "ENDPOINT_NOT_AVAILABLE" in codes(r)


@pytest.mark.parametrize("with_nat", [False, True])
def test_private_dns_disabled(with_nat: bool) -> None:
    e = one_vpc(endpoints=False)
    e.b.endpoint(e.vpc, "ssm", [e.ep_a], [e.ep_sg], private_dns=False)
    if with_nat:
        e.b.internet_via_nat(e.vpc, e.rtb, "10.0.100.0/24")
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert "PRIVATE_DNS_DISABLED" in codes(r)
    assert r.verdict is (Verdict.INTERNET if with_nat else Verdict.BLOCKED)


def test_vpc_dns_support_disabled() -> None:
    e = one_vpc(dns_support=False)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "VPC_DNS_SUPPORT_DISABLED" in codes(r)


def test_vpc_dns_hostnames_disabled() -> None:
    e = one_vpc(dns_hostnames=False)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "VPC_DNS_HOSTNAMES_DISABLED" in codes(r)


def test_custom_dns_servers_are_unknown() -> None:
    e = one_vpc(dhcp_servers=["10.0.0.53"])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN and "CUSTOM_DNS_UNVERIFIED" in codes(r)


def test_forward_rule_loses_to_a_more_specific_endpoint_zone() -> None:
    e = one_vpc()
    e.b.resolver_rule("amazonaws.com", "FORWARD", [e.vpc])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    assert result_for(e.b, iid, "core").verdict is Verdict.PRIVATE


def test_forward_rule_on_a_tie_wins_and_is_unknown() -> None:
    e = one_vpc()
    rule = e.b.resolver_rule("ssm.us-east-1.amazonaws.com", "FORWARD", [e.vpc])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN and "DNS_FORWARDED" in codes(r)
    assert next(x for x in r.reasons if x.code == "DNS_FORWARDED").resource == rule


def test_system_rule_carves_a_name_out_of_a_forward_rule() -> None:
    e = one_vpc(endpoints=False)
    e.b.resolver_rule("amazonaws.com", "FORWARD", [e.vpc])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    assert result_for(e.b, iid, "core").verdict is Verdict.UNKNOWN
    e.b.resolver_rule("us-east-1.amazonaws.com", "SYSTEM", [e.vpc])
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and {"ENDPOINT_MISSING", "NO_ROUTE"} <= codes(r)


def test_private_zone_without_record_shadows_the_service() -> None:
    e = one_vpc(endpoints=False)
    e.b.internet_via_nat(e.vpc, e.rtb, "10.0.100.0/24")
    zone = e.b.private_zone("us-east-1.amazonaws.com", [e.vpc])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "PHZ_SHADOWS_SERVICE" in codes(r)
    assert next(x for x in r.reasons if x.code == "PHZ_SHADOWS_SERVICE").resource == zone


class HubOptions(TypedDict, total=False):
    """The keyword options of `hub_and_spoke`."""

    status: str
    return_route: bool
    spoke_route: bool
    zone: bool


def hub_and_spoke(
    *,
    status: str = "active",
    return_route: bool = True,
    spoke_route: bool = True,
    zone: bool = True,
) -> tuple[EstateBuilder, str]:
    b = EstateBuilder()
    hub = b.vpc("10.1.0.0/16")
    hub_sn = b.subnet(hub, "10.1.1.0/24", "a")
    hub_rtb = b.route_table(hub, [hub_sn])
    hub_sg = b.sg(hub, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/8")])
    spoke = b.vpc("10.2.0.0/16")
    app = b.subnet(spoke, "10.2.1.0/24", "a")
    spoke_rtb = b.route_table(spoke, [app])
    pcx = b.peering(spoke, hub, status)
    if spoke_route:
        b.add_route(spoke_rtb, "10.1.0.0/16", pcx)
    if return_route:
        b.add_route(hub_rtb, "10.2.0.0/16", pcx)
    for svc in ("ssm", "ssmmessages", "ec2messages"):
        ep = b.endpoint(hub, svc, [hub_sn], [hub_sg], private_dns=False)
        if zone:
            name = f"{svc}.us-east-1.amazonaws.com"
            b.private_zone(
                name,
                [spoke],
                [
                    {
                        "Name": name + ".",
                        "Type": "A",
                        "AliasTarget": {
                            "HostedZoneId": "Z7HUB",
                            "DNSName": f"{ep}-abc.{svc}.us-east-1.vpce.amazonaws.com",
                            "EvaluateTargetHealth": False,
                        },
                    }
                ],
            )
    b.s3_gateway(spoke, [spoke_rtb])
    iid = b.instance("spoke-app", app, [b.sg(spoke, "app")], b.role("ssm-core"))
    return b, iid


def hub_and_spoke_tgw(
    *, return_route: bool = True, tgw_blackhole: bool = False
) -> tuple[EstateBuilder, str]:
    b = EstateBuilder()
    hub = b.vpc("10.1.0.0/16")
    hub_sn = b.subnet(hub, "10.1.1.0/24", "a")
    hub_rtb = b.route_table(hub, [hub_sn])
    hub_sg = b.sg(hub, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/8")])
    spoke = b.vpc("10.2.0.0/16")
    app = b.subnet(spoke, "10.2.1.0/24", "a")
    spoke_rtb = b.route_table(spoke, [app])
    tgw, table, _ = b.transit_gateway({hub: "10.1.0.0/16", spoke: "10.2.0.0/16"})
    if tgw_blackhole:
        b.tgw_routes[table][0]["State"] = "blackhole"
    b.add_route(spoke_rtb, "10.0.0.0/8", tgw)
    if return_route:
        b.add_route(hub_rtb, "10.2.0.0/16", tgw)
    b.hub_endpoints(hub, [hub_sn], [hub_sg], [spoke])
    iid = b.instance("spoke-app", app, [b.sg(spoke, "app")], b.role("ssm-core"))
    return b, iid


def test_hub_and_spoke_over_a_transit_gateway() -> None:
    b, iid = hub_and_spoke_tgw()
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.PRIVATE, codes(r)
    assert {"transit-gateway", "tgw-return", "return-route"} <= {h.step for h in r.services[0].hops}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"return_route": False}, "NO_RETURN_ROUTE"),
        ({"tgw_blackhole": True}, "ROUTE_BLACKHOLE"),
    ],
)
def test_transit_gateway_failures(kwargs: dict[str, bool], code: str) -> None:
    b, iid = hub_and_spoke_tgw(**kwargs)
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and code in codes(r), codes(r)


def test_transit_gateway_without_its_data_is_unknown() -> None:
    b, iid = hub_and_spoke_tgw()
    b.omitted.add("SearchTransitGatewayRoutes")
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN and "DATA_MISSING" in codes(r)


def test_hub_and_spoke_is_private() -> None:
    b, iid = hub_and_spoke()
    got = verdicts(b, iid)
    assert all(got[f] is Verdict.PRIVATE for f in DEFAULT), got
    hops = [h.step for h in result_for(b, iid, "core").services[0].hops]
    assert "peering" in hops and "return-route" in hops


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"status": "pending-acceptance"}, "PEERING_NOT_ACTIVE"),
        ({"return_route": False}, "NO_RETURN_ROUTE"),
        ({"spoke_route": False}, "NO_ROUTE"),
    ],
)
def test_hub_and_spoke_failures(kwargs: HubOptions, code: str) -> None:
    b, iid = hub_and_spoke(**kwargs)
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and code in codes(r), codes(r)


def test_hub_without_zone_in_spoke_says_endpoint_missing() -> None:
    b, iid = hub_and_spoke(zone=False)
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and {"ENDPOINT_MISSING", "NO_ROUTE"} <= codes(r)
    assert (
        "private hosted zone" in next(x for x in r.reasons if x.code == "ENDPOINT_MISSING").message
    )


def test_route_blackhole() -> None:
    e = one_vpc(endpoints=False)
    e.b.add_route(e.rtb, "0.0.0.0/0", "nat-0deadbeef", state="blackhole")
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "ROUTE_BLACKHOLE" in codes(r)


def test_sg_egress_denied() -> None:
    e = one_vpc()
    locked = e.b.sg(e.vpc, "locked", egress=[tcp(80, cidr="0.0.0.0/0")])
    iid = e.b.instance("web", e.app, [locked], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "SG_EGRESS_DENIED" in codes(r)


def test_sg_egress_to_endpoint_group_reference_passes() -> None:
    e = one_vpc()
    scoped = e.b.sg(
        e.vpc, "scoped", egress=[tcp(443, group=e.ep_sg), tcp(443, prefix_list=e.b.s3_pl)]
    )
    iid = e.b.instance("web", e.app, [scoped], e.profile)
    got = verdicts(e.b, iid)
    assert all(got[f] is Verdict.PRIVATE for f in DEFAULT), got


def test_nacl_outbound_denied() -> None:
    e = one_vpc()
    e.b.nacl(
        e.vpc,
        [e.app],
        [
            nacl_entry(50, "deny", egress=True, ports=(443, 443)),
            nacl_entry(100, "allow", egress=True),
            nacl_entry(100, "allow", egress=False),
        ],
    )
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "NACL_OUTBOUND_DENIED" in codes(r)


def test_nacl_without_return_ports_is_inbound_denied() -> None:
    e = one_vpc()
    e.b.nacl(
        e.vpc,
        [e.app],
        [
            nacl_entry(100, "allow", egress=True),
            nacl_entry(100, "allow", egress=False, ports=(443, 443)),
        ],
    )
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "NACL_INBOUND_DENIED" in codes(r)
    assert any(
        h.result.value == "fail" and "reply entering" in h.detail for h in r.services[0].hops
    )


def test_nacl_inside_one_subnet_does_not_filter() -> None:
    e = one_vpc(endpoints=False)
    e.b.private_endpoints(e.vpc, [e.app], [e.ep_sg], [e.rtb])
    e.b.nacl(e.vpc, [e.app], [])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    assert result_for(e.b, iid, "core").verdict is Verdict.PRIVATE


def test_nat_without_internet() -> None:
    e = one_vpc(endpoints=False)
    public = e.b.subnet(e.vpc, "10.0.100.0/24")
    e.b.route_table(e.vpc, [public])
    nat = e.b.nat(public)
    e.b.add_route(e.rtb, "0.0.0.0/0", nat)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "NAT_NO_INTERNET" in codes(r)


def test_igw_route_without_public_ip() -> None:
    e = one_vpc(endpoints=False)
    igw = e.b.igw(e.vpc)
    e.b.add_route(e.rtb, "0.0.0.0/0", igw)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "NO_PUBLIC_IP" in codes(r)
    pub = e.b.instance("pub", e.app, [e.app_sg], e.profile, public_ip="198.51.100.7")
    assert result_for(e.b, pub, "core").verdict is Verdict.INTERNET


def test_transit_gateway_egress_is_unknown() -> None:
    e = one_vpc(endpoints=False)
    e.b.add_route(e.rtb, "0.0.0.0/0", "tgw-0123456789abcdef0")
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN and "EGRESS_UNMODELED" in codes(r)


def test_endpoint_policy_denied() -> None:
    e = one_vpc(endpoints=False)
    e.b.endpoint(
        e.vpc,
        "ssm",
        [e.ep_a],
        [e.ep_sg],
        policy={
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "ssm:GetParameter", "Resource": "*"}
            ]
        },
    )
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "ENDPOINT_POLICY_DENIED" in codes(r)


def test_endpoint_policy_with_unknown_condition_is_unknown() -> None:
    e = one_vpc(endpoints=False)
    e.b.endpoint(
        e.vpc,
        "ssm",
        [e.ep_a],
        [e.ep_sg],
        policy={
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ops"}},
                }
            ]
        },
    )
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    assert result_for(e.b, iid, "core").verdict is Verdict.UNKNOWN


def test_s3_endpoint_policy_shutting_out_aws_buckets() -> None:
    e = one_vpc(endpoints=False)
    for svc in ("ssm", "ssmmessages", "ec2messages"):
        e.b.endpoint(e.vpc, svc, [e.ep_a], [e.ep_sg])
    e.b.s3_gateway(
        e.vpc,
        [e.rtb],
        policy={
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"],
                }
            ]
        },
    )
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    got = verdicts(e.b, iid)
    assert got["core"] is Verdict.PRIVATE
    for feature in ("patch-manager", "agent-update"):
        r = result_for(e.b, iid, feature)
        assert r.verdict is Verdict.BLOCKED and "S3_BUCKET_NOT_ALLOWED" in codes(r)


def test_gateway_endpoint_not_routed() -> None:
    e = one_vpc(endpoints=False)
    for svc in ("ssm", "ssmmessages", "ec2messages"):
        e.b.endpoint(e.vpc, svc, [e.ep_a], [e.ep_sg])
    other = e.b.route_table(e.vpc, [])
    e.b.s3_gateway(e.vpc, [other])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "agent-update")
    assert r.verdict is Verdict.BLOCKED and "GATEWAY_ENDPOINT_NOT_ROUTED" in codes(r)


def test_no_instance_profile_and_dhmc() -> None:
    e = one_vpc()
    iid = e.b.instance("bare", e.app, [e.app_sg], None)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "NO_INSTANCE_PROFILE" in codes(r)
    e.b.role(
        "AWSSystemsManagerDefaultEC2InstanceManagementRole",
        managed=["arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"],
        profile=False,
    )
    e.b.dhmc_role = "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"
    assert result_for(e.b, iid, "core").verdict is Verdict.PRIVATE


def test_role_without_ssm_permissions() -> None:
    e = one_vpc()
    weak = e.b.role("weak", managed=[])
    iid = e.b.instance("web", e.app, [e.app_sg], weak)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "IAM_ACTION_DENIED" in codes(r)


def test_explicit_deny_beats_managed_allow() -> None:
    e = one_vpc()
    denied = e.b.role(
        "denied",
        inline={
            "no-ssmmessages": {
                "Statement": [{"Effect": "Deny", "Action": "ssmmessages:*", "Resource": "*"}]
            }
        },
    )
    iid = e.b.instance("web", e.app, [e.app_sg], denied)
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.BLOCKED and "IAM_ACTION_DENIED" in codes(r)
    assert "no-ssmmessages" in next(x for x in r.reasons if x.code == "IAM_ACTION_DENIED").message


def test_missing_s3_grant_is_only_a_warning() -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "agent-update")
    assert r.verdict is Verdict.PRIVATE
    assert "IAM_S3_GRANT_MISSING" in codes(r)


def test_imds_disabled() -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile, imds="disabled")
    got = verdicts(e.b, iid)
    assert all(v is Verdict.BLOCKED for v in got.values())
    assert "IMDS_DISABLED" in codes(result_for(e.b, iid, "core"))


def test_agent_offline_and_too_old() -> None:
    e = one_vpc()
    lost = e.b.instance("lost", e.app, [e.app_sg], e.profile, ping="ConnectionLost")
    unlisted = e.b.instance("unlisted", e.app, [e.app_sg], e.profile, agent=None)
    old = e.b.instance("old", e.app, [e.app_sg], e.profile, agent="2.3.0.0")
    assert "AGENT_OFFLINE" in codes(result_for(e.b, lost, "core"))
    assert "AGENT_OFFLINE" in codes(result_for(e.b, unlisted, "core"))
    r = result_for(e.b, old, "session-manager")
    assert "AGENT_TOO_OLD" in codes(r)


def test_old_agent_needs_ec2messages() -> None:
    e = one_vpc(endpoints=False)
    e.b.endpoint(e.vpc, "ssm", [e.ep_a], [e.ep_sg])
    e.b.endpoint(e.vpc, "ssmmessages", [e.ep_a], [e.ep_sg])
    new = e.b.instance("new", e.app, [e.app_sg], e.profile)
    old = e.b.instance("old", e.app, [e.app_sg], e.profile, agent="3.0.1000.0")
    assert result_for(e.b, new, "run-command").verdict is Verdict.PRIVATE
    r = result_for(e.b, old, "run-command")
    assert r.verdict is Verdict.BLOCKED
    assert [s.service for s in r.services] == ["ssm", "ec2messages"]


@pytest.mark.parametrize(("how", "code"), [("omitted", "DATA_MISSING"), ("denied", "READ_DENIED")])
def test_missing_or_denied_reads_give_unknown(how: str, code: str) -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    getattr(e.b, how).add("DescribeNetworkAcls")
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN and code in codes(r)
    assert "DescribeNetworkAcls" in next(x for x in r.reasons if x.code == code).message


def test_iam_not_readable_gives_unknown_not_blocked() -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    e.b.denied.add("GetAccountAuthorizationDetails")
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN and "READ_DENIED" in codes(r)


def test_endpoint_only_in_other_zone_warns() -> None:
    e = one_vpc(endpoints=False)
    e.b.private_endpoints(e.vpc, [e.ep_b], [e.ep_sg], [e.rtb])
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.PRIVATE and "ENDPOINT_OTHER_AZ" in codes(r)


def test_session_preferences_add_services() -> None:
    e = one_vpc()
    e.b.session_prefs = {"cloudWatchLogGroupName": "/ssm/sessions", "kmsKeyId": "alias/ssm"}
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    r = result_for(e.b, iid, "session-manager")
    assert [s.service for s in r.services] == ["ssm", "ssmmessages", "kms", "logs"]
    assert r.verdict is Verdict.BLOCKED  # no kms/logs endpoint and no internet


def test_dhmc_needs_a_recent_agent_and_a_known_version() -> None:
    e = one_vpc()
    e.b.role(
        "AWSSystemsManagerDefaultEC2InstanceManagementRole",
        managed=["arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"],
        profile=False,
    )
    e.b.dhmc_role = "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"
    old = e.b.instance("old", e.app, [e.app_sg], None, agent="3.1.1004.0")
    unlisted = e.b.instance("unlisted", e.app, [e.app_sg], None, agent=None)
    r = result_for(e.b, old, "core")
    assert r.verdict is Verdict.BLOCKED and {"NO_INSTANCE_PROFILE", "AGENT_TOO_OLD"} <= codes(r)
    assert result_for(e.b, unlisted, "core").verdict is Verdict.UNKNOWN


def test_private_zones_need_dns_hostnames_in_the_spoke() -> None:
    b, iid = hub_and_spoke()
    spoke = next(v["VpcId"] for v in b.vpcs if v["CidrBlock"] == "10.2.0.0/16")
    for attr in b.vpc_attrs:
        if attr["Request"] == {"VpcId": spoke, "Attribute": "enableDnsHostnames"}:
            attr["Response"]["EnableDnsHostnames"]["Value"] = False
    r = result_for(b, iid, "core")
    assert r.verdict is Verdict.BLOCKED and "VPC_DNS_HOSTNAMES_DISABLED" in codes(r)
