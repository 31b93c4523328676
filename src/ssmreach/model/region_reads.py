"""One Region's snapshot files, read family by family into the parts of a `RegionData`.

`Reads` reads the operations of one account in one Region (or its global part): an
operation that is absent or failed is recorded as a `Gap` under its name, in the order
the reads happen. One failed call of a call list (one VPC's attribute, one key's
policy) is a `Gap` in place of that call's answer. `reader.region` calls the families
below in a fixed order and puts their parts together.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from ssmreach.model import aws
from ssmreach.model.estate import (
    BucketGone,
    Gap,
    KmsKey,
    NodeTarget,
    OutputSource,
    OutputSources,
    PrefixListInfo,
    gap_kind_for,
    node_target,
)
from ssmreach.model.raw import OperationKey

__all__ = [
    "SESSION_PREFERENCES_DOCUMENT",
    "Endpoints",
    "Filters",
    "Links",
    "Load",
    "Network",
    "Reads",
    "bucket_regions",
    "endpoints",
    "filters",
    "instances",
    "kms_keys",
    "links",
    "network",
    "output_sources",
    "prefix_lists",
    "resolver_rules",
    "service_settings",
    "session_preferences",
    "tgw_routes",
]

T = TypeVar("T")
V = TypeVar("V")

SESSION_PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"


class Load(Protocol):
    """Decode one operation's file as `shape`, or say why it has no answer."""

    def __call__(self, key: OperationKey, shape: type[T]) -> T | Gap: ...


@dataclass(slots=True)
class Reads:
    """The reads of one account in one Region (or its global part); what is absent or
    failed lands in `gaps`."""

    account: str
    region: str
    load: Load
    gaps: dict[str, Gap] = field(default_factory=dict)

    def get(self, service: str, operation: str, shape: type[T]) -> T | None:
        value = self.load(OperationKey(self.account, self.region, service, operation), shape)
        if isinstance(value, Gap):
            self.gaps[operation] = value
            return None
        return value

    def call_gap(self, service: str, op: str, request: str, err: aws.ApiError) -> Gap:
        """The gap of one failed call of a call list, named by its request."""
        return Gap(
            self.account,
            self.region,
            service,
            op,
            gap_kind_for(err.code),
            f"{err.code}: {err.message}",
            request,
        )


# -- the families ------------------------------------------------------------------------------


class Network(NamedTuple):
    vpcs: dict[str, aws.Vpc]
    vpc_attributes: dict[tuple[str, str], bool | Gap]
    subnets: dict[str, aws.Subnet]
    route_tables: dict[str, aws.RouteTable]
    subnet_route_table: dict[str, str]
    main_route_table: dict[str, str]


class Filters(NamedTuple):
    security_groups: dict[str, aws.SecurityGroup]
    default_security_group: dict[str, str]
    network_acls: dict[str, aws.NetworkAcl]
    subnet_network_acl: dict[str, str]


class Endpoints(NamedTuple):
    network_interfaces: dict[str, aws.NetworkInterface]
    endpoints: dict[str, aws.VpcEndpoint]
    endpoints_by_vpc: dict[str, tuple[aws.VpcEndpoint, ...]]
    endpoint_services: dict[str, aws.ServiceDetail]
    endpoint_service_names: frozenset[str]


class Links(NamedTuple):
    dhcp_options: dict[str, aws.DhcpOptions]
    peerings: dict[str, aws.VpcPeeringConnection]
    nat_gateways: dict[str, aws.NatGateway]
    internet_gateways: dict[str, aws.InternetGateway]
    egress_only_gateways: dict[str, aws.EgressOnlyInternetGateway]
    tgw_attachments: dict[str, aws.TransitGatewayAttachment]


