"""apply of the hub-and-spoke design against moto in server mode.

A hub VPC without instances and two spoke VPCs with one instance each, peered with
the hub (one spoke already routes to the hub both ways, the other has no routes),
no endpoints and no internet path: the plan puts the interface endpoints in the
hub with private DNS off, one private hosted zone per service name associated with
the spokes, the missing routes both ways, and an S3 gateway endpoint per spoke
(gateway endpoints do not cross peering). A run that fails on the second zone is
rolled back and the same plan then goes through; a third spoke joins through
AssociateHostedZone; carrying the plans out again changes nothing.

moto adaptations, all on this side (shared/reference/moto-coverage.md):
- those of `apply_helpers`: `DescribeInstanceInformation` answered by a hook,
  endpoint ENI addresses moved into their subnets;
- AWS-managed IAM policies loaded (`MOTO_IAM_LOAD_MANAGED_POLICIES`, read when moto
  rebuilds IAM after the reset) so the role can attach AmazonSSMManagedInstanceCore;
- Route 53 refusing a CallerReference it has seen before (moto accepts it);
- for speed, GetAccountAuthorizationDetails and DescribeVpcEndpointServices answered
  from the first answer (neither changes during the test).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from apply.apply_helpers import REGION, _Http, server, session_factory
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.analysis.verdict import CheckResult, Verdict
from ssmreach.apply import ApplyOptions, apply_plan, client_factory, state_reader
from ssmreach.apply.handlers import Context, run_change
from ssmreach.model.estate import Estate
from ssmreach.plan import Plan, PlanOptions, make_plan
from ssmreach.plan import changes as c

if TYPE_CHECKING:  # boto3-stubs: types only
    from mypy_boto3_route53.type_defs import VPCTypeDef

__all__ = ["server"]  # the module-scoped moto server fixture

CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"

_CACHE: dict[str, Any] = {}


def _cached(params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
    key = context["ssmreach-test-key"] = f"{params.get('url_path')} {params.get('body')}"
    found = _CACHE.get(key)
    return (_Http(), copy.deepcopy(found)) if found is not None else None


def _keep(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if "Error" not in parsed:
        _CACHE.setdefault(context["ssmreach-test-key"], copy.deepcopy(parsed))


CACHED: dict[str, Callable[..., Any]] = {
    # speed only: with the 1,485 AWS-managed policies loaded moto takes ~3 s to answer
    # GetAccountAuthorizationDetails, and nothing in IAM changes once the estate is built
    "before-call.iam.GetAccountAuthorizationDetails": _cached,
    "after-call.iam.GetAccountAuthorizationDetails": _keep,
    # the endpoint-service catalogue never changes (moto takes ~1 s for it); replaces the
    # hooks of `apply_helpers`, whose after-call handler asks for `params`, which botocore
    # does not pass to after-call handlers
    "before-call.ec2.DescribeVpcEndpointServices": _cached,
    "after-call.ec2.DescribeVpcEndpointServices": _keep,
}


@pytest.fixture
def aws(server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[str]:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # the server runs in this process: moto reads this when it rebuilds IAM after the reset
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    _CACHE.clear()
    requests.post(f"{server}/moto-api/reset", timeout=10)
    yield server
    monkeypatch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES")
    requests.post(f"{server}/moto-api/reset", timeout=10)  # others get no managed policies


def _profile(iam: Any) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="ssm-core", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="ssm-core", PolicyArn=CORE)
    iam.create_instance_profile(InstanceProfileName="ssm-core")
    iam.add_role_to_instance_profile(InstanceProfileName="ssm-core", RoleName="ssm-core")
    return "ssm-core"


def _vpc(ec2: Any, ids: dict[str, str], name: str, cidr: str) -> None:
    ids[name] = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ids[f"{name}-rtb"] = ec2.create_route_table(VpcId=ids[name])["RouteTable"]["RouteTableId"]


def _subnet(ec2: Any, ids: dict[str, str], name: str, vpc: str, cidr: str, az: str) -> str:
    ids[name] = ec2.create_subnet(VpcId=ids[vpc], CidrBlock=cidr, AvailabilityZone=f"{REGION}{az}")[
        "Subnet"
    ]["SubnetId"]
    ec2.associate_route_table(RouteTableId=ids[f"{vpc}-rtb"], SubnetId=ids[name])
    return ids[name]


def add_spoke(ids: dict[str, str], name: str, prefix: str, az: str) -> None:
    """A spoke VPC `prefix`.0.0/16 with one instance (AmazonSSMManagedInstanceCore), peered
    with the hub (active), without routes to it."""
    ec2 = boto3.client("ec2", region_name=REGION)
    _vpc(ec2, ids, name, f"{prefix}.0.0/16")
    app = _subnet(ec2, ids, f"{name}-app", name, f"{prefix}.1.0/24", az)
    group = ec2.create_security_group(GroupName="app", Description="app", VpcId=ids[name])
    ids[f"{name}-sg"] = group["GroupId"]
    ids[f"{name}-i"] = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=app,
        SecurityGroupIds=[ids[f"{name}-sg"]],
        IamInstanceProfile={"Name": "ssm-core"},
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
    )["Instances"][0]["InstanceId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=ids[name], PeerVpcId=ids["hub"])
    ids[f"{name}-pcx"] = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=ids[f"{name}-pcx"])


def hub_estate() -> dict[str, str]:
    """hub 10.10/16 (subnets in a and b, no instances); spoke a 10.20/16 (AZ a) routed to the
    hub both ways through its peering connection; spoke b 10.30/16 (AZ b) peered, no routes."""
    ec2 = boto3.client("ec2", region_name=REGION)
    _profile(boto3.client("iam", region_name=REGION))
    ids: dict[str, str] = {}
    _vpc(ec2, ids, "hub", "10.10.0.0/16")
    _subnet(ec2, ids, "hub-a", "hub", "10.10.1.0/24", "a")
    _subnet(ec2, ids, "hub-b", "hub", "10.10.2.0/24", "b")
    add_spoke(ids, "spoke-a", "10.20", "a")
    add_spoke(ids, "spoke-b", "10.30", "b")
    for table, cidr in (("spoke-a-rtb", "10.10.0.0/16"), ("hub-rtb", "10.20.0.0/16")):
        ec2.create_route(
            RouteTableId=ids[table],
            DestinationCidrBlock=cidr,
            VpcPeeringConnectionId=ids["spoke-a-pcx"],
        )
    return ids


def route53_as_aws() -> dict[str, Callable[..., Any]]:
    """Route 53 refuses a CallerReference it has seen, even when that zone was deleted since;
    moto accepts it. Modelled here."""
    seen: set[str] = set()

    def create_hosted_zone(params: dict[str, Any], **_: Any) -> None:
        key = str(params["CallerReference"])
        if key in seen:
            raise ClientError(
                {"Error": {"Code": "HostedZoneAlreadyExists", "Message": key}}, "CreateHostedZone"
            )
        seen.add(key)

    return {"provide-client-params.route53.CreateHostedZone": create_hosted_zone}


def fail_nth(operation: str, n: int) -> dict[str, Callable[..., Any]]:
    """Inject an error on the `n`th call of `operation` (service.Operation)."""
    calls = {"n": 0}

    def hook(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == n:
            raise ClientError(
                {"Error": {"Code": "InternalError", "Message": "injected"}}, operation
            )

    return {f"before-call.{operation}": hook}


def read() -> Estate:
    return state_reader([REGION], session_factory=session_factory(CACHED))()


def plan_hub(hub: str) -> tuple[Plan, CheckResult]:
    from ssmreach.analysis.engine import CheckOptions, check_estate

    estate = read()
    result = check_estate(estate, CheckOptions(features=DEFAULT_FEATURES))
    return make_plan(estate, result, PlanOptions(hub=hub)), result


def apply(plan: Plan, extra: dict[str, Callable[..., Any]] | None = None, **options: Any) -> Any:
    factory = session_factory({**CACHED, **(extra or {})})
    return apply_plan(
        plan,
        state_reader([REGION], session_factory=factory),
        client_factory(session_factory=factory),
        ApplyOptions(poll=0.05, **options),
    )


def of(plan: Plan, kind: type[Any]) -> list[Any]:
    return [ch for ch in plan.changes if isinstance(ch, kind)]


def verdicts(result: CheckResult) -> dict[tuple[str, str], Verdict]:
    return {(r.instance, r.feature): r.verdict for r in result.results}


def live_endpoints(ec2: Any) -> dict[str, dict[str, Any]]:
    return {
        e["VpcEndpointId"]: e
        for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
        if e["State"].lower() != "deleted"
    }


def routes(ec2: Any) -> dict[str, dict[str, str | None]]:
    return {
        t["RouteTableId"]: {
            r["DestinationCidrBlock"]: r.get("VpcPeeringConnectionId")
            for r in t["Routes"]
            if "DestinationCidrBlock" in r
        }
        for t in ec2.describe_route_tables()["RouteTables"]
    }


def not_private(result: CheckResult) -> list[tuple[str, str, list[str]]]:
    return [
        (r.instance, r.feature, [x.code for x in r.reasons])
        for r in result.results
        if r.verdict is not Verdict.PRIVATE
    ]


def test_hub_and_spoke_apply_makes_the_spokes_private_and_runs_once(aws: str) -> None:
    ids = hub_estate()
    hub, spokes = ids["hub"], (ids["spoke-a"], ids["spoke-b"])
    ec2 = boto3.client("ec2", region_name=REGION)
    r53 = boto3.client("route53", region_name=REGION)
    as_aws = route53_as_aws()  # one history of CallerReferences for every run below

    plan, before = plan_hub(hub)
    assert {r.instance for r in before.results} == {ids["spoke-a-i"], ids["spoke-b-i"]}
    assert Verdict.PRIVATE not in set(verdicts(before).values())
    assert {r.verdict for r in before.results if r.feature == "core"} == {Verdict.BLOCKED}
    assert plan.design == "hub" and plan.hub_vpc == hub
    assert not plan.manual, plan.manual

    endpoints = of(plan, c.CreateInterfaceEndpoint)
    assert {e.service for e in endpoints} == {"ssm", "ssmmessages"}
    assert all(e.vpc_id == hub and not e.private_dns for e in endpoints)
    # one hub subnet per AZ of the spoke instances
    assert all(set(e.subnet_ids) == {ids["hub-a"], ids["hub-b"]} for e in endpoints)
    zones = of(plan, c.CreatePrivateHostedZone)
    assert {z.zone_name: set(z.vpc_ids) for z in zones} == {
        f"ssm.{REGION}.amazonaws.com": set(spokes),
        f"ssmmessages.{REGION}.amazonaws.com": set(spokes),
    }
    assert {(r.route_table_id, r.destination_cidr, r.target) for r in of(plan, c.CreateRoute)} == {
        (ids["spoke-b-rtb"], "10.10.0.0/16", ids["spoke-b-pcx"]),
        (ids["hub-rtb"], "10.30.0.0/16", ids["spoke-b-pcx"]),
    }
    # S3 does not cross a peering connection: a gateway endpoint in each spoke
    assert {(g.vpc_id, g.route_table_ids) for g in of(plan, c.CreateGatewayEndpoint)} == {
        (ids["spoke-a"], (ids["spoke-a-rtb"],)),
        (ids["spoke-b"], (ids["spoke-b-rtb"],)),
    }
    ingress = of(plan, c.AuthorizeIngress)
    assert [(i.vpc_id, i.cidrs) for i in ingress] == [(hub, ("10.20.1.0/24", "10.30.1.0/24"))]

    # the second zone's record fails: that zone is deleted again, and the run undoes the rest
    tables_before = routes(ec2)
    failing = apply(
        plan, {**as_aws, **fail_nth("route53.ChangeResourceRecordSets", 2)}, recheck=False
    )
    assert not failing.ok and failing.failed is not None
    assert (
        failing.failed.change_id == f"zone/ssmmessages.{REGION}.amazonaws.com"
        and "injected" in failing.failed.note
    )
    assert not failing.left, failing.left
    assert r53.list_hosted_zones()["HostedZones"] == []
    assert live_endpoints(ec2) == {}
    assert routes(ec2) == tables_before
    assert not ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["ssmreach-endpoints"]}]
    )["SecurityGroups"]

    # the same plan again, now through
    result = apply(plan, as_aws, recheck=False)
    assert result.ok, result.failed
    assert result.changed == len(plan.changes)

    live = live_endpoints(ec2)
    hub_endpoints = {
        e["ServiceName"].rsplit(".", 1)[-1]: e for e in live.values() if e["VpcId"] == hub
    }
    assert set(hub_endpoints) == {"ssm", "ssmmessages"}
    for endpoint in hub_endpoints.values():
        assert endpoint["PrivateDnsEnabled"] is False
        assert {"Key": "ssmreach:plan-id", "Value": plan.id} in endpoint["Tags"]
        assert {"Key": "ssmreach:managed", "Value": "true"} in endpoint["Tags"]
    zone_ids: dict[str, str] = {}
    for spoke in spokes:
        found = r53.list_hosted_zones_by_vpc(VPCId=spoke, VPCRegion=REGION)
        names = {z["Name"]: z["HostedZoneId"] for z in found["HostedZoneSummaries"]}
        assert set(names) == {
            f"ssm.{REGION}.amazonaws.com.",
            f"ssmmessages.{REGION}.amazonaws.com.",
        }
        zone_ids.update(names)
    assert len(r53.list_hosted_zones()["HostedZones"]) == 2
    by_service = {name.split(".", 1)[0]: zone_id for name, zone_id in zone_ids.items()}
    for service, zone_id in by_service.items():
        name = f"{service}.{REGION}.amazonaws.com."
        records = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        alias = [r for r in records if r["Type"] == "A" and r["Name"] == name]
        assert len(alias) == 1
        assert hub_endpoints[service]["VpcEndpointId"] in alias[0]["AliasTarget"]["DNSName"]
        tags = r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
        pairs = {t["Key"]: t["Value"] for t in tags["ResourceTagSet"]["Tags"]}
        assert pairs == {"ssmreach:managed": "true", "ssmreach:plan-id": plan.id}
        assert {v["VPCId"] for v in r53.get_hosted_zone(Id=zone_id)["VPCs"]} == set(spokes)
    tables = routes(ec2)
    assert tables[ids["spoke-b-rtb"]]["10.10.0.0/16"] == ids["spoke-b-pcx"]
    assert tables[ids["hub-rtb"]]["10.30.0.0/16"] == ids["spoke-b-pcx"]
    assert tables[ids["hub-rtb"]]["10.20.0.0/16"] == ids["spoke-a-pcx"]

    # a third spoke joins: the zones exist, so it is associated with them
    add_spoke(ids, "spoke-c", "10.40", "a")
    grow, check = plan_hub(hub)
    old = {r.verdict for r in check.results if r.vpc in spokes}
    assert old == {Verdict.PRIVATE}, not_private(check)
    assert {r.verdict for r in check.results if r.vpc == ids["spoke-c"]} != {Verdict.PRIVATE}
    assert not grow.manual, grow.manual
    assert {(z.zone_id, z.vpc_id) for z in of(grow, c.AssociateHostedZone)} == {
        (zone_id, ids["spoke-c"]) for zone_id in by_service.values()
    }
    assert {(r.route_table_id, r.destination_cidr, r.target) for r in of(grow, c.CreateRoute)} == {
        (ids["spoke-c-rtb"], "10.10.0.0/16", ids["spoke-c-pcx"]),
        (ids["hub-rtb"], "10.40.0.0/16", ids["spoke-c-pcx"]),
    }
    assert not of(grow, c.CreateInterfaceEndpoint) and not of(grow, c.CreatePrivateHostedZone)
    grown = apply(grow, as_aws, recheck=False)
    assert grown.ok, grown.failed
    assert grown.changed == len(grow.changes)

    # both plans carried out again change nothing (the handlers in plan order, without the
    # state reads of apply) ...
    live = live_endpoints(ec2)
    counts = (len(live), len(r53.list_hosted_zones()["HostedZones"]))
    clients = client_factory(session_factory=session_factory({**CACHED, **as_aws}))

    def rerun(again: Plan) -> list[str]:
        ctx = Context(plan_id=again.id, clients=clients)
        return [ch.id for ch in again.changes if run_change(ctx, ch).acted]

    assert rerun(plan) == [] and rerun(grow) == []
    assert (len(live_endpoints(ec2)), len(r53.list_hosted_zones()["HostedZones"])) == counts
    # ... except that a zone a spoke was taken out of is completed again
    ssm_zone = by_service["ssm"]
    spoke_b: VPCTypeDef = {"VPCRegion": REGION, "VPCId": ids["spoke-b"]}
    r53.disassociate_vpc_from_hosted_zone(HostedZoneId=ssm_zone, VPC=spoke_b)
    assert rerun(plan) == [f"zone/ssm.{REGION}.amazonaws.com"]
    vpcs = {v["VPCId"] for v in r53.get_hosted_zone(Id=ssm_zone)["VPCs"]}
    assert vpcs == {*spokes, ids["spoke-c"]}
    assert len(r53.list_hosted_zones()["HostedZones"]) == 2

    # every instance is PRIVATE for the default features and there is nothing left to plan
    final, after = plan_hub(hub)
    assert final.empty, [ch.summary for ch in final.changes]
    assert not_private(after) == []
    assert {r.vpc for r in after.results} == {*spokes, ids["spoke-c"]}

    # the spokes reach ssm and ssmmessages through the zones to the hub's endpoints, and S3
    # through their own gateway endpoint
    gateways = {e["VpcId"]: e["VpcEndpointId"] for e in live.values() if e["VpcId"] != hub}
    assert set(gateways) == {*spokes, ids["spoke-c"]}
    seen: set[str] = set()
    for r in after.results:
        for s in r.services:
            seen.add(s.service)
            if s.service == "s3":
                assert s.via == gateways[r.vpc or ""]
                continue
            assert s.via == hub_endpoints[s.service]["VpcEndpointId"]
            assert (s.hops[0].step, s.hops[0].resource) == ("dns", by_service[s.service])
            assert "peering" in {h.step for h in s.hops}
    assert seen == {"ssm", "ssmmessages", "s3"}
