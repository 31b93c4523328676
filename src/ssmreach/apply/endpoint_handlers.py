"""The endpoint handlers: interface and gateway endpoints, what they are given afterwards
(private DNS, security groups, route tables, a policy), and the private hosted zones
that resolve a service's name to an endpoint in another VPC.

An endpoint is waited for until it is available; one that fails or does not become
available in time is deleted again. A new private zone gets the zone-apex alias record
to the endpoint's regional DNS name; an existing zone of the name that serves some of
the VPCs is completed instead (the other VPCs associated, the record added when it has
none). Route 53 has no dry-run flag: in dry-run mode its calls are not sent.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from ssmreach.apply.context import MANAGED_TAG, PLAN_TAG, Context, Outcome, dry_run_call
from ssmreach.plan import changes as c

__all__ = [
    "endpoint_policy",
    "endpoint_private_dns",
    "endpoint_security_groups",
    "gateway_endpoint",
    "gateway_route_tables",
    "interface_endpoint",
    "private_zone",
    "zone_association",
]


def _live_endpoints(ec2: Any, **filters: str) -> list[dict[str, Any]]:
    answer = ec2.describe_vpc_endpoints(
        Filters=[{"Name": k, "Values": [v]} for k, v in filters.items()]
    )
    return [
        ep
        for ep in answer.get("VpcEndpoints", [])
        if str(ep.get("State", "")).lower() not in ("deleted", "deleting", "failed", "rejected")
    ]


def _endpoint(ec2: Any, endpoint_id: str) -> dict[str, Any]:
    found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id]).get("VpcEndpoints", [])
    if not found:
        raise LookupError(f"{endpoint_id} does not exist")
    return dict(found[0])


def _wait_available(ctx: Context, ec2: Any, endpoint_id: str) -> None:
    deadline = time.monotonic() + ctx.timeout
    while True:
        state = str(_endpoint(ec2, endpoint_id).get("State", "")).lower()
        if state == "available":
            return
        if state in ("failed", "rejected", "deleted", "deleting", "expired"):
            raise RuntimeError(f"{endpoint_id} became {state}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{endpoint_id} is still {state} after {ctx.timeout:.0f} s")
        time.sleep(ctx.poll)


def _create_endpoint(ctx: Context, ec2: Any, args: dict[str, Any], policy: str | None) -> Outcome:
    """Create an endpoint and wait until it is available; one that never gets there (or a
    wait that is interrupted) is deleted again before the error goes on."""
    if policy:
        args["PolicyDocument"] = policy
    if ctx.dry_run:
        return dry_run_call(ec2.create_vpc_endpoint, **args)
    endpoint_id = ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"]

    def undo() -> None:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])

    try:
        _wait_available(ctx, ec2, endpoint_id)
    except (TimeoutError, RuntimeError) as exc:
        undo()
        raise RuntimeError(f"{exc} (deleted again)") from exc
    except BaseException:  # interrupted, or any other failure while waiting
        undo()
        raise
    return Outcome(endpoint_id, True, undo=undo, undo_what=f"delete endpoint {endpoint_id}")


def interface_endpoint(ctx: Context, ch: c.CreateInterfaceEndpoint) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    existing = _live_endpoints(ec2, **{"vpc-id": ch.vpc_id or "", "service-name": ch.service_name})
    existing = [e for e in existing if str(e.get("VpcEndpointType", "")).lower() == "interface"]
    if existing:
        return Outcome(existing[0]["VpcEndpointId"], False, "exists")
    try:
        groups = [ctx.real(g) for g in ch.security_group_ids]
    except LookupError:
        if ctx.dry_run:
            return Outcome(
                None, False, "dry run: the endpoint group is created earlier in the plan"
            )
        raise
    args: dict[str, Any] = {
        "VpcEndpointType": "Interface",
        "VpcId": ch.vpc_id,
        "ServiceName": ch.service_name,
        "SubnetIds": list(ch.subnet_ids),
        "SecurityGroupIds": groups,
        "PrivateDnsEnabled": ch.private_dns,
        "ClientToken": ctx.token(ch),
        "TagSpecifications": ctx.tags("vpc-endpoint", f"ssmreach-{ch.service}"),
    }
    if ch.ip_address_type:
        args["IpAddressType"] = ch.ip_address_type
    if ch.dns_record_ip_type:
        args["DnsOptions"] = {"DnsRecordIpType": ch.dns_record_ip_type}
    return _create_endpoint(ctx, ec2, args, ch.policy)


def _modify(ctx: Context, region: str, endpoint_id: str, **args: Any) -> Outcome | None:
    ec2 = ctx.clients("ec2", region)
    if ctx.dry_run:
        return dry_run_call(ec2.modify_vpc_endpoint, VpcEndpointId=endpoint_id, **args)
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **args)
    return None


def endpoint_private_dns(ctx: Context, ch: c.ModifyEndpointPrivateDns) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    if bool(_endpoint(ec2, ch.endpoint_id).get("PrivateDnsEnabled")) == ch.enabled:
        return Outcome(ch.endpoint_id, False, "private DNS is already on")
    dry = _modify(ctx, ch.region, ch.endpoint_id, PrivateDnsEnabled=ch.enabled)
    if dry is not None:
        return dry

    def undo() -> None:
        ec2.modify_vpc_endpoint(VpcEndpointId=ch.endpoint_id, PrivateDnsEnabled=not ch.enabled)

    return Outcome(
        ch.endpoint_id, True, undo=undo, undo_what=f"turn private DNS back off on {ch.endpoint_id}"
    )


def endpoint_security_groups(ctx: Context, ch: c.ModifyEndpointSecurityGroups) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    try:
        wanted = [ctx.real(g) for g in ch.add_group_ids]
    except LookupError:
        if ctx.dry_run:
            return Outcome(None, False, "dry run: the group is created earlier in the plan")
        raise
    have = {g["GroupId"] for g in _endpoint(ec2, ch.endpoint_id).get("Groups", [])}
    return _add_members(
        ctx,
        ec2,
        ch.region,
        ch.endpoint_id,
        wanted,
        have,
        "SecurityGroupIds",
        "the groups are attached",
    )


def gateway_endpoint(ctx: Context, ch: c.CreateGatewayEndpoint) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    existing = _live_endpoints(ec2, **{"vpc-id": ch.vpc_id or "", "service-name": ch.service_name})
    existing = [
        e for e in existing if str(e.get("VpcEndpointType", "Gateway")).lower() == "gateway"
    ]
    if existing:
        return Outcome(existing[0]["VpcEndpointId"], False, "exists")
    args: dict[str, Any] = {
        "VpcEndpointType": "Gateway",
        "VpcId": ch.vpc_id,
        "ServiceName": ch.service_name,
        "RouteTableIds": list(ch.route_table_ids),
        "ClientToken": ctx.token(ch),
        "TagSpecifications": ctx.tags("vpc-endpoint", "ssmreach-s3"),
    }
    return _create_endpoint(ctx, ec2, args, ch.policy)


def _add_members(
    ctx: Context,
    ec2: Any,
    region: str,
    endpoint_id: str,
    wanted: Sequence[str],
    have: set[str],
    kind: str,
    already: str,
) -> Outcome:
    """Add the missing security groups or route tables (`kind`) to an endpoint; undo removes them."""
    missing = [m for m in wanted if m not in have]
    if not missing:
        return Outcome(endpoint_id, False, already)
    dry = _modify(ctx, region, endpoint_id, **{f"Add{kind}": missing})
    if dry is not None:
        return dry

    def undo() -> None:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **{f"Remove{kind}": missing})

    return Outcome(
        endpoint_id, True, undo=undo, undo_what=f"remove {', '.join(missing)} from {endpoint_id}"
    )


def gateway_route_tables(ctx: Context, ch: c.AssociateGatewayRouteTables) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    have = set(_endpoint(ec2, ch.endpoint_id).get("RouteTableIds", []))
    return _add_members(
        ctx,
        ec2,
        ch.region,
        ch.endpoint_id,
        ch.route_table_ids,
        have,
        "RouteTableIds",
        "the route tables are associated",
    )


def endpoint_policy(ctx: Context, ch: c.SetEndpointPolicy) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    current = _endpoint(ec2, ch.endpoint_id).get("PolicyDocument")
    try:
        same = current is not None and json.loads(current) == json.loads(ch.policy)
    except ValueError:
        same = False
    if same:
        return Outcome(ch.endpoint_id, False, "the policy is already set")
    dry = _modify(ctx, ch.region, ch.endpoint_id, PolicyDocument=ch.policy)
    if dry is not None:
        return dry

    def undo() -> None:
        if current:
            ec2.modify_vpc_endpoint(VpcEndpointId=ch.endpoint_id, PolicyDocument=current)
        else:
            ec2.modify_vpc_endpoint(VpcEndpointId=ch.endpoint_id, ResetPolicy=True)

    return Outcome(
        ch.endpoint_id, True, undo=undo, undo_what=f"restore the policy of {ch.endpoint_id}"
    )


def _alias_record(ec2: Any, endpoint_id: str, name: str) -> dict[str, Any]:
    """The zone-apex alias record to the endpoint's regional DNS name."""
    endpoint = _endpoint(ec2, endpoint_id)
    entries = [
        e for e in endpoint.get("DnsEntries", []) if e.get("DnsName") and e.get("HostedZoneId")
    ]
    if not entries:
        raise RuntimeError(f"{endpoint_id} has no DNS name to alias")
    # the regional name (vpce-…-….<service>.<region>.vpce.amazonaws.com) is the shortest of the
    # endpoint's own names; zonal names add the AZ, the private name has no endpoint id
    own = [e for e in entries if endpoint_id in e["DnsName"]] or entries
    entry = min(own, key=lambda e: len(e["DnsName"]))
    return {
        "Name": name,
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": entry["HostedZoneId"],
            "DNSName": entry["DnsName"],
            "EvaluateTargetHealth": False,
        },
    }