def network(reads: Reads) -> Network:
    """VPCs with their DNS attributes, subnets, route tables and which subnet uses which."""
    vpcs_r = reads.get("ec2", "DescribeVpcs", aws.DescribeVpcs)
    vpcs = {v.vpc_id: v for v in (vpcs_r.vpcs if vpcs_r else ())}
    attrs = vpc_attributes(reads)
    subnets_r = reads.get("ec2", "DescribeSubnets", aws.DescribeSubnets)
    subnets = {s.subnet_id: s for s in (subnets_r.subnets if subnets_r else ())}
    rtb_r = reads.get("ec2", "DescribeRouteTables", aws.DescribeRouteTables)
    route_tables = {t.route_table_id: t for t in (rtb_r.route_tables if rtb_r else ())}
    subnet_rtb: dict[str, str] = {}
    main_rtb: dict[str, str] = {}
    for table in route_tables.values():
        for assoc in table.associations:
            if not assoc.active:
                continue
            if assoc.main:
                main_rtb[table.vpc_id] = table.route_table_id
            elif assoc.subnet_id:
                subnet_rtb[assoc.subnet_id] = table.route_table_id
    return Network(vpcs, attrs, subnets, route_tables, subnet_rtb, main_rtb)


def vpc_attributes(reads: Reads) -> dict[tuple[str, str], bool | Gap]:
    """`enableDnsSupport` and `enableDnsHostnames` by (VPC, attribute)."""
    calls = reads.get("ec2", "DescribeVpcAttribute", list[aws.VpcAttributeCall])
    attrs: dict[tuple[str, str], bool | Gap] = {}
    for call in calls or ():
        req = call.request
        if call.error is not None:
            attrs[(req.vpc_id, req.attribute)] = reads.call_gap(
                "ec2", "DescribeVpcAttribute", f"{req.vpc_id} {req.attribute}", call.error
            )
            continue
        resp = call.response
        value = None
        if resp is not None:
            holder = (
                resp.enable_dns_support
                if req.attribute == "enableDnsSupport"
                else resp.enable_dns_hostnames
            )
            value = holder.value if holder else None
        if value is not None:
            attrs[(req.vpc_id, req.attribute)] = value
    return attrs


def filters(reads: Reads) -> Filters:
    """Security groups (and each VPC's default group), network ACLs and their subnets."""
    sg_r = reads.get("ec2", "DescribeSecurityGroups", aws.DescribeSecurityGroups)
    sgs = {g.group_id: g for g in (sg_r.security_groups if sg_r else ())}
    default_sg = {
        g.vpc_id: g.group_id for g in sgs.values() if g.group_name == "default" and g.vpc_id
    }
    acl_r = reads.get("ec2", "DescribeNetworkAcls", aws.DescribeNetworkAcls)
    acls = {a.network_acl_id: a for a in (acl_r.network_acls if acl_r else ())}
    subnet_acl = {
        assoc.subnet_id: acl.network_acl_id
        for acl in acls.values()
        for assoc in acl.associations
        if assoc.subnet_id
    }
    return Filters(sgs, default_sg, acls, subnet_acl)


def endpoints(reads: Reads) -> Endpoints:
    """Network interfaces, the VPC endpoints not being deleted, and the endpoint services."""
    eni_r = reads.get("ec2", "DescribeNetworkInterfaces", aws.DescribeNetworkInterfaces)
    enis = {e.network_interface_id: e for e in (eni_r.network_interfaces if eni_r else ())}
    ep_r = reads.get("ec2", "DescribeVpcEndpoints", aws.DescribeVpcEndpoints)
    live = {
        e.vpc_endpoint_id: e
        for e in (ep_r.vpc_endpoints if ep_r else ())
        if e.state.lower() not in ("deleted", "deleting")
    }
    by_vpc: dict[str, list[aws.VpcEndpoint]] = defaultdict(list)
    for ep in live.values():
        by_vpc[ep.vpc_id].append(ep)
    svc_r = reads.get("ec2", "DescribeVpcEndpointServices", aws.DescribeVpcEndpointServices)
    services = {d.service_name: d for d in (svc_r.service_details if svc_r else ())}
    service_names = frozenset(svc_r.service_names if svc_r else ()) | frozenset(services)
    return Endpoints(enis, live, {k: tuple(v) for k, v in by_vpc.items()}, services, service_names)


