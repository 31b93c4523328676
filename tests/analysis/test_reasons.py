"""The reason catalogue: complete against the spec table, and the reference page in sync."""

from __future__ import annotations

import re
from pathlib import Path

from ssmreach.analysis.reasons import BY_CODE, CATALOGUE, reference_markdown
from ssmreach.analysis.verdict import Severity

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


# -- the catalogue is the one home of what a code means to every consumer -----------------


def test_every_entry_is_complete() -> None:
    for entry in CATALOGUE:
        assert entry.levels and entry.meaning and entry.fix, entry.code
        assert not (entry.unknown and Severity.WARNING not in entry.levels), entry.code
        assert not (entry.manual_on_private and not entry.manual), entry.code
        assert not (entry.manual and entry.nacl), entry.code


def test_a_plan_leaves_what_it_cannot_fix_to_a_person_and_says_why() -> None:
    from ssmreach.plan.planner import MANUAL_CODES, NACL_CODES

    # a code whose result is UNKNOWN, or that is about identity, the agent or a device the
    # snapshot does not model, is never "fixed" by a plan of network changes
    for code in (
        "DATA_MISSING",
        "READ_DENIED",
        "IAM_ACTION_DENIED",
        "NO_INSTANCE_PROFILE",
        "EGRESS_UNMODELED",
        "KMS_KEY_POLICY_DENIED",
        "AGENT_TOO_OLD",
    ):
        assert MANUAL_CODES.get(code), code
    assert set(NACL_CODES) == {"NACL_OUTBOUND_DENIED", "NACL_INBOUND_DENIED"}


def test_consumers_read_the_catalogue() -> None:
    from ssmreach.analysis.evidence import NETWORK_CODES, SETTLEABLE
    from ssmreach.report.diagram import ENDPOINT_SIDE
    from ssmreach.report.sarif import default_level

    assert {c.code for c in CATALOGUE if c.settleable} == SETTLEABLE
    assert {c.code for c in CATALOGUE if c.network} == NETWORK_CODES
    assert {c.code for c in CATALOGUE if c.side == "endpoint"} == ENDPOINT_SIDE
    assert default_level(BY_CODE["INTERNET_PATH"]) == "note"
    assert default_level(BY_CODE["EC2MESSAGES_RETIRED"]) == "warning"
    # the severity text of the reference page comes from the typed levels
    assert BY_CODE["CUSTOM_DNS_UNVERIFIED"].severity == "warning (UNKNOWN)"
    assert BY_CODE["ENDPOINT_MISSING"].severity == "error / warning"
