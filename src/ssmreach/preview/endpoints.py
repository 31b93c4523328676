"""VPC endpoints, their associations and policies, and Route 53 private zones.

An interface endpoint created without security groups gets the VPC's default group; one
with private DNS answers the service's private DNS name (read from
`DescribeVpcEndpointServices`, never built); a gateway endpoint adds a route to the
service's prefix list in each of its route tables; a new endpoint's policy, when none is
written, is the default full-access policy (PrivateLink guide, "Security groups",
"Private DNS", "Gateway endpoints", "Endpoint policies").
"""

from __future__ import annotations

import json
from typing import Any

from ssmreach.preview.context import Context, before_id, drop, tags_of, upsert
from ssmreach.preview.plan_document import ResourceChange

FULL_ACCESS = json.dumps(
    {"Statement": [{"Action": "*", "Effect": "Allow", "Principal": "*", "Resource": "*"}]}
)
PLANNED_ZONE_ID = "ZPLANNEDENDPOINT"


def _default_group(ctx: Context, vpc_id: str | None) -> list[dict[str, str]]:
    for group in ctx.records.items(ctx.region, "ec2", "DescribeSecurityGroups"):
        if group.get("VpcId") == vpc_id and group.get("GroupName") == "default":
            return [{"GroupId": str(group["GroupId"]), "GroupName": "default"}]
    return []


def _service(ctx: Context, name: str) -> dict[str, Any] | None:
    return ctx.records.find(ctx.region, "ec2", "DescribeVpcEndpointServices", "ServiceName", name)


def _prefix_list(ctx: Context, service_name: str) -> str | None:
    found = ctx.records.find(
        ctx.region, "ec2", "DescribePrefixLists", "PrefixListName", service_name
    )
    return str(found["PrefixListId"]) if found else None


def dns_entries(endpoint_id: str, service: str, region: str) -> list[dict[str, str]]:
    """The endpoint's regional DNS name, as `dns_entry` references see it before apply."""
    short = service.rsplit(".", 1)[-1]
    return [
        {
            "DnsName": f"{endpoint_id}-plan.{short}.{region}.vpce.amazonaws.com",
            "HostedZoneId": PLANNED_ZONE_ID,
        }
    ]


def _policy(ctx: Context, change: ResourceChange, existing: dict[str, Any] | None) -> str | None:
    policy = change.value.get("policy")
    if policy:
        return str(policy)
    if change.unknown.get("policy") is True and ctx.resolver.configured(change, "policy"):
        return ctx.resolver.scalar(change, "policy")
    return existing.get("PolicyDocument") if existing else FULL_ACCESS


def vpc_endpoint(ctx: Context, change: ResourceChange, endpoint_id: str) -> None:
    endpoints = ctx.edit("DescribeVpcEndpoints", change.address)
    if endpoints is None:
        return
    existing = ctx.find("DescribeVpcEndpoints", "VpcEndpointId", endpoint_id)
    vpc_id = ctx.resolver.scalar(change, "vpc_id")
    service = str(change.value.get("service_name") or "")
    kind = str(change.value.get("vpc_endpoint_type") or "Gateway")
    groups = [{"GroupId": g} for g in ctx.resolver.values(change, "security_group_ids")]
    if kind == "Interface" and not groups:
        groups = _default_group(ctx, vpc_id)
    private_dns = bool(change.value.get("private_dns_enabled")) and kind == "Interface"
    entries = dns_entries(endpoint_id, service, ctx.region) if kind == "Interface" else []
    detail = _service(ctx, service)
    if private_dns and detail and detail.get("PrivateDnsName"):
        entries.append({"DnsName": str(detail["PrivateDnsName"]), "HostedZoneId": PLANNED_ZONE_ID})
    fields: dict[str, Any] = {
        "VpcEndpointType": kind,
        "VpcId": vpc_id,
        "ServiceName": service,
        "State": "available",
        "PolicyDocument": _policy(ctx, change, existing),
        "RouteTableIds": ctx.resolver.values(change, "route_table_ids"),
        "SubnetIds": ctx.resolver.values(change, "subnet_ids"),
        "Groups": groups,
        "PrivateDnsEnabled": private_dns,
        "DnsEntries": (existing or {}).get("DnsEntries") or entries,
        "OwnerId": ctx.account,
        "Tags": tags_of(change),
    }
    if change.value.get("ip_address_type"):
        fields["IpAddressType"] = change.value["ip_address_type"]
    if existing is None:
        fields["NetworkInterfaceIds"] = []
    upsert(endpoints, "VpcEndpointId", endpoint_id, fields)
    if kind == "Gateway":
        for table_id in fields["RouteTableIds"]:
            _gateway_route(ctx, change, endpoint_id, service, table_id)


