"""End-to-end: the Session Manager log bucket in another Region is never reached privately."""

from __future__ import annotations

from scenario import Estate1, codes, one_vpc, result_for
from ssmreach.analysis.verdict import FeatureResult, Verdict

BUCKET = "session-logs"


def _estate(
    *, bucket_region: str | None = None, nat: bool = False, endpoints: bool = True
) -> tuple[Estate1, str]:
    e = one_vpc(endpoints=endpoints)
    e.b.session_prefs = {"s3BucketName": BUCKET}
    if bucket_region:
        e.b.bucket_regions[BUCKET] = bucket_region
    if nat:
        e.b.internet_via_nat(e.vpc, e.rtb, "10.0.200.0/24")
    statements = [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    ]
    profile = e.b.role("logs", managed=None, inline={"s3": {"Statement": statements}})
    return e, e.b.instance("web", e.app, [e.app_sg], profile)


def _s3(r: FeatureResult) -> str:
    return next(s.verdict.value for s in r.services if s.service == "s3")


def test_a_bucket_in_the_node_region_goes_through_the_gateway_endpoint() -> None:
    e, iid = _estate()
    r = result_for(e.b, iid, "session-manager")
    assert _s3(r) == "PRIVATE" and "S3_BUCKET_OTHER_REGION" not in codes(r)


def test_a_bucket_in_another_region_without_nat_is_blocked_not_private() -> None:
    e, iid = _estate(bucket_region="eu-west-1")
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.BLOCKED
    found = next(x for x in r.reasons if x.code == "S3_BUCKET_OTHER_REGION")
    assert found.severity.value == "error" and "eu-west-1" in found.message


def test_a_bucket_in_another_region_with_nat_goes_over_the_internet() -> None:
    e, iid = _estate(bucket_region="eu-west-1", nat=True)
    r = result_for(e.b, iid, "session-manager")
    assert _s3(r) == "INTERNET"
    found = next(x for x in r.reasons if x.code == "S3_BUCKET_OTHER_REGION")
    assert found.severity.value == "warning"


def test_an_unread_bucket_region_over_the_gateway_endpoint_is_unknown() -> None:
    e, iid = _estate()
    e.b.denied.add("GetBucketLocation")
    r = result_for(e.b, iid, "session-manager")
    assert _s3(r) == "UNKNOWN"
    assert any("s3:GetBucketLocation" in x.message for x in r.reasons if x.code == "READ_DENIED")


def test_an_unread_bucket_region_over_nat_changes_nothing() -> None:
    e, iid = _estate(nat=True, endpoints=False)  # S3 goes through the NAT gateway
    e.b.omitted.add("GetBucketLocation")
    r = result_for(e.b, iid, "session-manager")
    assert _s3(r) == "INTERNET"


def test_a_deleted_session_log_bucket_is_an_error() -> None:
    e, iid = _estate()
    e.b.missing_buckets.add(BUCKET)
    r = result_for(e.b, iid, "session-manager")
    assert r.verdict is Verdict.BLOCKED and _s3(r) == "BLOCKED"
    assert "S3_BUCKET_NOT_FOUND" in codes(r)
