"""Full collections against in-process moto: files, shapes, paging, failures, accounts, Regions."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from collect.collect_helpers import FakeHttp, aws_env, error_answer, moto, session_factory  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION, add_instances, build_estate
from ssmreach import __version__
from ssmreach.collect import calls as calls_module
from ssmreach.collect import collect_snapshot
from ssmreach.collect.calls import CALLS, ApiCall, calls_for
from ssmreach.collect.collector import ProgressEvent
from ssmreach.collect.readonly import is_read_only
from ssmreach.model.estate import Gap
from ssmreach.model.raw import (
    GLOBAL,
    OperationKey,
    RawError,
    RawOk,
    read_raw_snapshot,
    write_raw_snapshot,
)
from ssmreach.model.reader import parse_snapshot


def body(raw_file: Any) -> Any:
    assert isinstance(raw_file, RawOk), raw_file
    return json.loads(raw_file.body)


def key(service: str, operation: str, region: str = REGION, account: str = ACCOUNT) -> OperationKey:
    return OperationKey(account, region, service, operation)


def use_table(monkeypatch: pytest.MonkeyPatch, *calls: ApiCall) -> None:
    monkeypatch.setattr(calls_module, "CALLS", calls)


def _walk_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _walk_keys(v)}
    return set()


OTHER_ACCOUNT = "111111111111"
EXTRA_RESERVATIONS = 40


MOTO_UNSENT = frozenset({"DescribeAssociation", "DescribeDirectConnectGatewayAssociations"})
"""Call lists whose source moto does not implement (ListAssociations,
DescribeDirectConnectGateways), so never sent."""


@pytest.mark.usefixtures("moto")
def test_estate_is_collected_into_every_file_of_the_spec(tmp_path: Path) -> None:
    estate = build_estate(session_key=True)
    add_instances(EXTRA_RESERVATIONS)
    events: list[ProgressEvent] = []
    sent: list[tuple[str, str, str]] = []

    def record(model: Any, context: Any, **_: Any) -> None:
        sent.append(
            (model.service_model.service_name, model.name, context.get("client_region", ""))
        )

    result = collect_snapshot(
        [REGION],
        role_arns=[f"arn:aws:iam::{OTHER_ACCOUNT}:role/ssmreach-read"],
        max_workers=4,
        progress=events.append,
        session_factory=session_factory({"before-call": record}),
    )
    files = result.raw.files

    # Every table operation has a file, for each account: regional under the Region,
    # global once per account. moto has no ssm:ListAssociations (NotImplementedError), so
    # its call list DescribeAssociation has no source and is not written.
    expected = {
        key(c.service, c.operation, account=a)
        for c in calls_for("regional")
        for a in (ACCOUNT, OTHER_ACCOUNT)
        if c.operation not in MOTO_UNSENT
    } | {
        key(c.service, c.operation, GLOBAL, a)
        for c in calls_for("global")
        for a in (ACCOUNT, OTHER_ACCOUNT)
        if c.operation not in MOTO_UNSENT
    }
    assert set(files) == expected
    assert result.raw.manifest.format == "ssmreach-snapshot/1"
    assert result.raw.manifest.partition == "aws"
    assert result.raw.manifest.accounts == (ACCOUNT, OTHER_ACCOUNT)
    assert result.raw.manifest.regions == (REGION,)
    assert result.raw.manifest.collector == {"name": "ssmreach", "version": __version__}
    assert result.raw.manifest.created and result.raw.manifest.created.endswith("Z")

    # Read-only: every operation sent is a read, all of the table, plus the two STS calls.
    assert all(is_read_only(service, op) for service, op, _ in sent), sorted(set(sent))
    operations = {(service, op) for service, op, _ in sent}
    assert operations - {(c.service, c.operation) for c in CALLS} == {
        ("sts", "GetCallerIdentity"),
        ("sts", "AssumeRole"),
    }
    # (no inbound Resolver endpoint here: test_collect_hybrid.py reads their addresses)
    unsent = MOTO_UNSENT | {"ListResolverEndpointIpAddresses"}
    assert {(c.service, c.operation) for c in CALLS if c.operation not in unsent} <= operations
    assert len(sent) == result.stats.calls

    # Calls do not grow with instances: whole operations once (DescribeInstances is one page
    # of up to 1000 reservations), call lists once per VPC (two attributes), managed prefix
    # list, TGW route table or private zone (two calls), plus the DHMC setting and the
    # Session Manager document; then identity and AssumeRole.
    def calls_of(account: str) -> int:
        def items(operation: str, list_key: str, region: str = REGION) -> list[Any]:
            service = {"ListHostedZones": "route53"}.get(operation, "ec2")
            return list(body(files[key(service, operation, region, account)])[list_key])

        private = [
            z for z in items("ListHostedZones", "HostedZones", GLOBAL) if z["Config"]["PrivateZone"]
        ]
        return (
            sum(1 for c in CALLS if not c.is_call_list)
            + 2 * len(items("DescribeVpcs", "Vpcs"))
            + len(items("DescribeManagedPrefixLists", "PrefixLists"))
            + len(items("DescribeTransitGatewayRouteTables", "TransitGatewayRouteTables"))
            + 3  # the DHMC and activation-tier settings, the Session Manager document
            + (4 if account == ACCOUNT else 0)  # the session key (3 reads) and log bucket
            + 2 * len(private)
        )

    assert result.stats.calls == 2 + calls_of(ACCOUNT) + calls_of(OTHER_ACCOUNT)
    assert calls_of(ACCOUNT) < 60
    theirs = body(files[key("ec2", "DescribeVpcs", account=OTHER_ACCOUNT)])["Vpcs"]
    assert len(theirs) == 1 and theirs[0]["IsDefault"]  # moto keeps the accounts apart
    reservations = body(files[key("ec2", "DescribeInstances")])["Reservations"]
    assert len(reservations) == 1 + EXTRA_RESERVATIONS
    assert sum(len(r["Instances"]) for r in reservations) == 2 + EXTRA_RESERVATIONS

    # What moto lacks is recorded as the error it returns, and the run goes on.
    info = files[key("ssm", "DescribeInstanceInformation")]
    assert isinstance(info, RawError) and info.code == "NotImplementedError"
    setting, tier = body(files[key("ssm", "GetServiceSetting")])
    assert setting["Request"] == {
        "SettingId": "/ssm/managed-instance/default-ec2-instance-management-role"
    }
    assert tier["Request"] == {"SettingId": "/ssm/managed-instance/activation-tier"}
    assert setting["Error"]["Code"] == tier["Error"]["Code"] == "NotImplementedError"
    [document] = body(files[key("ssm", "GetDocument", account=OTHER_ACCOUNT)])
    assert document == {
        "Request": {"Name": "SSM-SessionManagerRunShell"},
        "Error": {"Code": "InvalidDocument", "Message": "The specified document does not exist."},
    }
    [document] = body(files[key("ssm", "GetDocument")])
    assert "alias/sessions" in document["Response"]["Content"]
    [described] = body(files[key("kms", "DescribeKey")])
    assert described["Request"] == {"KeyId": "alias/sessions"}
    assert described["Response"]["KeyMetadata"]["Arn"] == estate.session_key
    [key_policy] = body(files[key("kms", "GetKeyPolicy")])
    assert key_policy["Request"] == {"KeyId": estate.session_key, "PolicyName": "default"}
    assert "kms:*" in key_policy["Response"]["Policy"]
    [grants] = body(files[key("kms", "ListGrants")])
    assert grants["Response"]["Grants"][0]["Operations"] == ["Decrypt"]
    assert body(files[key("kms", "DescribeKey", account=OTHER_ACCOUNT)]) == []
    [location] = body(files[key("s3", "GetBucketLocation")])
    assert location["Request"] == {"Bucket": "ssm-session-logs"}
    assert location["Response"]["LocationConstraint"] == "eu-west-1"
    assert result.stats.failed == (
        "directconnect:DescribeDirectConnectGateways",  # not in moto
        "ssm:DescribeActivations",  # not in moto
        "ssm:DescribeInstanceInformation",
        "ssm:GetServiceSetting",
        "ssm:ListAssociations",  # not in moto
    )
    assert result.stats.denied == () and result.stats.throttled == ()

    # Whole-account files: merged, without paging tokens or metadata, timestamps as strings.
    for file_key, raw_file in files.items():
        if isinstance(raw_file, RawOk):
            keys = _walk_keys(body(raw_file))
            assert not keys & {"ResponseMetadata", "NextToken", "Marker", "IsTruncated"}, file_key
    reservations = body(files[key("ec2", "DescribeInstances")])["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    assert set(estate.instances) < {i["InstanceId"] for i in instances}
    assert all(isinstance(i["LaunchTime"], str) and "T" in i["LaunchTime"] for i in instances)
    assert instances[0]["IamInstanceProfile"]["Arn"].endswith(":instance-profile/app")
    endpoints = body(files[key("ec2", "DescribeVpcEndpoints")])["VpcEndpoints"]
    assert {e["VpcEndpointId"] for e in endpoints} == set(estate.endpoints)
    acls = body(files[key("ec2", "DescribeNetworkAcls")])["NetworkAcls"]
    assert estate.nacl in {a["NetworkAclId"] for a in acls}
    services = body(files[key("ec2", "DescribeVpcEndpointServices")])
    assert f"com.amazonaws.{REGION}.ssm" in services["ServiceNames"]
    assert len(services["ServiceDetails"]) == len(services["ServiceNames"])

    # Call lists.
    attributes = body(files[key("ec2", "DescribeVpcAttribute")])
    vpcs = {v["VpcId"] for v in body(files[key("ec2", "DescribeVpcs")])["Vpcs"]}
    assert len(attributes) == 2 * len(vpcs)
    ours = {
        a["Request"]["Attribute"]: a["Response"]
        for a in attributes
        if a["Request"]["VpcId"] == estate.vpc
    }
    assert ours["enableDnsHostnames"]["EnableDnsHostnames"] == {"Value": True}
    assert ours["enableDnsSupport"]["EnableDnsSupport"] == {"Value": True}
    entries = body(files[key("ec2", "GetManagedPrefixListEntries")])
    by_list = {e["Request"]["PrefixListId"]: e["Response"]["Entries"] for e in entries}
    assert by_list[estate.prefix_list] == [{"Cidr": "192.168.0.0/16"}]
    searches = body(files[key("ec2", "SearchTransitGatewayRoutes")])
    assert estate.tgw_route_table in {s["Request"]["TransitGatewayRouteTableId"] for s in searches}
    assert all(s["Request"]["Filters"][0]["Values"] == ["active", "blackhole"] for s in searches)
    assert all(s["Response"]["Routes"] == [] for s in searches)

    # Resolver.
    rules = body(files[key("route53resolver", "ListResolverRules")])["ResolverRules"]
    assert estate.resolver_rule in {r["Id"] for r in rules}
    associations = body(files[key("route53resolver", "ListResolverRuleAssociations")])
    assert [
        (a["ResolverRuleId"], a["VPCId"]) for a in associations["ResolverRuleAssociations"]
    ] == [(estate.resolver_rule, estate.vpc)]

    # Global: Route 53 private zones only; IAM roles with just the policies they use.
    zones = body(files[key("route53", "ListHostedZones", GLOBAL)])["HostedZones"]
    assert {z["Id"] for z in zones} == {estate.private_zone, estate.public_zone}
    [zone] = body(files[key("route53", "GetHostedZone", GLOBAL)])
    assert zone["Request"] == {"Id": estate.private_zone}
    assert zone["Response"]["VPCs"] == [{"VPCRegion": REGION, "VPCId": estate.vpc}]
    [records] = body(files[key("route53", "ListResourceRecordSets", GLOBAL)])
    assert records["Request"] == {"HostedZoneId": estate.private_zone}
    assert {r["Type"] for r in records["Response"]["ResourceRecordSets"]} >= {"SOA", "NS"}
    iam = body(files[key("iam", "GetAccountAuthorizationDetails", GLOBAL)])
    [role] = [r for r in iam["RoleDetailList"] if r["RoleName"] == "app"]
    assert [p["InstanceProfileName"] for p in role["InstanceProfileList"]] == ["app"]
    assert role["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "kms:Decrypt"
    policies = {p["Arn"]: p for p in iam["Policies"]}
    assert set(policies) == {estate.local_policy}  # not the unused one
    assert [v["VersionId"] for v in policies[estate.local_policy]["PolicyVersionList"]] == ["v2"]
    assert iam["UserDetailList"] == [] and iam["GroupDetailList"] == []

    # Progress: a start with the total, then one event per operation.
    assert events[0].kind == "start" and events[0].total == 2 * len(CALLS)
    assert len([e for e in events if e.kind == "operation"]) == 2 * len(CALLS)

    # Written and read back, it parses with the one reader and keeps its bytes.
    folder = tmp_path / "snap"
    write_raw_snapshot(result.raw, folder)
    assert (folder / ACCOUNT / REGION / "ec2" / "DescribeVpcs.json").is_file()
    assert (folder / ACCOUNT / REGION / "ssm" / "DescribeInstanceInformation.error.json").is_file()
    assert (folder / ACCOUNT / "global" / "iam" / "GetAccountAuthorizationDetails.json").is_file()
    back = read_raw_snapshot(folder)
    assert back.files == result.raw.files
    estate_model = parse_snapshot(back)
    region_data = estate_model.regions[(ACCOUNT, REGION)]
    assert set(estate.instances) <= {i.instance_id for i in region_data.instances}
    assert region_data.resolver_rules_by_vpc[estate.vpc][0].id == estate.resolver_rule
    assert "DescribeInstanceInformation" in region_data.gaps
    session_key = region_data.kms_key("alias/sessions")
    assert not isinstance(session_key, Gap) and session_key.arn == estate.session_key
    assert isinstance(session_key.policy, str) and not isinstance(session_key.grants, Gap)


@pytest.mark.usefixtures("moto")
def test_pages_are_merged(monkeypatch: pytest.MonkeyPatch) -> None:
    add_instances(13, per_reservation=2)  # 13 reservations, 26 instances: 3 pages of 5
    described = next(c for c in CALLS if c.operation == "DescribeInstances")
    use_table(monkeypatch, replace(described, page_size=5))
    sent: list[str] = []
    factory = session_factory(
        {"before-call.ec2.DescribeInstances": lambda **kw: sent.append(kw["model"].name)}
    )
    result = collect_snapshot([REGION], session_factory=factory)
    merged = body(result.raw.files[key("ec2", "DescribeInstances")])
    assert list(merged) == ["Reservations"]
    assert len(merged["Reservations"]) == 13
    assert sum(len(r["Instances"]) for r in merged["Reservations"]) == 26
    assert len(sent) == 3
    assert result.stats.calls == 1 + 3  # GetCallerIdentity, then the pages


@pytest.mark.usefixtures("moto")
def test_denied_throttled_and_failed_operations_are_recorded_and_the_run_goes_on() -> None:
    build_estate(tgw=False)
    factory = session_factory(
        {
            "before-call.ec2.DescribeNetworkAcls": error_answer(
                "UnauthorizedOperation", "You are not authorized to perform this operation."
            ),
            "before-call.ec2.DescribeVpcs": error_answer("UnauthorizedOperation", "no"),
            "before-call.ec2.DescribeSubnets": error_answer(
                "RequestLimitExceeded", "Request limit exceeded."
            ),
            "before-call.ssm.GetDocument": error_answer("AccessDeniedException", "not allowed"),
        }
    )
    result = collect_snapshot([REGION], session_factory=factory)
    files = result.raw.files
    acl = files[key("ec2", "DescribeNetworkAcls")]
    assert acl == RawError(
        "UnauthorizedOperation", "You are not authorized to perform this operation."
    )
    assert isinstance(files[key("ec2", "DescribeVpcs")], RawError)
    assert key("ec2", "DescribeVpcAttribute") not in files  # its source failed
    assert isinstance(files[key("ec2", "DescribeSubnets")], RawError)
    [document] = body(files[key("ssm", "GetDocument")])
    assert document["Error"] == {"Code": "AccessDeniedException", "Message": "not allowed"}
    assert isinstance(files[key("ec2", "DescribeRouteTables")], RawOk)
    assert isinstance(files[key("iam", "GetAccountAuthorizationDetails", GLOBAL)], RawOk)
    assert result.stats.denied == ("ec2:DescribeNetworkAcls", "ec2:DescribeVpcs", "ssm:GetDocument")
    assert result.stats.throttled == ("ec2:DescribeSubnets",)
    assert "ssm:DescribeInstanceInformation" in result.stats.failed


REGIONS_ANSWER = {
    "Regions": [
        {
            "RegionName": "af-south-1",
            "Endpoint": "ec2.af-south-1.amazonaws.com",
            "OptInStatus": "opted-in",
        },
        {
            "RegionName": "ap-east-1",
            "Endpoint": "ec2.ap-east-1.amazonaws.com",
            "OptInStatus": "not-opted-in",
        },
        {
            "RegionName": REGION,
            "Endpoint": f"ec2.{REGION}.amazonaws.com",
            "OptInStatus": "opt-in-not-required",
        },
    ],
    "ResponseMetadata": {},
}


@pytest.mark.usefixtures("moto")
def test_region_all_reads_every_enabled_region(monkeypatch: pytest.MonkeyPatch) -> None:
    use_table(monkeypatch, next(c for c in CALLS if c.operation == "DescribeVpcs"))
    requests: list[dict[str, Any]] = []

    def regions_answer(params: dict[str, Any], **_: Any) -> tuple[FakeHttp, dict[str, Any]]:
        requests.append(dict(params["body"]))
        return FakeHttp(200), copy.deepcopy(REGIONS_ANSWER)

    factory = session_factory({"before-call.ec2.DescribeRegions": regions_answer})
    result = collect_snapshot([f"{REGION},all"], max_workers=8, session_factory=factory)
    assert result.raw.manifest.regions == ("af-south-1", REGION)  # not the not-opted-in one
    assert {k.region for k in result.raw.files} == {"af-south-1", REGION}
    assert [r["AllRegions"] for r in requests] == ["false"]
    assert result.stats.calls == 2 + 2  # identity, DescribeRegions, one call per Region


@pytest.mark.usefixtures("moto")
def test_region_defaults_to_the_configured_one(monkeypatch: pytest.MonkeyPatch) -> None:
    use_table(monkeypatch, next(c for c in CALLS if c.operation == "DescribeVpcs"))
    assert collect_snapshot([]).raw.manifest.regions == (REGION,)  # AWS_DEFAULT_REGION
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # wins, as in the AWS CLI v2
    assert collect_snapshot([]).raw.manifest.regions == ("eu-west-1",)