def _gateway_route(
    ctx: Context, change: ResourceChange, endpoint_id: str, service: str, table_id: str
) -> None:
    """AWS adds a route to the service's prefix list in each associated route table."""
    tables = ctx.edit("DescribeRouteTables", change.address)
    table = ctx.find("DescribeRouteTables", "RouteTableId", table_id)
    if tables is None or table is None:
        return
    prefix_list = _prefix_list(ctx, service)
    if prefix_list is None:
        ctx.notes.append(
            f"{change.address}: the prefix list of {service} is not in the snapshot "
            f"(DescribePrefixLists), so its route in {table_id} cannot be drawn"
        )
        return
    routes = table.setdefault("Routes", [])
    routes[:] = [r for r in routes if r.get("DestinationPrefixListId") != prefix_list]
    routes.append(
        {
            "DestinationPrefixListId": prefix_list,
            "GatewayId": endpoint_id,
            "Origin": "CreateRoute",
            "State": "active",
        }
    )


def remove_vpc_endpoint(ctx: Context, change: ResourceChange) -> None:
    endpoint_id = before_id(change)
    drop(ctx.edit("DescribeVpcEndpoints", change.address), "VpcEndpointId", endpoint_id)
    for table in ctx.edit("DescribeRouteTables", change.address) or []:
        drop(table.get("Routes"), "GatewayId", endpoint_id)


def _endpoint(
    ctx: Context, change: ResourceChange, endpoint_id: str | None
) -> dict[str, Any] | None:
    return ctx.target("DescribeVpcEndpoints", "VpcEndpointId", endpoint_id, change, "endpoint")


def _pair(
    ctx: Context, change: ResourceChange, other: str
) -> tuple[dict[str, Any] | None, str | None]:
    if change.change.after is not None:
        endpoint_id, value = (
            ctx.resolver.scalar(change, "vpc_endpoint_id"),
            ctx.resolver.scalar(change, other),
        )
    else:
        before = change.change.before or {}
        endpoint_id, value = before.get("vpc_endpoint_id"), before.get(other)
    return _endpoint(ctx, change, endpoint_id), value


def endpoint_subnet(ctx: Context, change: ResourceChange, _: str) -> None:
    endpoint, subnet = _pair(ctx, change, "subnet_id")
    if endpoint is not None and subnet:
        endpoint["SubnetIds"] = list(dict.fromkeys([*endpoint.get("SubnetIds", []), subnet]))


def remove_endpoint_subnet(ctx: Context, change: ResourceChange) -> None:
    endpoint, subnet = _pair(ctx, change, "subnet_id")
    if endpoint is not None:
        endpoint["SubnetIds"] = [s for s in endpoint.get("SubnetIds", []) if s != subnet]


def endpoint_table(ctx: Context, change: ResourceChange, _: str) -> None:
    endpoint, table = _pair(ctx, change, "route_table_id")
    if endpoint is not None and table:
        endpoint["RouteTableIds"] = list(dict.fromkeys([*endpoint.get("RouteTableIds", []), table]))
        _gateway_route(
            ctx, change, endpoint["VpcEndpointId"], str(endpoint.get("ServiceName")), table
        )


