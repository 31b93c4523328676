"""Missing data names every read it lacks: a service result left UNKNOWN by a gap lists
every whole-account read of its path that is missing, so one collection run fixes all."""

from __future__ import annotations

import msgspec

from ssmreach.analysis.dns import gap_reason
from ssmreach.analysis.verdict import ServiceResult, Verdict
from ssmreach.model.estate import AccountData, RegionData

PATH_READS: tuple[tuple[str, str], ...] = (
    ("regional", "DescribeVpcAttribute"),
    ("regional", "DescribeDhcpOptions"),
    ("regional", "ListResolverRules"),
    ("regional", "ListResolverRuleAssociations"),
    ("global", "ListHostedZones"),
    ("regional", "DescribeRouteTables"),
    ("regional", "DescribeSecurityGroups"),
    ("regional", "DescribeNetworkAcls"),
    ("regional", "DescribeVpcEndpoints"),
    ("regional", "DescribeNetworkInterfaces"),
)
"""The whole-account reads every service path uses (DNS, route, security groups, network
ACLs, endpoints), in path order."""

GAP_CODES = frozenset({"DATA_MISSING", "READ_DENIED"})


def with_every_gap(
    result: ServiceResult, region: RegionData, account: AccountData
) -> ServiceResult:
    """A result left UNKNOWN by missing data names every read of its path that is missing,
    not only the first one the path stopped at, so that one collection run fixes them all."""
    if result.verdict is not Verdict.UNKNOWN or not any(
        r.code in GAP_CODES for r in result.reasons
    ):
        return result
    named = " ".join(r.message for r in result.reasons if r.code in GAP_CODES)
    extra = []
    for scope, operation in PATH_READS:
        gap = account.gap(operation) if scope == "global" else region.gap(operation)
        if gap is not None and gap.api not in named:
            extra.append(gap_reason(gap))
    if not extra:
        return result
    return msgspec.structs.replace(result, reasons=(*result.reasons, *extra))