def _private_zones(r53: Any, name: str) -> list[tuple[str, set[str]]]:
    """The private zones named `name`: (zone id, associated VPC ids)."""
    found: list[tuple[str, set[str]]] = []
    for zone in r53.list_hosted_zones_by_name(DNSName=name).get("HostedZones", []):
        if zone["Name"] != name or not zone.get("Config", {}).get("PrivateZone"):
            continue
        zone_id = zone["Id"].rsplit("/", 1)[-1]
        vpcs = r53.get_hosted_zone(Id=zone_id).get("VPCs", [])
        found.append((zone_id, {v["VPCId"] for v in vpcs if v.get("VPCId")}))
    return found


def _complete_zone(
    ctx: Context, r53: Any, ch: c.CreatePrivateHostedZone, zone_id: str, have: set[str]
) -> Outcome:
    """An existing zone for the name that serves some of the VPCs: associate the others and
    add the alias record when the zone has no A or CNAME record for its apex."""
    name = ch.zone_name.rstrip(".") + "."
    missing = [v for v in ch.vpc_ids if v not in have]
    records = r53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=name, StartRecordType="A", MaxItems="2"
    ).get("ResourceRecordSets", [])
    has_record = any(r["Name"] == name and r["Type"] in ("A", "CNAME") for r in records)
    if not missing and has_record:
        return Outcome(zone_id, False, "exists")
    record = (
        None
        if has_record
        else _alias_record(ctx.clients("ec2", ch.region), ctx.real(ch.endpoint_id), name)
    )
    associated: list[str] = []

    def undo() -> None:
        if record is not None:
            with contextlib.suppress(ClientError):
                r53.change_resource_record_sets(
                    HostedZoneId=zone_id,
                    ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
                )
        for vpc in associated:
            r53.disassociate_vpc_from_hosted_zone(
                HostedZoneId=zone_id, VPC={"VPCRegion": ch.region, "VPCId": vpc}
            )

    try:
        for vpc in missing:
            r53.associate_vpc_with_hosted_zone(
                HostedZoneId=zone_id, VPC={"VPCRegion": ch.region, "VPCId": vpc}
            )
            associated.append(vpc)
        if record is not None:
            r53.change_resource_record_sets(
                HostedZoneId=zone_id,
                ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]},
            )
    except ClientError:
        undo()
        raise
    done = [f"associated {', '.join(associated)}"] if associated else []
    done += ["added the alias record"] if record is not None else []
    return Outcome(
        zone_id,
        True,
        f"exists; {' and '.join(done)}",
        undo,
        f"undo the changes to private hosted zone {zone_id}",
    )