def remove_endpoint_table(ctx: Context, change: ResourceChange) -> None:
    endpoint, table_id = _pair(ctx, change, "route_table_id")
    if endpoint is None:
        return
    endpoint["RouteTableIds"] = [t for t in endpoint.get("RouteTableIds", []) if t != table_id]
    table = ctx.find("DescribeRouteTables", "RouteTableId", table_id or "")
    if table is not None and ctx.edit("DescribeRouteTables", change.address) is not None:
        drop(table.get("Routes"), "GatewayId", endpoint["VpcEndpointId"])


def endpoint_group(ctx: Context, change: ResourceChange, _: str) -> None:
    endpoint, group = _pair(ctx, change, "security_group_id")
    if endpoint is None or not group:
        return
    current = (
        []
        if change.value.get("replace_default_association")
        else list(endpoint.get("Groups") or [])
    )
    if not any(g.get("GroupId") == group for g in current):
        current.append({"GroupId": group})
    endpoint["Groups"] = current


def remove_endpoint_group(ctx: Context, change: ResourceChange) -> None:
    endpoint, group = _pair(ctx, change, "security_group_id")
    if endpoint is not None:
        endpoint["Groups"] = [g for g in endpoint.get("Groups") or [] if g.get("GroupId") != group]


def endpoint_policy(ctx: Context, change: ResourceChange, _: str) -> None:
    endpoint, policy = _pair(ctx, change, "policy")
    if endpoint is not None:
        endpoint["PolicyDocument"] = policy or FULL_ACCESS


def remove_endpoint_policy(ctx: Context, change: ResourceChange) -> None:
    """Destroying `aws_vpc_endpoint_policy` puts the default full-access policy back."""
    endpoint, _ = _pair(ctx, change, "policy")
    if endpoint is not None:
        endpoint["PolicyDocument"] = FULL_ACCESS


# --- Route 53 private zones ------------------------------------------------------------------


def _zone_key(zone_id: str) -> str:
    return zone_id if zone_id.startswith("/hostedzone/") else f"/hostedzone/{zone_id}"


def _calls(ctx: Context, change: ResourceChange, operation: str) -> list[dict[str, Any]] | None:
    return ctx.edit(operation, change.address, service="route53")


def _zone_call(calls: list[dict[str, Any]], field: str, zone: str) -> dict[str, Any] | None:
    for call in calls:
        if _zone_key(str((call.get("Request") or {}).get(field, ""))) == zone:
            return call
    return None


def hosted_zone(ctx: Context, change: ResourceChange, zone_id: str) -> None:
    vpcs = []
    for i, _ in enumerate(change.value.get("vpc") or []):
        vpc_id = ctx.resolver.block_value(change, "vpc", i, "vpc_id")
        region = ctx.resolver.block_value(change, "vpc", i, "vpc_region") or ctx.region
        vpcs.append({"VPCId": str(vpc_id), "VPCRegion": str(region)})
    if not vpcs:
        return  # a public zone: no VPC resolves through it
    zones, details, records = (
        _calls(ctx, change, op)
        for op in ("ListHostedZones", "GetHostedZone", "ListResourceRecordSets")
    )
    if zones is None or details is None or records is None:
        return
    key = _zone_key(zone_id)
    name = str(change.value.get("name") or "").rstrip(".") + "."
    zone = {"Id": key, "Name": name, "Config": {"PrivateZone": True}}
    upsert(zones, "Id", key, zone)
    details[:] = [c for c in details if _zone_key(str(c["Request"].get("Id", ""))) != key]
    details.append({"Request": {"Id": key}, "Response": {"HostedZone": zone, "VPCs": vpcs}})
    if _zone_call(records, "HostedZoneId", key) is None:
        records.append({"Request": {"HostedZoneId": key}, "Response": {"ResourceRecordSets": []}})


