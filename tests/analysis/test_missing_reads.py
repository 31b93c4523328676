"""End-to-end: a read the snapshot lacks never decides a verdict, and every one is named."""

from __future__ import annotations

import pytest

from builders import EstateBuilder, tcp
from scenario import one_vpc, result_for, run
from ssmreach.analysis.verdict import FeatureResult, Verdict
from ssmreach.collect.calls import CALLS, ApiCall


def _gap_messages(result: object) -> str:
    reasons = getattr(result, "reasons", ())
    return " ".join(r.message for r in reasons if r.code in ("DATA_MISSING", "READ_DENIED"))


def test_unknown_for_missing_data_names_every_read_of_the_path() -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    e.b.omitted.update({"DescribeRouteTables", "DescribeNetworkAcls"})
    e.b.denied.add("ListResolverRules")
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    messages = _gap_messages(r)
    for api in (
        "ec2:DescribeRouteTables",
        "ec2:DescribeNetworkAcls",
        "route53resolver:ListResolverRules",
    ):
        assert api in messages, api
    assert sum(x.code == "READ_DENIED" for x in r.reasons) == 1


def test_a_definite_failure_is_not_turned_unknown_by_other_gaps() -> None:
    e = one_vpc(endpoints=False)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    e.b.omitted.add("DescribeNetworkAcls")
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED  # no endpoint and no internet path: certain


# -- every operation of the call table: absent or denied never decides a verdict --------


def _rich_estate() -> EstateBuilder:
    """Instances on every kind of path: endpoints, NAT, peering to a hub, transit gateway,
    DHMC, Session Manager preferences with a KMS key and logs, a Resolver rule, a
    prefix-list security group rule."""
    b = EstateBuilder()
    b.dhmc_role = "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"
    b.role(
        "AWSSystemsManagerDefaultEC2InstanceManagementRole",
        managed=["arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"],
        profile=False,
    )
    b.session_prefs = {"kmsKeyId": "alias/sessions", "cloudWatchLogGroupName": "/ssm/s"}
    profile = b.role(
        "ssm-core",
        inline={
            "extra": {
                "Statement": [
                    {"Effect": "Allow", "Action": ["kms:Decrypt", "logs:*"], "Resource": "*"}
                ]
            }
        },
    )
    # 1. a VPC with every endpoint, and a NAT path for a second subnet
    vpc = b.vpc("10.0.0.0/16")
    app = b.subnet(vpc, "10.0.1.0/24", "a")
    nat_app = b.subnet(vpc, "10.0.2.0/24", "b")
    ep = b.subnet(vpc, "10.0.11.0/24", "a")
    rtb = b.route_table(vpc, [app, ep])
    nat_rtb = b.route_table(vpc, [nat_app])
    b.internet_via_nat(vpc, nat_rtb, "10.0.200.0/24")
    ep_sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/8")])
    b.private_endpoints(vpc, [ep], [ep_sg], [rtb])
    for svc in ("kms", "logs"):
        b.endpoint(vpc, svc, [ep], [ep_sg])
    corp = b.managed_prefix_list("corp", ["10.0.0.0/8"])
    pl_sg = b.sg(
        vpc, "via-prefix-list", egress=[tcp(443, prefix_list=corp), tcp(443, prefix_list=b.s3_pl)]
    )
    b.instance("endpoints", app, [b.sg(vpc, "app")], profile)
    b.instance("prefix-list", app, [b.sg(vpc, "app2"), pl_sg], profile)
    b.instance("nat", nat_app, [b.sg(vpc, "nat")], profile)
    b.instance("dhmc", app, [b.sg(vpc, "dhmc")], None)
    # 2. a spoke peered to a hub with private zones
    hub = b.vpc("10.1.0.0/16")
    hub_sn = b.subnet(hub, "10.1.1.0/24", "a")
    hub_rtb = b.route_table(hub, [hub_sn])
    spoke = b.vpc("10.2.0.0/16")
    spoke_sn = b.subnet(spoke, "10.2.1.0/24", "a")
    spoke_rtb = b.route_table(spoke, [spoke_sn])
    pcx = b.peering(spoke, hub)
    b.add_route(spoke_rtb, "10.1.0.0/16", pcx)
    b.add_route(hub_rtb, "10.2.0.0/16", pcx)
    b.hub_endpoints(
        hub, [hub_sn], [b.sg(hub, "ep", ingress=[tcp(443, cidr="10.0.0.0/8")])], [spoke]
    )
    b.instance("peered", spoke_sn, [b.sg(spoke, "app")], profile)
    # 3. a spoke over a transit gateway to the same hub
    tgw_spoke = b.vpc("10.3.0.0/16")
    tgw_sn = b.subnet(tgw_spoke, "10.3.1.0/24", "a")
    tgw_rtb = b.route_table(tgw_spoke, [tgw_sn])
    tgw, _, _ = b.transit_gateway({hub: "10.1.0.0/16", tgw_spoke: "10.3.0.0/16"})
    b.add_route(tgw_rtb, "10.1.0.0/16", tgw)
    b.add_route(hub_rtb, "10.3.0.0/16", tgw)
    b.resolver_rule("corp.example", "FORWARD", [tgw_spoke])
    b.instance("tgw", tgw_sn, [b.sg(tgw_spoke, "app")], profile)
    return b


