"""Grouped analysis gives exactly the results of instance-by-instance analysis."""

from __future__ import annotations

import dataclasses
import json
from typing import Any
from urllib.parse import quote

import pytest

from builders import CORE, EstateBuilder, InstanceOptions, nacl_entry, tcp
from generated import full_records, generate
from scenario import one_vpc
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import FEATURES
from ssmreach.model.raw import FORMAT, Manifest, RawSnapshot
from ssmreach.model.reader import parse_snapshot


def test_grouped_equals_ungrouped_on_a_generated_estate() -> None:
    estate = full_records(generate(400, 18)).estate()
    grouped = check_estate(estate, CheckOptions(features=FEATURES))
    single = check_estate(estate, CheckOptions(features=FEATURES, grouped=False))
    assert grouped.results == single.results
    assert len({r.verdict for r in grouped.results}) >= 3


def test_full_aws_records_give_the_results_of_the_fields_the_analysis_reads() -> None:
    """The benchmark's full records (every field AWS returns, the instances' own network
    interfaces listed too) change the size of the snapshot, not its verdicts."""
    minimal = generate(200, 9)
    full = full_records(generate(200, 9))
    first = minimal.reservations[0]["Instances"][0]
    assert len(full.reservations[0]["Instances"][0]) > 3 * len(first)
    assert len(full.enis) == len(minimal.enis) + sum(len(r["Instances"]) for r in full.reservations)
    wanted = CheckOptions(features=FEATURES)
    assert (
        check_estate(full.estate(), wanted).results
        == check_estate(minimal.estate(), wanted).results
    )


def _compare(b: EstateBuilder) -> dict[str, str]:
    estate = b.estate()
    grouped = check_estate(estate, CheckOptions(features=("core",)))
    single = check_estate(estate, CheckOptions(features=("core",), grouped=False))
    assert grouped.results == single.results
    return {r.instance: r.verdict.value for r in grouped.results}


def test_a_narrow_rule_splits_a_group() -> None:
    e = one_vpc()
    ids = [e.b.instance(f"web{i}", e.app, [e.app_sg], e.profile) for i in range(3)]
    first_ip = next(
        i for r in e.b.reservations for i in r["Instances"] if i["InstanceId"] == ids[1]
    )["PrivateIpAddress"]
    ep_sg = next(g for g in e.b.sgs if g["GroupId"] == e.ep_sg)
    ep_sg["IpPermissions"] = [tcp(443, cidr=first_ip + "/32")]
    assert _compare(e.b) == {ids[0]: "BLOCKED", ids[1]: "PRIVATE", ids[2]: "BLOCKED"}


def test_a_policy_naming_an_instance_splits_a_group() -> None:
    e = one_vpc()
    ids = [e.b.instance(f"web{i}", e.app, [e.app_sg], e.profile) for i in range(3)]
    arn = f"arn:aws:ec2:us-east-1:111122223333:instance/{ids[1]}"
    e.b.roles[0]["RolePolicyList"].append(
        {
            "PolicyName": "one",
            "PolicyDocument": {
                "Statement": [
                    {"Effect": "Deny", "Action": "ssm:UpdateInstanceInformation", "Resource": arn}
                ]
            },
        }
    )
    assert _compare(e.b) == {ids[0]: "PRIVATE", ids[1]: "BLOCKED", ids[2]: "PRIVATE"}


def test_a_condition_key_the_role_reads_still_tells_vpcs_apart() -> None:
    """Policy decisions are shared between requests that differ only in keys no policy
    reads; a key the role does read (here aws:SourceVpc) keeps them apart."""
    e = one_vpc()
    other = e.b.vpc("10.1.0.0/16")
    subnet = e.b.subnet(other, "10.1.1.0/24", "a")
    ep_subnet = e.b.subnet(other, "10.1.11.0/24", "a")
    rtb = e.b.route_table(other, [subnet, ep_subnet])
    sg = e.b.sg(other, "app")
    ep_sg = e.b.sg(other, "endpoints", ingress=[tcp(443, cidr="10.1.0.0/16")])
    e.b.private_endpoints(other, [ep_subnet], [ep_sg], [rtb])
    e.b.roles[0]["RolePolicyList"].append(
        {
            "PolicyName": "home-vpc-only",
            "PolicyDocument": {
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "ssm:*",
                        "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:SourceVpc": e.vpc}},
                    }
                ]
            },
        }
    )
    home = e.b.instance("home", e.app, [e.app_sg], e.profile)
    away = e.b.instance("away", subnet, [sg], e.profile)
    assert _compare(e.b) == {home: "PRIVATE", away: "BLOCKED"}


