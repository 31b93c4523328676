"""Parse a `RawSnapshot` into an `Estate`: the one parser for offline and live checks.

Each file is decoded straight into the typed shapes of `ssmreach.model.aws` with
msgspec (fast, and a wrong shape is reported with its JSON path). A broken file
stops the read with a `SnapshotError` naming the file; an absent or failed
operation becomes a `Gap` that analysis turns into UNKNOWN.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from ssmreach.errors import SnapshotError
from ssmreach.model import aws
from ssmreach.model.estate import (
    AccountData,
    Estate,
    Gap,
    KmsKey,
    PrefixListInfo,
    PrivateZone,
    RegionData,
    gap_kind_for,
)
from ssmreach.model.raw import GLOBAL, OperationKey, RawError, RawOk, RawSnapshot, read_raw_snapshot
from ssmreach.model.route_targets import TargetFacts, parse_route_targets
from ssmreach.model.validate import first_problem

T = TypeVar("T")

DHMC_SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"
SESSION_PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"

_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def load_snapshot(folder: str | Path) -> Estate:
    """Read and parse a snapshot folder."""
    return parse_snapshot(read_raw_snapshot(Path(folder), lazy=True))


def parse_snapshot(raw: RawSnapshot) -> Estate:
    """Parse every operation of a raw snapshot into the typed, indexed estate."""
    reader = _Reader(raw)
    regions = {
        (account, region): reader.region(account, region)
        for account, region in sorted(
            {(k.account, k.region) for k in raw.files if k.region != GLOBAL}
            | {(a, r) for a in raw.manifest.accounts for r in raw.manifest.regions}
        )
    }
    accounts = {
        account: reader.account(account)
        for account in sorted({k.account for k in raw.files} | set(raw.manifest.accounts))
    }
    vpc_home = {vpc_id: key for key, data in regions.items() for vpc_id in data.vpcs}
    zones_by_vpc: dict[str, list[PrivateZone]] = defaultdict(list)
    for data in accounts.values():
        for zone in data.private_zones:
            if isinstance(zone.vpcs, Gap):
                continue
            for vpc in zone.vpcs:
                zones_by_vpc[vpc.vpc_id].append(zone)
    return Estate(
        source=raw.source,
        created=raw.manifest.created,
        partition=raw.manifest.partition,
        regions=regions,
        accounts=accounts,
        vpc_home=vpc_home,
        zones_by_vpc={k: tuple(v) for k, v in zones_by_vpc.items()},
        skipped=raw.skipped,
    )


class _Reader:
    def __init__(self, raw: RawSnapshot) -> None:
        self.raw = raw

    # -- decoding -------------------------------------------------------------------------

    def _path(self, key: OperationKey, *, error: bool = False) -> str:
        return str(Path(self.raw.source) / key.relative_path(error=error))

    def load(self, key: OperationKey, shape: type[T]) -> T | Gap:
        content = self.raw.files.get(key)
        if content is None:
            return Gap(key.account, key.region, key.service, key.operation, "missing")
        if isinstance(content, RawError):
            return Gap(
                key.account,
                key.region,
                key.service,
                key.operation,
                gap_kind_for(content.code),
                f"{content.code}: {content.message}".rstrip(": "),
            )
        assert isinstance(content, RawOk)
        decoder = _DECODERS.get(shape)
        if decoder is None:
            decoder = _DECODERS[shape] = msgspec.json.Decoder(shape)
        try:
            doc = decoder.decode(content.body)
        except msgspec.ValidationError as exc:
            raise SnapshotError(
                self._path(key), f"wrong shape for {key.operation}: {exc}"
            ) from None
        except msgspec.DecodeError as exc:
            raise SnapshotError(self._path(key), f"not valid JSON ({exc})") from None
        except RecursionError:
            raise SnapshotError(
                self._path(key), "JSON nested too deeply to be an AWS response"
            ) from None
        problem = first_problem(doc)
        if problem is not None:
            raise SnapshotError(self._path(key), f"{problem}; fix the record or collect again")
        return doc  # type: ignore[no-any-return]

    # -- one Region ------------------------------------------------------------------------

    def region(self, account: str, region: str) -> RegionData:
        gaps: dict[str, Gap] = {}

        def get(service: str, operation: str, shape: type[T]) -> T | None:
            value = self.load(OperationKey(account, region, service, operation), shape)
            if isinstance(value, Gap):
                gaps[operation] = value
                return None
            return value

        vpcs_r = get("ec2", "DescribeVpcs", aws.DescribeVpcs)
        vpcs = {v.vpc_id: v for v in (vpcs_r.vpcs if vpcs_r else ())}
        attrs = self._vpc_attributes(account, region, get)
        subnets_r = get("ec2", "DescribeSubnets", aws.DescribeSubnets)
        subnets = {s.subnet_id: s for s in (subnets_r.subnets if subnets_r else ())}
        rtb_r = get("ec2", "DescribeRouteTables", aws.DescribeRouteTables)
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
        sg_r = get("ec2", "DescribeSecurityGroups", aws.DescribeSecurityGroups)
        sgs = {g.group_id: g for g in (sg_r.security_groups if sg_r else ())}
        default_sg = {
            g.vpc_id: g.group_id for g in sgs.values() if g.group_name == "default" and g.vpc_id
        }
        acl_r = get("ec2", "DescribeNetworkAcls", aws.DescribeNetworkAcls)
        acls = {a.network_acl_id: a for a in (acl_r.network_acls if acl_r else ())}
        subnet_acl = {
            assoc.subnet_id: acl.network_acl_id
            for acl in acls.values()
            for assoc in acl.associations
            if assoc.subnet_id
        }
        eni_r = get("ec2", "DescribeNetworkInterfaces", aws.DescribeNetworkInterfaces)
        enis = {e.network_interface_id: e for e in (eni_r.network_interfaces if eni_r else ())}
        ep_r = get("ec2", "DescribeVpcEndpoints", aws.DescribeVpcEndpoints)
        endpoints = {
            e.vpc_endpoint_id: e
            for e in (ep_r.vpc_endpoints if ep_r else ())
            if e.state.lower() not in ("deleted", "deleting")
        }
        by_vpc: dict[str, list[aws.VpcEndpoint]] = defaultdict(list)
        for ep in endpoints.values():
            by_vpc[ep.vpc_id].append(ep)
        svc_r = get("ec2", "DescribeVpcEndpointServices", aws.DescribeVpcEndpointServices)
        services = {d.service_name: d for d in (svc_r.service_details if svc_r else ())}
        service_names = frozenset(svc_r.service_names if svc_r else ()) | frozenset(services)
        dhcp_r = get("ec2", "DescribeDhcpOptions", aws.DescribeDhcpOptions)
        dhcp = {d.dhcp_options_id: d for d in (dhcp_r.dhcp_options if dhcp_r else ())}
        pcx_r = get("ec2", "DescribeVpcPeeringConnections", aws.DescribeVpcPeeringConnections)
        pcx = {
            p.vpc_peering_connection_id: p for p in (pcx_r.vpc_peering_connections if pcx_r else ())
        }
        nat_r = get("ec2", "DescribeNatGateways", aws.DescribeNatGateways)
        nats = {n.nat_gateway_id: n for n in (nat_r.nat_gateways if nat_r else ())}
        igw_r = get("ec2", "DescribeInternetGateways", aws.DescribeInternetGateways)
        igws = {g.internet_gateway_id: g for g in (igw_r.internet_gateways if igw_r else ())}
        tgw_r = get(
            "ec2", "DescribeTransitGatewayAttachments", aws.DescribeTransitGatewayAttachments
        )
        tgw_attachments = {
            a.transit_gateway_attachment_id: a
            for a in (tgw_r.transit_gateway_attachments if tgw_r else ())
        }
        inst_r = get("ec2", "DescribeInstances", aws.DescribeInstances)
        instances = tuple(
            i
            for r in (inst_r.reservations if inst_r else ())
            for i in r.instances
            if i.state_name not in ("terminated", "shutting-down")
        )
        info_r = get("ssm", "DescribeInstanceInformation", aws.DescribeInstanceInformation)
        info = {i.instance_id: i for i in (info_r.instance_information_list if info_r else ())}
        rules_r = get("route53resolver", "ListResolverRules", aws.ListResolverRules)
        rules = {r.id: r for r in (rules_r.resolver_rules if rules_r else ())}
        assoc_r = get(
            "route53resolver", "ListResolverRuleAssociations", aws.ListResolverRuleAssociations
        )
        rules_by_vpc: dict[str, list[aws.ResolverRule]] = defaultdict(list)
        for rassoc in assoc_r.resolver_rule_associations if assoc_r else ():
            rule = rules.get(rassoc.resolver_rule_id)
            if rule is not None and (rassoc.status or "COMPLETE") in ("COMPLETE", "CREATING"):
                rules_by_vpc[rassoc.vpc_id].append(rule)
            elif rule is None and "ListResolverRules" not in gaps:
                # An association whose rule is not listed (shared from another account and
                # not readable): keep it visible as an unknown forwarding rule.
                rules_by_vpc[rassoc.vpc_id].append(
                    aws.ResolverRule(
                        id=rassoc.resolver_rule_id, domain_name=None, rule_type="UNKNOWN"
                    )
                )
        route_targets = parse_route_targets(
            route_tables,
            TargetFacts(
                endpoints=endpoints,
                endpoints_gap=gaps.get("DescribeVpcEndpoints"),
                nat_gateways=nats,
                network_interfaces=enis,
                instance_subnets={i.instance_id: i.subnet_id for i in instances if i.subnet_id},
            ),
        )
        return RegionData(
            account=account,
            region=region,
            gaps=gaps,
            route_targets=route_targets,
            vpcs=vpcs,
            vpc_attributes=attrs,
            subnets=subnets,
            route_tables=route_tables,
            subnet_route_table=subnet_rtb,
            main_route_table=main_rtb,
            security_groups=sgs,
            default_security_group=default_sg,
            network_acls=acls,
            subnet_network_acl=subnet_acl,
            network_interfaces=enis,
            endpoints=endpoints,
            endpoints_by_vpc={k: tuple(v) for k, v in by_vpc.items()},
            endpoint_services=services,
            endpoint_service_names=service_names,
            dhcp_options=dhcp,
            peerings=pcx,
            nat_gateways=nats,
            internet_gateways=igws,
            prefix_lists=self._prefix_lists(account, region, get),
            tgw_attachments=tgw_attachments,
            tgw_routes=self._tgw_routes(account, region, get),
            instances=instances,
            instance_information=info,
            service_settings=self._service_settings(account, region, get),
            session_preferences=self._session_preferences(account, region, get),
            kms_keys=self._kms_keys(account, region, get, gaps),
            bucket_regions=self._bucket_regions(account, region, get),
            resolver_rules=rules,
            resolver_rules_by_vpc={k: tuple(v) for k, v in rules_by_vpc.items()},
        )

    def _call_error(
        self, account: str, region: str, service: str, op: str, request: str, err: aws.ApiError
    ) -> Gap:
        return Gap(
            account,
            region,
            service,
            op,
            gap_kind_for(err.code),
            f"{err.code}: {err.message}",
            request,
        )

    def _vpc_attributes(
        self, account: str, region: str, get: Any
    ) -> dict[tuple[str, str], bool | Gap]:
        calls = get("ec2", "DescribeVpcAttribute", list[aws.VpcAttributeCall])
        attrs: dict[tuple[str, str], bool | Gap] = {}
        for call in calls or ():
            req = call.request
            if call.error is not None:
                attrs[(req.vpc_id, req.attribute)] = self._call_error(
                    account,
                    region,
                    "ec2",
                    "DescribeVpcAttribute",
                    f"{req.vpc_id} {req.attribute}",
                    call.error,
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

    def _prefix_lists(self, account: str, region: str, get: Any) -> dict[str, PrefixListInfo]:
        lists: dict[str, PrefixListInfo] = {}
        old = get("ec2", "DescribePrefixLists", aws.DescribePrefixLists)
        for pl in old.prefix_lists if old else ():
            lists[pl.prefix_list_id] = PrefixListInfo(
                pl.prefix_list_id, pl.prefix_list_name, pl.cidrs or None
            )
        managed = get("ec2", "DescribeManagedPrefixLists", aws.DescribeManagedPrefixLists)
        entries = get("ec2", "GetManagedPrefixListEntries", list[aws.PrefixListEntriesCall])
        cidrs_by_id: dict[str, tuple[str, ...]] = {}
        for call in entries or ():
            if call.response is not None:
                cidrs_by_id[call.request.prefix_list_id] = tuple(
                    e.cidr for e in call.response.entries
                )
        for mpl in managed.prefix_lists if managed else ():
            known = lists.get(mpl.prefix_list_id)
            cidrs = cidrs_by_id.get(mpl.prefix_list_id) or (known.cidrs if known else None)
            lists[mpl.prefix_list_id] = PrefixListInfo(
                mpl.prefix_list_id, mpl.prefix_list_name, cidrs
            )
        for pl_id, cidrs in cidrs_by_id.items():
            if pl_id not in lists:
                lists[pl_id] = PrefixListInfo(pl_id, None, cidrs)
        # Entries are read for the gap bookkeeping only when something references them.
        return lists

    def _tgw_routes(
        self, account: str, region: str, get: Any
    ) -> dict[str, tuple[aws.TgwRoute, ...] | Gap]:
        calls = get("ec2", "SearchTransitGatewayRoutes", list[aws.TgwRoutesCall])
        routes: dict[str, tuple[aws.TgwRoute, ...] | Gap] = {}
        for call in calls or ():
            table = call.request.transit_gateway_route_table_id
            if call.error is not None:
                routes[table] = self._call_error(
                    account, region, "ec2", "SearchTransitGatewayRoutes", table, call.error
                )
            elif call.response is not None:
                routes[table] = call.response.routes
        return routes

    def _service_settings(self, account: str, region: str, get: Any) -> dict[str, str | Gap]:
        calls = get("ssm", "GetServiceSetting", list[aws.ServiceSettingCall])
        settings: dict[str, str | Gap] = {}
        for call in calls or ():
            sid = call.request.setting_id
            if call.error is not None:
                settings[sid] = self._call_error(
                    account, region, "ssm", "GetServiceSetting", sid, call.error
                )
            elif call.response is not None:
                settings[sid] = call.response.service_setting.setting_value or "$None"
        return settings

    def _session_preferences(self, account: str, region: str, get: Any) -> str | Gap | None:
        calls = get("ssm", "GetDocument", list[aws.GetDocumentCall])
        for call in calls or ():
            if call.request.name != SESSION_PREFERENCES_DOCUMENT:
                continue
            if call.error is not None:
                if call.error.code in ("InvalidDocument", "DocumentNotFound"):
                    return None  # no preferences saved: the defaults apply
                return self._call_error(
                    account, region, "ssm", "GetDocument", SESSION_PREFERENCES_DOCUMENT, call.error
                )
            if call.response is not None:
                return call.response.content or ""
        return None

    def _bucket_regions(self, account: str, region: str, get: Any) -> dict[str, str | Gap]:
        calls = get("s3", "GetBucketLocation", list[aws.BucketLocationCall])
        found: dict[str, str | Gap] = {}
        for call in calls or ():
            bucket = call.request.bucket
            if call.error is not None:
                found[bucket] = self._call_error(
                    account, region, "s3", "GetBucketLocation", bucket, call.error
                )
            elif call.response is not None:
                found[bucket] = call.response.region
        return found

    def _kms_keys(
        self, account: str, region: str, get: Any, gaps: Mapping[str, Gap]
    ) -> dict[str, KmsKey | Gap]:
        """The keys `DescribeKey` read, each with its key policy and grants (or their gaps)."""
        described = get("kms", "DescribeKey", list[aws.DescribeKeyCall])
        if described is None:
            return {}
        policies = get("kms", "GetKeyPolicy", list[aws.KeyPolicyCall])
        grant_lists = get("kms", "ListGrants", list[aws.ListGrantsCall])
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
                return self._call_error(account, region, "kms", op, arn, call.error)
            if call.response is None:
                return Gap(account, region, "kms", op, "failed", "no response recorded", arn)
            return getattr(call.response, attr)

        keys: dict[str, KmsKey | Gap] = {}
        for call in described:
            asked = call.request.key_id
            if call.error is not None:
                keys[asked] = self._call_error(
                    account, region, "kms", "DescribeKey", asked, call.error
                )
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

    # -- one account (global) -------------------------------------------------------------

    def account(self, account: str) -> AccountData:
        gaps: dict[str, Gap] = {}

        def get(service: str, operation: str, shape: type[T]) -> T | None:
            value = self.load(OperationKey(account, GLOBAL, service, operation), shape)
            if isinstance(value, Gap):
                gaps[operation] = value
                return None
            return value

        iam = get("iam", "GetAccountAuthorizationDetails", aws.GetAccountAuthorizationDetails)
        roles = {r.arn: r for r in (iam.role_detail_list if iam else ())}
        profile_roles = {p.arn: r for r in roles.values() for p in r.instance_profile_list}
        policies = {p.arn: p for p in (iam.policies if iam else ())}
        zones = get("route53", "ListHostedZones", aws.ListHostedZones)
        private_zones: list[PrivateZone] = []
        if zones is not None:
            details = get("route53", "GetHostedZone", list[aws.GetHostedZoneCall]) or []
            records = get("route53", "ListResourceRecordSets", list[aws.RecordSetsCall]) or []
            vpcs_by_zone: dict[str, tuple[aws.ZoneVpc, ...] | Gap] = {}
            for d in details:
                zid = d.request.id.rsplit("/", 1)[-1]
                if d.error is not None:
                    vpcs_by_zone[zid] = self._call_error(
                        account, GLOBAL, "route53", "GetHostedZone", zid, d.error
                    )
                elif d.response is not None:
                    vpcs_by_zone[zid] = d.response.vpcs
            records_by_zone: dict[str, tuple[aws.ResourceRecordSet, ...] | Gap] = {}
            for rc in records:
                zid = rc.request.hosted_zone_id.rsplit("/", 1)[-1]
                if rc.error is not None:
                    records_by_zone[zid] = self._call_error(
                        account, GLOBAL, "route53", "ListResourceRecordSets", zid, rc.error
                    )
                elif rc.response is not None:
                    records_by_zone[zid] = rc.response.resource_record_sets
            for zone in zones.hosted_zones:
                if not zone.is_private:
                    continue
                zid = zone.zone_id
                vpcs = vpcs_by_zone.get(zid)
                if vpcs is None:
                    vpcs = gaps.get("GetHostedZone") or Gap(
                        account, GLOBAL, "route53", "GetHostedZone", "missing", request=zid
                    )
                zone_records = records_by_zone.get(zid)
                if zone_records is None:
                    zone_records = gaps.get("ListResourceRecordSets") or Gap(
                        account, GLOBAL, "route53", "ListResourceRecordSets", "missing", request=zid
                    )
                private_zones.append(
                    PrivateZone(account=account, zone=zone, vpcs=vpcs, records=zone_records)
                )
        return AccountData(
            account=account,
            gaps=gaps,
            roles=roles,
            roles_by_name={r.role_name: r for r in roles.values()},
            profile_roles=profile_roles,
            managed_policies=policies,
            private_zones=tuple(private_zones),
        )
