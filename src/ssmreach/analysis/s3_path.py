"""What is particular to S3 on a service path: the instance's own filters towards a gateway
endpoint (`gateway_checks`), why S3 is not reached privately (`s3_why_not_private`), and
a bucket in another Region, which no gateway endpoint serves (`bucket_region_hop`).
"""

from __future__ import annotations

from ssmreach.analysis.addresses import Place
from ssmreach.analysis.network import Leg, Node, check_own_subnet
from ssmreach.analysis.path_context import ServiceNeed
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.verdict import Hop, Outcome, Reason, Severity
from ssmreach.model import aws
from ssmreach.model.estate import BucketGone, Gap

SESSION_LOG = "session log"
"""The purpose of the Session Manager log bucket (`ServiceNeed.purpose`)."""


def _named(need: ServiceNeed) -> tuple[str, str, str]:
    """The buckets as messages name them, with their verb, and the reasons' resource."""
    buckets = need.buckets or ("?",)
    listed = ", ".join(buckets)
    if len(buckets) == 1:
        return f"the {need.purpose} bucket {listed}", "is", listed
    return f"the {need.purpose} buckets {listed}", "are", listed


def _local(need: ServiceNeed, here: str) -> str:
    """The first fix of a bucket in another Region: one in the node's Region instead."""
    if need.purpose == SESSION_LOG:
        return f"Log sessions to a bucket in {here}"
    return f"Send the {need.purpose} to a bucket in {here}"


def bucket_region_hop(
    leg: Leg, node: Node, need: ServiceNeed, endpoint: aws.VpcEndpoint | None
) -> None:
    """The user's bucket is in another Region (or its Region is not known): a gateway
    endpoint serves only requests to its own Region ("Gateway endpoints for Amazon S3":
    "Gateway endpoints support ... only in the same Region"), so the request needs a path
    to that Region's public S3 addresses (the network stage was computed for them).
    `endpoint`: the endpoint the network stage reached S3 through, if any."""
    named, verb, bucket = _named(need)
    here = node.region.region
    if isinstance(need.bucket_region, BucketGone):
        leg.finding(
            "bucket-region",
            bucket,
            Outcome.FAIL,
            "S3_BUCKET_NOT_FOUND",
            f"{named} does not exist (GetBucketLocation: NoSuchBucket): nothing is written",
            f"Create bucket {bucket} in {here}, or point the {need.purpose} at a bucket that exists.",
        )
        return
    if isinstance(need.bucket_region, Gap):
        if endpoint is not None and endpoint.is_gateway:
            gap = need.bucket_region
            leg.finding(
                "bucket-region",
                bucket,
                Outcome.UNKNOWN,
                gap.code,
                f"{named} {verb} reached through the gateway endpoint "
                f"{endpoint.vpc_endpoint_id}, which serves only buckets in {here}, and the "
                f"bucket's Region is not known: {gap.describe()}",
                "Collect the snapshot with s3:GetBucketLocation allowed.",
            )
        return
    other = need.bucket_region
    if leg.outcome is Outcome.FAIL:
        leg.reasons.append(
            reason(
                "S3_BUCKET_OTHER_REGION",
                Severity.ERROR,
                bucket,
                f"{named} {verb} in {other}, the node in {here}: gateway "
                f"endpoints serve only their own Region, and {node.vpc.vpc_id} has no path to "
                f"{other}'s S3",
                f"{_local(need, here)}, or give the instances a NAT path to S3 in {other}.",
            )
        )
    else:
        leg.add(
            Hop("bucket-region", bucket, Outcome.PASS, f"{bucket} {verb} in {other}"),
            reason(
                "S3_BUCKET_OTHER_REGION",
                Severity.WARNING,
                bucket,
                f"{named} {verb} in {other}, the node in {here}: a gateway "
                "endpoint cannot carry the request, which leaves the VPC by its other path",
                f"{_local(need, here)} to keep the traffic private.",
            ),
        )


def output_region_hop(leg: Leg, need: ServiceNeed) -> None:
    """An association names an `OutputS3Region` its bucket is not in: the agent addresses
    the bucket in that Region, and S3 refuses a request signed for another Region than
    the bucket's, so the output is not written whatever the path."""
    for m in need.region_mismatches:
        leg.finding(
            "output-region",
            m.bucket,
            Outcome.FAIL,
            "S3_OUTPUT_REGION_MISMATCH",
            f"{m.source} writes its output to bucket {m.bucket} with OutputS3Region {m.named}, "
            f"but the bucket is in {m.actual}",
            f"Set OutputS3Region of {m.source} to {m.actual} (or leave it out).",
        )


def gateway_checks(leg: Leg, node: Node, place: Place) -> None:
    """S3 through a gateway endpoint: the instance's own security groups and NACL must let it out."""
    check_own_subnet(leg, node, place, "to the S3 prefix list")


def s3_why_not_private(node: Node, service_name: str) -> list[Reason]:
    """Why S3 is reached over the internet: the VPC's gateway endpoint is not on the
    subnet's route table, or there is none."""
    gateways = [
        ep
        for ep in node.region.endpoints_by_vpc.get(node.vpc.vpc_id, ())
        if ep.service_name == service_name and ep.is_gateway
    ]
    rtb = node.region.subnet_route_table.get(
        node.subnet.subnet_id
    ) or node.region.main_route_table.get(node.vpc.vpc_id)
    if rtb is None:
        # The route table is not in the snapshot: the route hop says so; presume none here.
        return []
    if gateways:
        ep = gateways[0]
        return [
            reason(
                "GATEWAY_ENDPOINT_NOT_ROUTED",
                Severity.WARNING,
                ep.vpc_endpoint_id,
                f"S3 gateway endpoint {ep.vpc_endpoint_id} is not associated with {rtb}, the route table of {node.subnet.subnet_id}",
                f"Associate {ep.vpc_endpoint_id} with {rtb}.",
            )
        ]
    return [
        reason(
            "ENDPOINT_MISSING",
            Severity.WARNING,
            node.vpc.vpc_id,
            f"no S3 gateway endpoint serves {node.vpc.vpc_id}",
            f"Create an S3 gateway endpoint in {node.vpc.vpc_id} associated with {rtb}.",
        )
    ]