VARIANTS: dict[str, InstanceOptions] = {
    "metadata service off": {"imds": "disabled"},
    "old agent": {"agent": "2.3.50.0"},
    "not a managed node": {"agent": None},
    "agent offline": {"ping": "ConnectionLost"},
    "windows": {
        "platform": "Windows",
        "platform_name": "Microsoft Windows Server 2019 Datacenter",
        "platform_version": "10.0.17763",
    },
    "no public address": {"public_ip": None},
    "no profile": {},  # the instance gets no profile (see the test)
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_instances_that_differ_in_one_fact_are_not_given_each_others_results(
    variant: str,
) -> None:
    """Instances share whole results only when every fact the check reads is equal."""
    e = one_vpc(endpoints=False)
    e.b.add_route(e.rtb, "0.0.0.0/0", e.b.igw(e.vpc))  # only a public address gets out
    # Replies reach only the Linux ephemeral ports, so the platform matters too.
    e.b.nacl(
        e.vpc,
        [e.app],
        [
            nacl_entry(100, "allow", egress=True),
            nacl_entry(100, "allow", egress=False, ports=(443, 443)),
            nacl_entry(110, "allow", egress=False, ports=(32768, 60999)),
        ],
    )
    options: InstanceOptions = {"public_ip": "54.0.0.9", **VARIANTS[variant]}
    profile = None if variant == "no profile" else e.profile
    twins = [
        e.b.instance(f"twin{i}", e.app, [e.app_sg], e.profile, public_ip=f"54.0.0.{i + 1}")
        for i in range(2)
    ]
    odd = e.b.instance("odd", e.app, [e.app_sg], profile, **options)
    later = e.b.instance("later", e.app, [e.app_sg], e.profile, public_ip="54.0.0.3")
    estate = e.b.estate()
    grouped = check_estate(estate, CheckOptions(features=FEATURES))
    single = check_estate(estate, CheckOptions(features=FEATURES, grouped=False))
    assert grouped.results == single.results

    def facts(iid: str) -> list[object]:
        return [(r.verdict, r.reasons, r.services) for r in single.results if r.instance == iid]

    assert facts(twins[0]) == facts(twins[1]) == facts(later)
    assert facts(odd) != facts(twins[0]), "the variant should change some result"


# -- security groups that count by their contents -------------------------------------------


def test_grouped_equals_ungrouped_with_a_group_per_instance() -> None:
    estate = full_records(generate(300, 12, own_groups=True)).estate()
    grouped = check_estate(estate, CheckOptions(features=FEATURES))
    single = check_estate(estate, CheckOptions(features=FEATURES, grouped=False))
    assert grouped.results == single.results
    assert len({r.verdict for r in grouped.results}) >= 3
    # Each result names its own instance's group, never another's.
    groups = {i.instance_id: set(i.group_ids) for r in estate.regions.values() for i in r.instances}
    all_groups = set().union(*groups.values())
    for result in grouped.results:
        named = {h.resource for s in result.services for h in s.hops if h.resource in all_groups}
        assert named <= groups[result.instance]


def _twins(egress: list[dict[str, object]] | None) -> tuple[EstateBuilder, list[str], list[str]]:
    """Three instances of one subnet, each with a group of its own with the same rules."""
    e = one_vpc()
    vpc = e.vpc
    own = [e.b.sg(vpc, f"own{i}", egress=egress) for i in range(3)]
    ids = [e.b.instance(f"web{i}", e.app, [g], e.profile) for i, g in enumerate(own)]
    return e.b, ids, own


@pytest.mark.parametrize("egress", [None, [tcp(80, cidr="0.0.0.0/0")]], ids=["open", "shut"])
def test_groups_with_equal_rules_each_name_their_own_group(
    egress: list[dict[str, object]] | None,
) -> None:
    b, ids, own = _twins(egress)
    estate = b.estate()
    grouped = check_estate(estate, CheckOptions(features=FEATURES))
    single = check_estate(estate, CheckOptions(features=FEATURES, grouped=False))
    assert grouped.results == single.results
    for iid, gid in zip(ids, own, strict=True):
        texts = [
            " ".join(filter(None, (x.resource, x.message, x.fix)))
            for r in grouped.results
            if r.instance == iid
            for x in r.reasons
        ] + [
            f"{h.resource} {h.detail}"
            for r in grouped.results
            if r.instance == iid
            for s in r.services
            for h in s.hops
        ]
        text = " ".join(texts)
        assert gid in text and not any(other in text for other in own if other != gid)
    if egress is not None:
        assert {r.verdict.value for r in grouped.results} == {"BLOCKED"}


def test_a_group_an_endpoint_rule_names_counts_by_its_id() -> None:
    """The endpoints admit one of two groups with equal rules: they decide differently."""
    b, ids, own = _twins(None)
    ep_sg = next(g for g in b.sgs if g["GroupName"] == "endpoints")
    ep_sg["IpPermissions"] = [tcp(443, group=own[1])]
    assert _compare(b) == {ids[0]: "BLOCKED", ids[1]: "PRIVATE", ids[2]: "BLOCKED"}


def test_the_order_of_an_instances_groups_is_kept() -> None:
    """Two open groups: the hop names the first in the instance's order, so [A, B] and
    [B, A] (and a swap of two groups with equal rules) give different wording."""
    e = one_vpc()
    first, second = e.b.sg(e.vpc, "a"), e.b.sg(e.vpc, "b")
    ab = e.b.instance("ab", e.app, [first, second], e.profile)
    ba = e.b.instance("ba", e.app, [second, first], e.profile)
    estate = e.b.estate()
    grouped = check_estate(estate, CheckOptions(features=("core",)))
    single = check_estate(estate, CheckOptions(features=("core",), grouped=False))
    assert grouped.results == single.results
    egress = {
        r.instance: {h.resource for s in r.services for h in s.hops if h.step == "sg-egress"}
        for r in grouped.results
    }
    assert egress == {ab: {first}, ba: {second}}


def test_grouped_equals_ungrouped_with_a_role_per_instance() -> None:
    """Roles holding the same documents share their decisions; findings still name each."""
    estate = full_records(generate(200, 8, own_roles=True)).estate()
    grouped = check_estate(estate, CheckOptions(features=FEATURES))
    single = check_estate(estate, CheckOptions(features=FEATURES, grouped=False))
    assert grouped.results == single.results


def test_an_endpoint_policy_that_admits_anyone_names_each_caller_it_refuses() -> None:
    e = one_vpc()
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "ssm:Describe*", "Resource": "*"}
        ]
    }
    for endpoint in e.b.endpoints:
        if endpoint["ServiceName"].endswith(".ssm"):
            endpoint["PolicyDocument"] = json.dumps(policy)
    roles = [e.b.role(f"core-{n}") for n in range(2)]
    ids = [e.b.instance(f"web{n}", e.app, [e.app_sg], role) for n, role in enumerate(roles)]
    estate = e.b.estate()
    grouped = check_estate(estate, CheckOptions(features=("core",)))
    assert (
        grouped.results
        == check_estate(estate, CheckOptions(features=("core",), grouped=False)).results
    )
    for iid, n in zip(ids, range(2), strict=True):
        (result,) = [r for r in grouped.results if r.instance == iid]
        text = " ".join(r.message for r in result.reasons)
        assert result.verdict.value == "BLOCKED"
        assert f"role/core-{n}" in text and f"role/core-{1 - n}" not in text


