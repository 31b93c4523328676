"""Parse a `RawSnapshot` into an `Estate`: the one parser for offline and live checks.

Each file is decoded straight into the typed shapes of `ssmreach.model.aws` with
msgspec (fast, and a wrong shape is reported with its JSON path). A broken file
stops the read with a `SnapshotError` naming the file; an absent or failed
operation becomes a `Gap` that analysis turns into UNKNOWN.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from ssmreach.errors import SnapshotError
from ssmreach.model import aws, hybrid_reads
from ssmreach.model import region_reads as rr
from ssmreach.model.estate import (
    AccountData,
    Estate,
    Gap,
    PrivateZone,
    RegionData,
    gap_kind_for,
)
from ssmreach.model.raw import GLOBAL, OperationKey, RawError, RawOk, RawSnapshot, read_raw_snapshot
from ssmreach.model.region_reads import SESSION_PREFERENCES_DOCUMENT
from ssmreach.model.route_targets import TargetFacts, parse_route_targets
from ssmreach.model.validate import first_problem

__all__ = ["DHMC_SETTING", "SESSION_PREFERENCES_DOCUMENT", "load_snapshot", "parse_snapshot"]

T = TypeVar("T")

DHMC_SETTING = "/ssm/managed-instance/default-ec2-instance-management-role"

_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def load_snapshot(folder: str | Path) -> Estate:
    """Read and parse a snapshot folder."""
    return parse_snapshot(read_raw_snapshot(Path(folder), lazy=True))


def _homes(
    regions: Mapping[tuple[str, str], RegionData],
    listed: Callable[[RegionData], Mapping[str, Any]],
) -> dict[str, tuple[str, str]]:
    """Where each VPC or subnet is owned: the account named by its `OwnerId`, when that
    account's data lists it. A shared VPC and its subnets are listed by the owner and by
    every participant (AWS RAM), so "the last account that lists it" would be arbitrary."""
    homes: dict[str, tuple[str, str]] = {}
    for key, data in regions.items():
        for record_id, record in listed(data).items():
            current = homes.get(record_id)
            owned_here = getattr(record, "owner_id", None) == key[0]
            if current is None or (owned_here and current[0] != key[0]):
                homes[record_id] = key
    return homes


def _organization(reads: rr.Reads) -> str | Gap | None:
    found = reads.get("organizations", "DescribeOrganization", aws.DescribeOrganization)
    if found is not None:
        return found.organization.id
    gap = reads.gaps["DescribeOrganization"]
    if gap.detail.startswith(aws.NOT_IN_ORGANIZATION):
        del reads.gaps["DescribeOrganization"]
        return None
    return gap


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
    vpc_home = _homes(regions, lambda data: data.vpcs)
    subnet_home = _homes(regions, lambda data: data.subnets)
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
        subnet_home=subnet_home,
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
        """One account's files in one Region, read family by family into `RegionData`.

        The families are read in a fixed order, which is the order of `gaps`.
        """
        reads = rr.Reads(account, region, self.load)
        network = rr.network(reads)
        filters = rr.filters(reads)
        endpoints = rr.endpoints(reads)
        links = rr.links(reads)
        instances, information = rr.instances(reads)
        rules, rules_by_vpc = rr.resolver_rules(reads)
        route_targets = parse_route_targets(
            network.route_tables,
            TargetFacts(
                endpoints=endpoints.endpoints,
                endpoints_gap=reads.gaps.get("DescribeVpcEndpoints"),
                nat_gateways=links.nat_gateways,
                network_interfaces=endpoints.network_interfaces,
                instance_subnets={i.instance_id: i.subnet_id for i in instances if i.subnet_id},
            ),
        )
        return RegionData(
            account=account,
            region=region,
            gaps=reads.gaps,
            route_targets=route_targets,
            vpcs=network.vpcs,
            vpc_attributes=network.vpc_attributes,
            subnets=network.subnets,
            route_tables=network.route_tables,
            subnet_route_table=network.subnet_route_table,
            main_route_table=network.main_route_table,
            security_groups=filters.security_groups,
            default_security_group=filters.default_security_group,
            network_acls=filters.network_acls,
            subnet_network_acl=filters.subnet_network_acl,
            network_interfaces=endpoints.network_interfaces,
            endpoints=endpoints.endpoints,
            endpoints_by_vpc=endpoints.endpoints_by_vpc,
            endpoint_services=endpoints.endpoint_services,
            endpoint_service_names=endpoints.endpoint_service_names,
            dhcp_options=links.dhcp_options,
            peerings=links.peerings,
            nat_gateways=links.nat_gateways,
            internet_gateways=links.internet_gateways,
            egress_only_gateways=links.egress_only_gateways,
            prefix_lists=rr.prefix_lists(reads),
            tgw_attachments=links.tgw_attachments,
            tgw_routes=rr.tgw_routes(reads),
            instances=instances,
            instance_information=information,
            service_settings=(settings := rr.service_settings(reads)),
            session_preferences=rr.session_preferences(reads),
            kms_keys=rr.kms_keys(reads),
            bucket_regions=rr.bucket_regions(reads),
            output_sources=rr.output_sources(reads),
            resolver_rules=rules,
            resolver_rules_by_vpc=rules_by_vpc,
            hybrid=hybrid_reads.region_hybrid(reads, information, settings),
        )

    # -- one account (global) -------------------------------------------------------------

    def account(self, account: str) -> AccountData:
        reads = rr.Reads(account, GLOBAL, self.load)
        get, gaps = reads.get, reads.gaps
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
                    vpcs_by_zone[zid] = reads.call_gap("route53", "GetHostedZone", zid, d.error)
                elif d.response is not None:
                    vpcs_by_zone[zid] = d.response.vpcs
            records_by_zone: dict[str, tuple[aws.ResourceRecordSet, ...] | Gap] = {}
            for rc in records:
                zid = rc.request.hosted_zone_id.rsplit("/", 1)[-1]
                if rc.error is not None:
                    records_by_zone[zid] = reads.call_gap(
                        "route53", "ListResourceRecordSets", zid, rc.error
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
            organization=_organization(reads),
            roles=roles,
            roles_by_name={r.role_name: r for r in roles.values()},
            profile_roles=profile_roles,
            managed_policies=policies,
            private_zones=tuple(private_zones),
            direct_connect_gateways=hybrid_reads.direct_connect(reads),
        )