def links(reads: Reads) -> Links:
    """DHCP options, peering connections, NAT and internet gateways, transit attachments."""
    dhcp_r = reads.get("ec2", "DescribeDhcpOptions", aws.DescribeDhcpOptions)
    dhcp = {d.dhcp_options_id: d for d in (dhcp_r.dhcp_options if dhcp_r else ())}
    pcx_r = reads.get("ec2", "DescribeVpcPeeringConnections", aws.DescribeVpcPeeringConnections)
    pcx = {p.vpc_peering_connection_id: p for p in (pcx_r.vpc_peering_connections if pcx_r else ())}
    nat_r = reads.get("ec2", "DescribeNatGateways", aws.DescribeNatGateways)
    nats = {n.nat_gateway_id: n for n in (nat_r.nat_gateways if nat_r else ())}
    igw_r = reads.get("ec2", "DescribeInternetGateways", aws.DescribeInternetGateways)
    igws = {g.internet_gateway_id: g for g in (igw_r.internet_gateways if igw_r else ())}
    eigw_r = reads.get(
        "ec2", "DescribeEgressOnlyInternetGateways", aws.DescribeEgressOnlyInternetGateways
    )
    eigws = {
        g.egress_only_internet_gateway_id: g
        for g in (eigw_r.egress_only_internet_gateways if eigw_r else ())
    }
    tgw_r = reads.get(
        "ec2", "DescribeTransitGatewayAttachments", aws.DescribeTransitGatewayAttachments
    )
    tgw_attachments = {
        a.transit_gateway_attachment_id: a
        for a in (tgw_r.transit_gateway_attachments if tgw_r else ())
    }
    return Links(dhcp, pcx, nats, igws, eigws, tgw_attachments)


def instances(
    reads: Reads,
) -> tuple[tuple[aws.Instance, ...], dict[str, aws.InstanceInformation]]:
    """The instances not terminated, and what Systems Manager knows of its managed nodes."""
    inst_r = reads.get("ec2", "DescribeInstances", aws.DescribeInstances)
    found = tuple(
        i
        for r in (inst_r.reservations if inst_r else ())
        for i in r.instances
        if i.state_name not in ("terminated", "shutting-down")
    )
    info_r = reads.get("ssm", "DescribeInstanceInformation", aws.DescribeInstanceInformation)
    info = {i.instance_id: i for i in (info_r.instance_information_list if info_r else ())}
    return found, info


def resolver_rules(
    reads: Reads,
) -> tuple[dict[str, aws.ResolverRule], dict[str, tuple[aws.ResolverRule, ...]]]:
    """The Resolver rules, and the rules associated with each VPC."""
    rules_r = reads.get("route53resolver", "ListResolverRules", aws.ListResolverRules)
    rules = {r.id: r for r in (rules_r.resolver_rules if rules_r else ())}
    assoc_r = reads.get(
        "route53resolver", "ListResolverRuleAssociations", aws.ListResolverRuleAssociations
    )
    rules_by_vpc: dict[str, list[aws.ResolverRule]] = defaultdict(list)
    for rassoc in assoc_r.resolver_rule_associations if assoc_r else ():
        rule = rules.get(rassoc.resolver_rule_id)
        if rule is not None and (rassoc.status or "COMPLETE") in ("COMPLETE", "CREATING"):
            rules_by_vpc[rassoc.vpc_id].append(rule)
        elif rule is None and "ListResolverRules" not in reads.gaps:
            # An association whose rule is not listed (shared from another account and
            # not readable): keep it visible as an unknown forwarding rule.
            rules_by_vpc[rassoc.vpc_id].append(
                aws.ResolverRule(id=rassoc.resolver_rule_id, domain_name=None, rule_type="UNKNOWN")
            )
    return rules, {k: tuple(v) for k, v in rules_by_vpc.items()}


def prefix_lists(reads: Reads) -> dict[str, PrefixListInfo]:
    """AWS-managed and customer-managed prefix lists with their CIDRs, when read."""
    lists: dict[str, PrefixListInfo] = {}
    old = reads.get("ec2", "DescribePrefixLists", aws.DescribePrefixLists)
    for pl in old.prefix_lists if old else ():
        lists[pl.prefix_list_id] = PrefixListInfo(
            pl.prefix_list_id, pl.prefix_list_name, pl.cidrs or None
        )
    managed = reads.get("ec2", "DescribeManagedPrefixLists", aws.DescribeManagedPrefixLists)
    entries = reads.get("ec2", "GetManagedPrefixListEntries", list[aws.PrefixListEntriesCall])
    cidrs_by_id: dict[str, tuple[str, ...]] = {}
    for call in entries or ():
        if call.response is not None:
            cidrs_by_id[call.request.prefix_list_id] = tuple(e.cidr for e in call.response.entries)
    for mpl in managed.prefix_lists if managed else ():
        known = lists.get(mpl.prefix_list_id)
        cidrs = cidrs_by_id.get(mpl.prefix_list_id) or (known.cidrs if known else None)
        lists[mpl.prefix_list_id] = PrefixListInfo(mpl.prefix_list_id, mpl.prefix_list_name, cidrs)
    for pl_id, cidrs in cidrs_by_id.items():
        if pl_id not in lists:
            lists[pl_id] = PrefixListInfo(pl_id, None, cidrs)
    # Entries are read for the gap bookkeeping only when something references them.
    return lists