def test_a_group_id_named_by_a_policy_counts_by_its_id_whatever_its_letters() -> None:
    """Planned groups (a Terraform preview) have ids that are not hex: a policy naming
    one still makes it named, so a quoted statement is never rewritten."""
    e = one_vpc()
    first, second = e.b.sg(e.vpc, "a"), e.b.sg(e.vpc, "b")
    ids = {first: "sg-plan0123456789ab", second: "sg-plan0123456789cd"}
    for group in e.b.sgs:
        group["GroupId"] = ids.get(group["GroupId"], group["GroupId"])
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "ssm:UpdateInstanceInformation",
                "NotResource": f"arn:aws:ec2:us-east-1:111122223333:security-group/{ids[first]}",
            },
        ]
    }
    for endpoint in e.b.endpoints:
        if endpoint["ServiceName"].endswith(".ssm"):
            endpoint["PolicyDocument"] = json.dumps(policy)
    e.b.instance("one", e.app, [ids[first]], e.profile)
    e.b.instance("two", e.app, [ids[second]], e.profile)
    _compare(e.b)


def test_groups_of_one_id_in_two_regions_are_told_apart() -> None:
    """A merged snapshot may repeat an id across Regions: each group counts by its own
    contents."""
    builders = []
    for region, open_egress in (("us-east-1", True), ("us-west-2", False)):
        b = EstateBuilder(region=region)
        vpc = b.vpc("10.0.0.0/16")
        app = b.subnet(vpc, "10.0.1.0/24", "a")
        ep = b.subnet(vpc, "10.0.11.0/24", "a")
        rtb = b.route_table(vpc, [app, ep])
        ep_sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/16")])
        b.private_endpoints(vpc, [ep], [ep_sg], [rtb])
        repeated = b.sg(vpc, "x", egress=None if open_egress else [])
        other = b.sg(vpc, "y")
        role = b.role("core")
        b.instance("y", app, [other], role)
        b.instance("x", app, [repeated], role)
        builders.append(b)
    east, west = builders
    for reservation in west.reservations:
        for instance in reservation["Instances"]:
            instance["InstanceId"] = instance["InstanceId"].replace("i-0", "i-f")
    for info in west.info:
        info["InstanceId"] = info["InstanceId"].replace("i-0", "i-f")
    files = {**east.files(), **{k: v for k, v in west.files().items() if k.region != "global"}}
    manifest = Manifest(
        format=FORMAT,
        created="2026-11-28T12:00:00Z",
        accounts=(east.account,),
        regions=("us-east-1", "us-west-2"),
    )
    estate = parse_snapshot(RawSnapshot(manifest=manifest, files=files, source="builder"))
    grouped = check_estate(estate, CheckOptions(features=("core",)))
    single = check_estate(estate, CheckOptions(features=("core",), grouped=False))
    assert grouped.results == single.results
    assert {r.verdict.value for r in grouped.results if r.region == "us-west-2"} == {
        "PRIVATE",
        "BLOCKED",
    }


