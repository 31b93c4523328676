"""Subnets shared through AWS RAM: a participant's instance in the owner's subnet.

The VPC owner owns the subnets, route tables, network ACLs and endpoints; participants
own their instances and security groups and "cannot view, modify, or delete resources that
belong to other participants or the VPC owner" (VPC user guide, "Share your VPC with other
accounts", limitations). So the network of a participant's instance is read from the owner's
data, and without it the verdict is UNKNOWN naming the owner account.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from builders import EstateBuilder, tcp
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.verdict import CheckResult
from ssmreach.model.raw import FORMAT, Manifest, RawSnapshot
from ssmreach.model.reader import parse_snapshot

OWNER = "999988887777"
PARTICIPANT = "111122223333"
FEATURES = ("core", "session-manager", "patch-manager")


@dataclass
class Shared:
    owner: EstateBuilder
    participant: EstateBuilder
    vpc: str
    subnet: str
    instance: str


def shared_vpc(*, endpoints: bool = True) -> Shared:
    owner = EstateBuilder(account=OWNER)
    vpc = owner.vpc("10.0.0.0/16")
    app = owner.subnet(vpc, "10.0.1.0/24", "a")
    ep_a = owner.subnet(vpc, "10.0.11.0/24", "a")
    ep_b = owner.subnet(vpc, "10.0.12.0/24", "b")
    rtb = owner.route_table(vpc, [app, ep_a, ep_b])
    ep_sg = owner.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/16")])
    if endpoints:
        owner.private_endpoints(vpc, [ep_a, ep_b], [ep_sg], [rtb])
    for record in (*owner.vpcs, *owner.subnets):
        record["OwnerId"] = OWNER
    participant = EstateBuilder(account=PARTICIPANT)
    participant._ids = itertools.count(10_000)  # ids distinct from the owner's
    # What a participant's DescribeVpcs and DescribeSubnets list: the shared VPC and subnet.
    participant.vpcs.append(dict(owner.vpcs[0]))
    shared = dict(next(s for s in owner.subnets if s["SubnetId"] == app))
    participant.subnets.append(shared)
    participant._subnet_by_id[app] = shared
    participant._subnet_ips[app] = itertools.count(50)
    app_sg = participant.sg(vpc, "app")
    profile = participant.role("ssm-core")
    instance = participant.instance("web", app, [app_sg], profile)
    return Shared(owner, participant, vpc, app, instance)


def check(*builders: EstateBuilder) -> CheckResult:
    files = {k: v for b in builders for k, v in b.files().items()}
    manifest = Manifest(
        format=FORMAT,
        accounts=tuple(sorted(b.account for b in builders)),
        regions=("us-east-1",),
    )
    estate = parse_snapshot(RawSnapshot(manifest=manifest, files=files, source="builder"))
    return check_estate(estate, CheckOptions(features=FEATURES))


def test_a_participant_instance_uses_the_owner_s_route_tables_acls_and_endpoints() -> None:
    s = shared_vpc()
    result = check(s.owner, s.participant)
    assert {r.feature: r.verdict.value for r in result.results} == dict.fromkeys(
        FEATURES, "PRIVATE"
    )


def test_the_owner_s_missing_endpoints_are_seen_from_the_participant() -> None:
    s = shared_vpc(endpoints=False)
    result = check(s.owner, s.participant)
    assert {r.verdict.value for r in result.results} == {"BLOCKED"}  # no NAT, no endpoint


def test_without_the_owner_s_data_the_verdict_is_unknown_naming_the_owner() -> None:
    s = shared_vpc()
    result = check(s.participant)
    for r in result.results:
        assert r.verdict.value == "UNKNOWN"
        found = [x for x in r.reasons if x.code == "SHARED_SUBNET_OWNER_NOT_COLLECTED"]
        assert found and OWNER in found[0].message
        assert "DATA_MISSING" not in {x.code for x in r.reasons}