def remove_hosted_zone(ctx: Context, change: ResourceChange) -> None:
    key = _zone_key(str((change.change.before or {}).get("zone_id") or before_id(change) or ""))
    drop(_calls(ctx, change, "ListHostedZones"), "Id", key)
    for operation, field in (("GetHostedZone", "Id"), ("ListResourceRecordSets", "HostedZoneId")):
        calls = _calls(ctx, change, operation)
        if calls is not None:
            calls[:] = [c for c in calls if _zone_key(str(c["Request"].get(field, ""))) != key]


def _record_of(ctx: Context, change: ResourceChange) -> tuple[str, dict[str, Any]]:
    after = change.change.after is not None
    values = change.value if after else (change.change.before or {})
    zone = ctx.resolver.scalar(change, "zone_id") if after else values.get("zone_id")
    record: dict[str, Any] = {
        "Name": str(values.get("name") or "").rstrip(".") + ".",
        "Type": values.get("type"),
    }
    aliases = values.get("alias") or []
    if aliases:
        name = (
            ctx.resolver.block_value(change, "alias", 0, "name")
            if after
            else aliases[0].get("name")
        )
        target = (
            ctx.resolver.block_value(change, "alias", 0, "zone_id")
            if after
            else aliases[0].get("zone_id")
        )
        record["AliasTarget"] = {"DNSName": str(name), "HostedZoneId": target}
    else:
        records = ctx.resolver.values(change, "records") if after else values.get("records") or []
        record["ResourceRecords"] = [{"Value": str(v)} for v in records]
    return _zone_key(str(zone or "")), record


def _zone_records(ctx: Context, change: ResourceChange, zone: str) -> list[dict[str, Any]] | None:
    calls = _calls(ctx, change, "ListResourceRecordSets")
    call = _zone_call(calls or [], "HostedZoneId", zone)
    if call is None:
        return None  # a public zone, or one the snapshot does not hold: no VPC resolves through it
    response = call.setdefault("Response", {})
    sets: list[dict[str, Any]] = response.setdefault("ResourceRecordSets", [])
    return sets


def record(ctx: Context, change: ResourceChange, _: str) -> None:
    zone, new = _record_of(ctx, change)
    sets = _zone_records(ctx, change, zone)
    if sets is not None:
        sets[:] = [
            s for s in sets if (s.get("Name"), s.get("Type")) != (new["Name"], new["Type"])
        ] + [new]


def remove_record(ctx: Context, change: ResourceChange) -> None:
    zone, old = _record_of(ctx, change)
    sets = _zone_records(ctx, change, zone)
    if sets is not None:
        sets[:] = [s for s in sets if (s.get("Name"), s.get("Type")) != (old["Name"], old["Type"])]


def _zone_vpcs(ctx: Context, change: ResourceChange, zone: str) -> list[dict[str, Any]] | None:
    call = _zone_call(_calls(ctx, change, "GetHostedZone") or [], "Id", zone)
    if call is None:
        ctx.notes.append(
            f"{change.address}: private zone {zone} is not in the snapshot or the plan"
        )
        return None
    vpcs: list[dict[str, Any]] = call.setdefault("Response", {}).setdefault("VPCs", [])
    return vpcs


def zone_association(ctx: Context, change: ResourceChange, _: str) -> None:
    zone = _zone_key(str(ctx.resolver.scalar(change, "zone_id") or ""))
    vpc_id = ctx.resolver.scalar(change, "vpc_id")
    vpcs = _zone_vpcs(ctx, change, zone)
    if vpcs is not None and vpc_id and not any(v.get("VPCId") == vpc_id for v in vpcs):
        vpcs.append(
            {"VPCId": vpc_id, "VPCRegion": ctx.resolver.scalar(change, "vpc_region") or ctx.region}
        )


def remove_zone_association(ctx: Context, change: ResourceChange) -> None:
    before = change.change.before or {}
    vpcs = _zone_vpcs(ctx, change, _zone_key(str(before.get("zone_id") or "")))
    if vpcs is not None:
        vpcs[:] = [v for v in vpcs if v.get("VPCId") != before.get("vpc_id")]