def private_zone(ctx: Context, ch: c.CreatePrivateHostedZone) -> Outcome:
    r53 = ctx.clients("route53", ch.region)
    if ctx.dry_run:
        return Outcome(None, False, "dry run: Route 53 has no dry-run flag; not sent")
    name = ch.zone_name.rstrip(".") + "."
    vpcs = list(ch.vpc_ids)
    # A zone of this name that serves one of the VPCs is the one to complete (a VPC takes only
    # one private zone per name); same-name zones of other VPCs are someone else's.
    for zone_id, have in _private_zones(r53, name):
        if have & set(vpcs):
            return _complete_zone(ctx, r53, ch, zone_id, have)
    record = _alias_record(ctx.clients("ec2", ch.region), ctx.real(ch.endpoint_id), name)
    # Route 53 refuses a CallerReference used before, even for a zone deleted since (a run
    # rolled back): unique per attempt, the plan and change kept in front for tracing
    reference = f"{ctx.token(ch)[:40]}-{time.time_ns()}"
    created = r53.create_hosted_zone(
        Name=name,
        CallerReference=reference,
        VPC={"VPCRegion": ch.region, "VPCId": vpcs[0]},
        HostedZoneConfig={"Comment": f"ssmreach {ctx.plan_id}: {ch.service}", "PrivateZone": True},
    )
    zone_id = created["HostedZone"]["Id"].rsplit("/", 1)[-1]
    associated = [vpcs[0]]

    def undo() -> None:
        with contextlib.suppress(ClientError):
            r53.change_resource_record_sets(
                HostedZoneId=zone_id,
                ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
            )
        for vpc in associated[1:]:
            r53.disassociate_vpc_from_hosted_zone(
                HostedZoneId=zone_id, VPC={"VPCRegion": ch.region, "VPCId": vpc}
            )
        r53.delete_hosted_zone(Id=zone_id)

    try:
        r53.change_tags_for_resource(
            ResourceType="hostedzone",
            ResourceId=zone_id,
            AddTags=[
                {"Key": MANAGED_TAG, "Value": "true"},
                {"Key": PLAN_TAG, "Value": ctx.plan_id},
            ],
        )
        for vpc in vpcs[1:]:
            r53.associate_vpc_with_hosted_zone(
                HostedZoneId=zone_id, VPC={"VPCRegion": ch.region, "VPCId": vpc}
            )
            associated.append(vpc)
        r53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]},
        )
    except ClientError:
        undo()
        raise
    return Outcome(zone_id, True, undo=undo, undo_what=f"delete private hosted zone {zone_id}")


def zone_association(ctx: Context, ch: c.AssociateHostedZone) -> Outcome:
    r53 = ctx.clients("route53", ch.region)
    if ctx.dry_run:
        return Outcome(None, False, "dry run: Route 53 has no dry-run flag; not sent")
    zone = r53.get_hosted_zone(Id=ch.zone_id)
    if any(v.get("VPCId") == ch.vpc_id for v in zone.get("VPCs", [])):
        return Outcome(ch.zone_id, False, "already associated")
    vpc = {"VPCRegion": ch.region, "VPCId": ch.vpc_id}
    r53.associate_vpc_with_hosted_zone(HostedZoneId=ch.zone_id, VPC=vpc)

    def undo() -> None:
        r53.disassociate_vpc_from_hosted_zone(HostedZoneId=ch.zone_id, VPC=vpc)

    return Outcome(
        ch.zone_id, True, undo=undo, undo_what=f"disassociate {ch.vpc_id} from {ch.zone_id}"
    )
