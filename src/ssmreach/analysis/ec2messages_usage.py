"""ec2messages interface endpoints that no node of the snapshot needs (information, with cost).

Agents 3.3.40.0 and later no longer rely on ec2messages (retirement.py), so an ec2messages
endpoint that only such nodes can reach costs money for nothing. A node *may need* it when
it relies on ec2messages, or when its agent is not listed or its version is not known (not
judged: it counts as needing it). An endpoint is *used* when the DNS of a VPC holding such a
node answers the ec2messages name with it (its own VPC, or a spoke served by a hub). Nodes of
other accounts, or on premises, are not in the snapshot: the finding says so, and ssmreach
never deletes the endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ssmreach.analysis.dns import DnsAnswer
from ssmreach.analysis.features import AgentFacts
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.retirement import ec2messages_retirement, relies_on_ec2messages
from ssmreach.analysis.services import endpoint_service_name, service_host
from ssmreach.analysis.verdict import Reason, Severity
from ssmreach.model import aws
from ssmreach.model.estate import Estate, RegionData
from ssmreach.pricing import PriceTable

Resolver = Callable[[RegionData, aws.Vpc, str, str], DnsAnswer]
_GONE = ("deleted", "deleting", "failed", "rejected", "expired")


def may_need_ec2messages(agent: AgentFacts) -> bool:
    return not agent.listed or agent.version is None or relies_on_ec2messages(agent)


def unused_ec2messages_endpoints(
    estate: Estate,
    needing_vpcs: Iterable[tuple[RegionData, str]],
    resolve: Resolver,
    partition: str,
    prices: PriceTable,
) -> tuple[Reason, ...]:
    """One `EC2MESSAGES_ENDPOINT_UNUSED` per ec2messages endpoint no VPC of `needing_vpcs`
    (where a node may need ec2messages) resolves the ec2messages name to."""
    used: set[str] = set()
    for region, vpc_id in needing_vpcs:
        vpc = region.vpcs.get(vpc_id)
        host = service_host(region, "ec2messages", partition)
        if vpc is None or host is None:
            continue
        answer = resolve(region, vpc, host, endpoint_service_name(region.region, "ec2messages"))
        if answer.endpoint is not None:
            used.add(answer.endpoint.vpc_endpoint_id)
    fixed = ec2messages_retirement().fixed_in_text
    findings: list[Reason] = []
    for _key, region in sorted(estate.regions.items()):
        name = endpoint_service_name(region.region, "ec2messages")
        for endpoint in sorted(region.endpoints.values(), key=lambda e: e.vpc_endpoint_id):
            eid = endpoint.vpc_endpoint_id
            if (
                not endpoint.is_interface
                or endpoint.service_name != name
                or endpoint.state.lower() in _GONE
                or eid in used
            ):
                continue
            azs = max(1, len(endpoint.subnet_ids))
            price = prices.endpoint(region.region)
            monthly = price.monthly(azs, prices.hours_per_month)
            about = "about " if price.approximate else ""
            findings.append(
                reason(
                    "EC2MESSAGES_ENDPOINT_UNUSED",
                    Severity.INFO,
                    eid,
                    f"{eid} ({name} in {endpoint.vpc_id}) serves no node of this snapshot that needs ec2messages (every node it can serve runs agent {fixed} or later); it costs {about}{monthly:.2f} USD a month in {azs} Availability Zone(s) (prices of {prices.date})",
                    f"If no node of another account or on premises uses {eid}, delete it yourself (ssmreach never deletes anything).",
                )
            )
    return tuple(findings)
