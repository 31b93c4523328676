"""The reason catalogue: complete against the spec table, and the reference page in sync."""

from __future__ import annotations

import re
from pathlib import Path

from ssmreach.analysis.reasons import BY_CODE, CATALOGUE, reference_markdown

ROOT = Path(__file__).resolve().parents[2]
SPEC_CODES = {
    "ENDPOINT_MISSING",
    "ENDPOINT_NOT_AVAILABLE",
    "PRIVATE_DNS_DISABLED",
    "VPC_DNS_SUPPORT_DISABLED",
    "VPC_DNS_HOSTNAMES_DISABLED",
    "CUSTOM_DNS_UNVERIFIED",
    "DNS_FORWARDED",
    "PHZ_SHADOWS_SERVICE",
    "NO_ROUTE",
    "ROUTE_BLACKHOLE",
    "PEERING_NOT_ACTIVE",
    "NO_RETURN_ROUTE",
    "SG_EGRESS_DENIED",
    "SG_INGRESS_DENIED",
    "NACL_OUTBOUND_DENIED",
    "NACL_INBOUND_DENIED",
    "NAT_NO_INTERNET",
    "NO_PUBLIC_IP",
    "EGRESS_UNMODELED",
    "INTERNET_PATH",
    "ENDPOINT_POLICY_DENIED",
    "S3_BUCKET_NOT_ALLOWED",
    "S3_BUCKET_OTHER_REGION",
    "GATEWAY_ENDPOINT_NOT_ROUTED",
    "NO_INSTANCE_PROFILE",
    "IAM_ACTION_DENIED",
    "IAM_S3_GRANT_MISSING",
    "IMDS_DISABLED",
    "AGENT_OFFLINE",
    "AGENT_TOO_OLD",
    "DATA_MISSING",
    "READ_DENIED",
}


def test_catalogue_holds_every_spec_code_once() -> None:
    assert set(BY_CODE) >= SPEC_CODES
    assert len(BY_CODE) == len(CATALOGUE)
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]+", c.code) for c in CATALOGUE)


def test_reference_page_is_in_sync() -> None:
    assert (ROOT / "docs" / "reasons.md").read_text() == reference_markdown()


def test_every_code_raised_in_the_engine_is_catalogued() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "ssmreach" / "analysis").glob("*.py"))
    raised = set(re.findall(r'reason\(\s*"([A-Z_]+)"', source))
    assert raised and raised <= set(BY_CODE)