def _answers(
    reads: Reads,
    service: str,
    operation: str,
    shape: Any,
    key: Callable[[Any], str],
    value: Callable[[Any], V],
) -> dict[str, V | Gap]:
    """A call list's answers by request (`key` of the request): `value` of each response,
    or the gap of a call that failed."""
    found: dict[str, V | Gap] = {}
    for call in reads.get(service, operation, shape) or ():
        asked = key(call.request)
        if call.error is not None:
            found[asked] = reads.call_gap(service, operation, asked, call.error)
        elif call.response is not None:
            found[asked] = value(call.response)
    return found


def tgw_routes(reads: Reads) -> dict[str, tuple[aws.TgwRoute, ...] | Gap]:
    """The routes of each transit gateway route table searched."""
    return _answers(
        reads,
        "ec2",
        "SearchTransitGatewayRoutes",
        list[aws.TgwRoutesCall],
        lambda r: r.transit_gateway_route_table_id,
        lambda r: r.routes,
    )


def service_settings(reads: Reads) -> dict[str, str | Gap]:
    """The Systems Manager service settings read, by setting id."""
    return _answers(
        reads,
        "ssm",
        "GetServiceSetting",
        list[aws.ServiceSettingCall],
        lambda r: r.setting_id,
        lambda r: r.service_setting.setting_value or "$None",
    )


def session_preferences(reads: Reads) -> str | Gap | None:
    """The Session Manager preferences document; None when none is saved."""
    calls = reads.get("ssm", "GetDocument", list[aws.GetDocumentCall])
    for call in calls or ():
        if call.request.name != SESSION_PREFERENCES_DOCUMENT:
            continue
        if call.error is not None:
            if call.error.code in ("InvalidDocument", "DocumentNotFound"):
                return None  # no preferences saved: the defaults apply
            return reads.call_gap("ssm", "GetDocument", SESSION_PREFERENCES_DOCUMENT, call.error)
        if call.response is not None:
            return call.response.content or ""
    return None


NO_SUCH_BUCKET = "NoSuchBucket"


def bucket_regions(reads: Reads) -> dict[str, str | Gap | BucketGone]:
    """The Region of each bucket asked about, by bucket name (`BucketGone` when S3 says it
    does not exist)."""
    calls = reads.get("s3", "GetBucketLocation", list[aws.BucketLocationCall]) or ()
    gone = {
        c.request.bucket for c in calls if c.error is not None and c.error.code == NO_SUCH_BUCKET
    }
    found: dict[str, str | Gap | BucketGone] = dict(
        _answers(
            reads,
            "s3",
            "GetBucketLocation",
            list[aws.BucketLocationCall],
            lambda r: r.bucket,
            lambda r: r.region,
        )
    )
    found.update({b: BucketGone(b) for b in gone})
    return found


ASSOCIATION_GONE = "AssociationDoesNotExist"
"""`DescribeAssociation`'s answer for an association deleted after it was listed."""


def _targets(targets: tuple[aws.Target, ...], *instance_ids: str | None) -> tuple[NodeTarget, ...]:
    """The typed targets; instance ids named outside `Targets` count as an `InstanceIds` one."""
    ids = tuple(i for i in instance_ids if i)
    typed = tuple(node_target(t.key, t.values) for t in targets)
    return (node_target("InstanceIds", ids), *typed) if ids else typed


def _commands(reads: Reads) -> list[OutputSource]:
    """The listed commands that write their output to S3."""
    listed = reads.get("ssm", "ListCommands", aws.ListCommands)
    return [
        OutputSource(
            "command",
            c.command_id,
            c.document_name,
            _targets(c.targets, *c.instance_ids),
            bucket=c.output_s3_bucket_name,
            key_prefix=c.output_s3_key_prefix or None,
        )
        for c in (listed.commands if listed else ())
        if c.output_s3_bucket_name
    ]