def _two_named(e: Any) -> list[str]:
    """Two instances of one subnet, with ids a policy can tell apart by pattern."""
    made = [e.b.instance(n, e.app, [e.app_sg], e.profile) for n in ("a", "b")]
    ids = dict(zip(made, ("i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2"), strict=True))
    for reservation in e.b.reservations:
        for instance in reservation["Instances"]:
            instance["InstanceId"] = ids.get(instance["InstanceId"], instance["InstanceId"])
    for info in e.b.info:
        info["InstanceId"] = ids.get(info["InstanceId"], info["InstanceId"])
    return list(ids.values())


@pytest.mark.parametrize(("prefix", "blocked"), [("i-0b", 1), ("i-0a", 0)])
def test_a_wildcard_on_instance_ids_tells_the_instances_apart(prefix: str, blocked: int) -> None:
    e = one_vpc()
    ids = _two_named(e)
    deny = {
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "ssm:UpdateInstanceInformation",
                "Resource": f"arn:aws:ec2:us-east-1:111122223333:instance/{prefix}*",
            }
        ]
    }
    e.b.roles[0]["RolePolicyList"].append({"PolicyName": "deny-some", "PolicyDocument": deny})
    verdicts = _compare(e.b)
    assert verdicts == {i: "BLOCKED" if n == blocked else "PRIVATE" for n, i in enumerate(ids)}


def test_agents_too_old_for_default_host_management_each_name_their_version() -> None:
    e = one_vpc()
    e.b.role(
        "dhmc-role", managed=["arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"]
    )
    e.b.dhmc_role = "dhmc-role"
    e.b.instance("a", e.app, [e.app_sg], None, agent="3.1.1004.0")
    e.b.instance("b", e.app, [e.app_sg], None, agent="3.0.1390.0")
    _compare(e.b)


_B_ARN = "arn:aws:ec2:us-east-1:111122223333:instance/i-0bbbbbbbbbbbbbbb2"


@pytest.mark.parametrize(
    "document",
    [
        {"StringLike": {"ec2:SourceInstanceARN": "*bbbbbbbbbbbbbbb2"}},
        {"StringEqualsIgnoreCase": {"ec2:SourceInstanceARN": _B_ARN.upper()}},
        "url-encoded",
    ],
    ids=["leading wildcard", "capitals", "url-encoded"],
)
def test_a_role_policy_that_singles_out_an_instance_is_seen_however_written(
    document: dict[str, Any] | str,
) -> None:
    e = one_vpc()
    a, b = _two_named(e)
    deny: dict[str, Any] = {"Effect": "Deny", "Action": "ssm:UpdateInstanceInformation"}
    if document == "url-encoded":
        deny["Resource"] = _B_ARN
    else:
        deny |= {"Resource": "*", "Condition": document}
    text: object = {"Statement": [deny]}
    if document == "url-encoded":
        text = quote(json.dumps(text))
    e.b.roles[0]["RolePolicyList"].append({"PolicyName": "deny-b", "PolicyDocument": text})
    assert _compare(e.b) == {a: "PRIVATE", b: "BLOCKED"}


def test_a_key_policy_that_singles_out_an_instance_is_seen() -> None:
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    key_arn = f"arn:aws:kms:us-east-1:111122223333:key/{key_id}"
    e = one_vpc()
    e.b.endpoint(e.vpc, "kms", [e.ep_a], [e.ep_sg])
    e.b.session_prefs = {"kmsKeyId": key_id}
    allow = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn}
    e.profile = e.b.role("sessions", managed=[CORE], inline={"kms": {"Statement": [allow]}})
    a, b = _two_named(e)
    policy = e.b.default_key_policy()
    policy["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"ArnEquals": {"ec2:SourceInstanceARN": _B_ARN}},
        }
    )
    e.b.kms_key(key_id, policy=policy)
    estate = e.b.estate()
    options = CheckOptions(features=("session-manager",))
    grouped = check_estate(estate, options)
    single = check_estate(estate, dataclasses.replace(options, grouped=False))
    assert grouped.results == single.results
    assert {r.instance: r.verdict.value for r in grouped.results} == {a: "PRIVATE", b: "BLOCKED"}