def _verdicts(b: EstateBuilder) -> dict[tuple[str, str], FeatureResult]:
    return {(r.name or r.instance, r.feature): r for r in run(b).results}


_BASELINE: dict[tuple[str, str], FeatureResult] = {}


def _baseline() -> dict[tuple[str, str], FeatureResult]:
    if not _BASELINE:
        _BASELINE.update(_verdicts(_rich_estate()))
    return _BASELINE


def test_the_rich_estate_has_definite_verdicts_of_every_kind() -> None:
    got = {r.verdict for r in _baseline().values()}
    assert {Verdict.PRIVATE, Verdict.INTERNET} <= got
    assert all(r.verdict is not Verdict.UNKNOWN for k, r in _baseline().items()), [
        (k, r.reasons) for k, r in _baseline().items() if r.verdict is Verdict.UNKNOWN
    ]


@pytest.mark.parametrize("mode", ["absent", "denied"])
@pytest.mark.parametrize(
    "call", [c for c in CALLS if c.operation != "DescribeInstances"], ids=lambda c: c.api
)
def test_a_missing_read_never_changes_a_definite_verdict(call: ApiCall, mode: str) -> None:
    if (call.operation, mode) == ("GetDocument", "absent"):
        pytest.skip("the one documented exception: uncollected preferences are the defaults")
    b = _rich_estate()
    (b.omitted if mode == "absent" else b.denied).add(call.operation)
    changed = []
    for key, result in _verdicts(b).items():
        before = _baseline()[key]
        if result.verdict is before.verdict:
            continue
        named = any(
            call.api in r.message or call.operation in r.message
            for r in (*result.reasons, *(x for s in result.services for x in s.reasons))
            if r.code in ("DATA_MISSING", "READ_DENIED")
        )
        if result.verdict is not Verdict.UNKNOWN or not named:
            changed.append(
                (key, before.verdict.value, result.verdict.value, [r.code for r in result.reasons])
            )
    assert not changed, changed


def test_uncollected_session_preferences_are_the_defaults_and_said_so() -> None:
    """The judgement call of the README (the spec's example snapshots have no GetDocument
    and expect Session Manager PRIVATE); denied or failed preferences are UNKNOWN."""
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    e.b.omitted.add("GetDocument")
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.PRIVATE
    [note] = [x for x in r.reasons if x.code == "DATA_MISSING"]
    assert note.severity.value == "info" and "defaults" in note.message
    e.b.omitted.clear()
    e.b.denied.add("GetDocument")
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.UNKNOWN
    assert any(x.code == "READ_DENIED" and "ssm:GetDocument" in x.message for x in r.reasons)
