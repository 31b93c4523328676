"""One handler per change kind: the boto3 write calls, each idempotent and undoable.

Every handler first looks for what it would create (a group with the same name, an
endpoint for the same service, a rule that already exists), so carrying out the same
plan twice changes nothing the second time. EC2 creation calls carry a `ClientToken`
derived from the plan id and the change id; a Route 53 `CallerReference` adds the time,
since Route 53 refuses one used before (even for a zone deleted since).
What a handler creates or adds is returned with an `undo` that removes exactly that,
so a failed run can roll back what *this* run did. In dry-run mode EC2 calls are sent
with `DryRun=True` (the answer `DryRunOperation` means "would succeed"); calls
without a dry-run flag (Route 53, ModifyVpcAttribute) are not sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ssmreach.model.route_targets import connection_kind
from ssmreach.plan import changes as c

__all__ = ["Context", "Outcome", "run_change"]

MANAGED_TAG = "ssmreach:managed"
PLAN_TAG = "ssmreach:plan-id"


@dataclass(slots=True)
class Outcome:
    """What one change did: the resource it names, whether it acted, and how to undo it."""

    resource: str | None
    acted: bool
    note: str = ""
    undo: Callable[[], None] | None = None
    undo_what: str = ""


@dataclass(slots=True)
class Context:
    plan_id: str
    clients: Callable[[str, str], Any]  # (service, region) -> boto3 client
    dry_run: bool = False
    timeout: float = 300.0
    poll: float = 2.0
    made: dict[str, str] = field(default_factory=dict)  # change id -> resource id
    # One per run: a ClientToken makes a retried call within this run safe; a later run
    # (after a rollback deleted what this one made) must not be handed the deleted
    # resource back. Across runs, the handlers look for what exists before creating.
    run: str = field(default_factory=lambda: secrets.token_hex(8))

    def token(self, change: c.Change) -> str:
        return hashlib.sha256(f"{self.plan_id}/{change.id}/{self.run}".encode()).hexdigest()[:64]

    def real(self, value: str) -> str:
        if not c.is_ref(value):
            return value
        target = c.ref_target(value)
        if target not in self.made:
            raise LookupError(f"{target} has not been carried out")
        return self.made[target]

    def tags(self, resource_type: str, name: str) -> list[dict[str, Any]]:
        return [
            {
                "ResourceType": resource_type,
                "Tags": [
                    {"Key": "Name", "Value": name},
                    {"Key": MANAGED_TAG, "Value": "true"},
                    {"Key": PLAN_TAG, "Value": self.plan_id},
                ],
            }
        ]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _dry(ctx: Context, call: Callable[..., Any], **kwargs: Any) -> Outcome:
    """Send an EC2 call with DryRun=True: DryRunOperation means it would succeed."""
    try:
        call(DryRun=True, **kwargs)
    except ClientError as exc:
        if _code(exc) == "DryRunOperation":
            return Outcome(None, False, "dry run: would succeed")
        raise
    return Outcome(None, False, "dry run: accepted")


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


# --- handlers --------------------------------------------------------------------------------


def _vpc_attribute(ctx: Context, ch: c.SetVpcAttribute) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    key = "EnableDnsSupport" if ch.attribute == "enableDnsSupport" else "EnableDnsHostnames"
    current = ec2.describe_vpc_attribute(VpcId=ch.vpc_id, Attribute=ch.attribute)
    if current.get(key, {}).get("Value") == ch.value:
        return Outcome(ch.vpc_id, False, f"{ch.attribute} is already {str(ch.value).lower()}")
    if ctx.dry_run:
        return Outcome(
            ch.vpc_id, False, "dry run: ModifyVpcAttribute has no dry-run flag; not sent"
        )
    ec2.modify_vpc_attribute(VpcId=ch.vpc_id, **{key: {"Value": ch.value}})

    def undo() -> None:
        ec2.modify_vpc_attribute(VpcId=ch.vpc_id, **{key: {"Value": not ch.value}})

    return Outcome(ch.vpc_id, True, undo=undo, undo_what=f"set {ch.attribute} back on {ch.vpc_id}")


def _security_group(ctx: Context, ch: c.CreateSecurityGroup) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    found = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [ch.vpc_id]},
            {"Name": "group-name", "Values": [ch.group_name]},
        ]
    ).get("SecurityGroups", [])
    if found:
        return Outcome(found[0]["GroupId"], False, "exists")
    args: dict[str, Any] = {
        "GroupName": ch.group_name,
        "Description": ch.description,
        "VpcId": ch.vpc_id,
        "TagSpecifications": ctx.tags("security-group", ch.group_name),
    }
    if ctx.dry_run:
        return _dry(ctx, ec2.create_security_group, **args)
    group_id = ec2.create_security_group(**args)["GroupId"]

    def undo() -> None:
        ec2.delete_security_group(GroupId=group_id)

    return Outcome(group_id, True, undo=undo, undo_what=f"delete security group {group_id}")


def _permission(port: int, **peers: Any) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    perm.update({k: v for k, v in peers.items() if v})
    return perm


def _rules(ctx: Context, ch: c.AuthorizeIngress | c.AuthorizeEgress) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    ingress = isinstance(ch, c.AuthorizeIngress)
    try:
        group = ctx.real(ch.group_id)
    except LookupError:
        if ctx.dry_run:
            return Outcome(None, False, "dry run: the group is created earlier in the plan")
        raise
    desc = ch.description
    perms: list[dict[str, Any]] = [
        _permission(ch.port, IpRanges=[{"CidrIp": x, "Description": desc}]) for x in ch.cidrs
    ]
    others = ch.source_group_ids if isinstance(ch, c.AuthorizeIngress) else ch.destination_group_ids
    for ref_value in others:
        try:
            other = ctx.real(ref_value)
        except LookupError:
            if ctx.dry_run:
                return Outcome(None, False, "dry run: a group is created earlier in the plan")
            raise
        perms.append(
            _permission(ch.port, UserIdGroupPairs=[{"GroupId": other, "Description": desc}])
        )
    if isinstance(ch, c.AuthorizeEgress):
        perms += [
            _permission(ch.port, PrefixListIds=[{"PrefixListId": p, "Description": desc}])
            for p in ch.prefix_list_ids
        ]
    call = ec2.authorize_security_group_ingress if ingress else ec2.authorize_security_group_egress
    revoke = ec2.revoke_security_group_ingress if ingress else ec2.revoke_security_group_egress
    if ctx.dry_run:
        return _dry(ctx, call, GroupId=group, IpPermissions=perms)
    added: list[str] = []
    for perm in perms:
        try:
            answer = call(GroupId=group, IpPermissions=[perm])
        except ClientError as exc:
            if _code(exc) == "InvalidPermission.Duplicate":
                continue
            raise
        added += [r["SecurityGroupRuleId"] for r in answer.get("SecurityGroupRules", [])]
    if not added:
        return Outcome(group, False, "the rules exist")

    def undo() -> None:
        revoke(GroupId=group, SecurityGroupRuleIds=added)

    return Outcome(
        group, True, f"{len(added)} rule(s)", undo, f"revoke {', '.join(added)} on {group}"
    )


def _interface_endpoint(ctx: Context, ch: c.CreateInterfaceEndpoint) -> Outcome:
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
    if ch.policy:
        args["PolicyDocument"] = ch.policy
    if ctx.dry_run:
        return _dry(ctx, ec2.create_vpc_endpoint, **args)
    endpoint_id = ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"]

    def undo() -> None:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])

    outcome = Outcome(endpoint_id, True, undo=undo, undo_what=f"delete endpoint {endpoint_id}")
    try:
        _wait_available(ctx, ec2, endpoint_id)
    except (TimeoutError, RuntimeError) as exc:
        undo()
        raise RuntimeError(f"{exc} (deleted again)") from exc
    except BaseException:  # interrupted or any other failure while waiting
        undo()
        raise
    return outcome


def _modify(ctx: Context, region: str, endpoint_id: str, **args: Any) -> Outcome | None:
    ec2 = ctx.clients("ec2", region)
    if ctx.dry_run:
        return _dry(ctx, ec2.modify_vpc_endpoint, VpcEndpointId=endpoint_id, **args)
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **args)
    return None


def _private_dns(ctx: Context, ch: c.ModifyEndpointPrivateDns) -> Outcome:
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


def _endpoint_groups(ctx: Context, ch: c.ModifyEndpointSecurityGroups) -> Outcome:
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


def _gateway(ctx: Context, ch: c.CreateGatewayEndpoint) -> Outcome:
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
    if ch.policy:
        args["PolicyDocument"] = ch.policy
    if ctx.dry_run:
        return _dry(ctx, ec2.create_vpc_endpoint, **args)
    endpoint_id = ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"]

    def undo() -> None:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])

    try:
        _wait_available(ctx, ec2, endpoint_id)
    except BaseException:  # a timeout, an interruption, any failure while waiting
        undo()
        raise
    return Outcome(endpoint_id, True, undo=undo, undo_what=f"delete endpoint {endpoint_id}")


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


def _gateway_tables(ctx: Context, ch: c.AssociateGatewayRouteTables) -> Outcome:
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


def _policy(ctx: Context, ch: c.SetEndpointPolicy) -> Outcome:
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


def _route(ctx: Context, ch: c.CreateRoute) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    key = (
        "VpcPeeringConnectionId" if connection_kind(ch.target) == "peering" else "TransitGatewayId"
    )
    tables = ec2.describe_route_tables(RouteTableIds=[ch.route_table_id]).get("RouteTables", [])
    for route in tables[0].get("Routes", []) if tables else []:
        if route.get("DestinationCidrBlock") == ch.destination_cidr:
            if route.get(key) == ch.target:
                return Outcome(ch.route_table_id, False, "the route exists")
            raise RuntimeError(
                f"{ch.route_table_id} already routes {ch.destination_cidr} elsewhere; not replaced"
            )
    args = {
        "RouteTableId": ch.route_table_id,
        "DestinationCidrBlock": ch.destination_cidr,
        key: ch.target,
    }
    if ctx.dry_run:
        return _dry(ctx, ec2.create_route, **args)
    ec2.create_route(**args)

    def undo() -> None:
        ec2.delete_route(RouteTableId=ch.route_table_id, DestinationCidrBlock=ch.destination_cidr)

    return Outcome(
        ch.route_table_id,
        True,
        undo=undo,
        undo_what=f"delete route {ch.destination_cidr} from {ch.route_table_id}",
    )


def _same_entry(entry: dict[str, Any], ch: c.AddNetworkAclEntry) -> bool:
    ports = entry.get("PortRange") or {}
    return (
        str(entry.get("Protocol")) in (ch.protocol, "tcp")
        and str(entry.get("RuleAction", "")).lower() == "allow"
        and entry.get("CidrBlock") == ch.cidr
        and ports.get("From") == ch.from_port
        and ports.get("To") == ch.to_port
    )


def _nacl_entry(ctx: Context, ch: c.AddNetworkAclEntry) -> Outcome:
    ec2 = ctx.clients("ec2", ch.region)
    acls = ec2.describe_network_acls(NetworkAclIds=[ch.network_acl_id]).get("NetworkAcls", [])
    if not acls:
        raise LookupError(f"{ch.network_acl_id} does not exist")
    direction = "outbound" if ch.egress else "inbound"
    for entry in acls[0].get("Entries", []):
        if entry.get("RuleNumber") != ch.rule_number or bool(entry.get("Egress")) != ch.egress:
            continue
        if _same_entry(entry, ch):
            return Outcome(ch.network_acl_id, False, "the entry exists")
        raise RuntimeError(
            f"{ch.network_acl_id} already has a different {direction} rule {ch.rule_number}; "
            "not replaced (plan again)"
        )
    args: dict[str, Any] = {
        "NetworkAclId": ch.network_acl_id,
        "RuleNumber": ch.rule_number,
        "Protocol": ch.protocol,
        "RuleAction": "allow",
        "Egress": ch.egress,
        "CidrBlock": ch.cidr,
        "PortRange": {"From": ch.from_port, "To": ch.to_port},
    }
    if ctx.dry_run:
        return _dry(ctx, ec2.create_network_acl_entry, **args)
    ec2.create_network_acl_entry(**args)

    def undo() -> None:
        ec2.delete_network_acl_entry(
            NetworkAclId=ch.network_acl_id, RuleNumber=ch.rule_number, Egress=ch.egress
        )

    return Outcome(
        ch.network_acl_id,
        True,
        f"{direction} rule {ch.rule_number}",
        undo,
        f"delete {direction} rule {ch.rule_number} from {ch.network_acl_id}",
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


def _zone(ctx: Context, ch: c.CreatePrivateHostedZone) -> Outcome:
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


def _zone_association(ctx: Context, ch: c.AssociateHostedZone) -> Outcome:
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


HANDLERS: dict[type, Callable[[Context, Any], Outcome]] = {
    c.SetVpcAttribute: _vpc_attribute,
    c.CreateSecurityGroup: _security_group,
    c.AuthorizeIngress: _rules,
    c.AuthorizeEgress: _rules,
    c.CreateInterfaceEndpoint: _interface_endpoint,
    c.ModifyEndpointPrivateDns: _private_dns,
    c.ModifyEndpointSecurityGroups: _endpoint_groups,
    c.CreateGatewayEndpoint: _gateway,
    c.AssociateGatewayRouteTables: _gateway_tables,
    c.SetEndpointPolicy: _policy,
    c.CreateRoute: _route,
    c.AddNetworkAclEntry: _nacl_entry,
    c.CreatePrivateHostedZone: _zone,
    c.AssociateHostedZone: _zone_association,
}


def run_change(ctx: Context, change: c.Change) -> Outcome:
    outcome = HANDLERS[type(change)](ctx, change)
    if outcome.resource:
        ctx.made[change.id] = outcome.resource
    return outcome