def _associations(reads: Reads) -> list[OutputSource]:
    """The associations that write their output to S3; one whose description was not read
    is kept with its listed targets and the gap in place of its output location."""
    listed = reads.get("ssm", "ListAssociations", aws.ListAssociations)
    if listed is None or not listed.associations:
        return []
    calls = reads.get("ssm", "DescribeAssociation", list[aws.DescribeAssociationCall])
    by_id = {c.request.association_id: c for c in calls or ()}
    found: list[OutputSource] = []
    for a in listed.associations:
        call = by_id.get(a.association_id)
        gap: Gap | None = None
        if call is None:
            whole = reads.gaps.get("DescribeAssociation")
            gap = (
                dataclasses.replace(whole, request=a.association_id)
                if whole is not None
                else Gap(
                    reads.account,
                    reads.region,
                    "ssm",
                    "DescribeAssociation",
                    "missing",
                    request=a.association_id,
                )
            )
        elif call.error is not None:
            if call.error.code == ASSOCIATION_GONE:
                continue
            gap = reads.call_gap("ssm", "DescribeAssociation", a.association_id, call.error)
        if gap is not None:
            targets = _targets(a.targets, a.instance_id)
            found.append(OutputSource("association", a.association_id, a.name, targets, gap=gap))
            continue
        assert call is not None
        d = call.response.association_description if call.response is not None else None
        where = d.output_location.s3_location if d and d.output_location else None
        if d is None or where is None or not where.output_s3_bucket_name:
            continue
        found.append(
            OutputSource(
                "association",
                a.association_id,
                d.name or a.name,
                _targets(d.targets or a.targets, d.instance_id or a.instance_id),
                bucket=where.output_s3_bucket_name,
                key_prefix=where.output_s3_key_prefix or None,
                declared_region=where.output_s3_region or None,
            )
        )
    return found


def output_sources(reads: Reads) -> OutputSources:
    """The commands (`ListCommands`) and associations (`ListAssociations`, then
    `DescribeAssociation` each) that write output to an S3 bucket, indexed by target."""
    return OutputSources.index((*_commands(reads), *_associations(reads)))


def kms_keys(reads: Reads) -> dict[str, KmsKey | Gap]:
    """The keys `DescribeKey` read, each with its key policy and grants (or their gaps)."""
    account, region, gaps = reads.account, reads.region, reads.gaps
    described = reads.get("kms", "DescribeKey", list[aws.DescribeKeyCall])
    if described is None:
        return {}
    policies = reads.get("kms", "GetKeyPolicy", list[aws.KeyPolicyCall])
    grant_lists = reads.get("kms", "ListGrants", list[aws.ListGrantsCall])
    policy_calls = {c.request.key_id: c for c in policies or ()}
    grant_calls = {c.request.key_id: c for c in grant_lists or ()}

    def part(op: str, arn: str, calls: Mapping[str, Any], attr: str) -> Any:
        owner = arn.split(":")[4] if arn.count(":") >= 5 else ""
        call = calls.get(arn)
        if call is None:
            gap = gaps.get(op)
            if gap is not None:
                return dataclasses.replace(gap, request=arn)
            detail = (
                f"the key belongs to account {owner}, whose credentials alone can read it"
                if owner and owner != account
                else ""
            )
            return Gap(account, region, "kms", op, "missing", detail, arn)
        if call.error is not None:
            return reads.call_gap("kms", op, arn, call.error)
        if call.response is None:
            return Gap(account, region, "kms", op, "failed", "no response recorded", arn)
        return getattr(call.response, attr)

    keys: dict[str, KmsKey | Gap] = {}
    for call in described:
        asked = call.request.key_id
        if call.error is not None:
            keys[asked] = reads.call_gap("kms", "DescribeKey", asked, call.error)
            continue
        if call.response is None:
            continue
        metadata = call.response.key_metadata
        policy = part("GetKeyPolicy", metadata.arn, policy_calls, "policy")
        if policy is None:
            policy = Gap(
                account,
                region,
                "kms",
                "GetKeyPolicy",
                "failed",
                "no Policy in the answer",
                metadata.arn,
            )
        keys[asked] = KmsKey(
            metadata=metadata,
            policy=policy,
            grants=part("ListGrants", metadata.arn, grant_calls, "grants"),
        )
    return keys
