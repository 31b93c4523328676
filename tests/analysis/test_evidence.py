"""Unit tests of `analysis.evidence`: merging what a probe on a node saw into the model's
results, by hand-made results and probe documents (tests/probe/test_probe_merge.py runs
the real probe)."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from ssmreach.analysis.evidence import (
    load_probe_documents,
    merge_feature,
    merge_probe_evidence,
    merge_service,
)
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.verdict import (
    CheckResult,
    FeatureResult,
    Outcome,
    Reason,
    ServiceResult,
    Severity,
    Verdict,
    worst,
)
from ssmreach.errors import SsmreachError
from ssmreach.probe.document import PROBE_FORMAT, ProbeDocument, probe_document

IID = "i-0123456789abcdef0"


def service(
    verdict: Verdict, *reasons: Reason, name: str = "ssm", via: str | None = None
) -> ServiceResult:
    return ServiceResult(
        service=name,
        host=f"{name}.us-east-1.amazonaws.com",
        verdict=verdict,
        via=via,
        reasons=reasons,
        hops=(),
    )


def feature(*services: ServiceResult, own: tuple[Reason, ...] = ()) -> FeatureResult:
    return FeatureResult(
        instance=IID,
        account="111122223333",
        region="us-east-1",
        vpc="vpc-1",
        subnet="subnet-1",
        name=None,
        feature="core",
        verdict=worst([s.verdict for s in services] + [Verdict.BLOCKED for _ in own]),
        reasons=(*own, *(r for s in services for r in s.reasons)),
        services=services,
    )


def probe_data(
    verdict: str,
    *,
    name: str = "ssm",
    via: str | None = None,
    reasons: tuple[dict[str, Any], ...] = (),
    instance: str | None = IID,
) -> dict[str, Any]:
    return {
        "format": PROBE_FORMAT,
        "probe": {"started": "2026-01-05T10:00:00Z"},
        "node": {"instance": instance},
        "services": [
            {
                "service": name,
                "host": f"{name}.us-east-1.amazonaws.com",
                "verdict": verdict,
                "via": via,
                "addresses": [{"address": "10.0.11.5", "kind": "private"}],
                "hops": [{"step": "tcp", "result": "pass", "detail": "connected"}],
                "reasons": list(reasons),
            }
        ],
    }


def probe(verdict: str, **kw: Any) -> ProbeDocument:
    return probe_document(probe_data(verdict, **kw))


FORWARDED = reason("DNS_FORWARDED", Severity.WARNING, "rslvr-rr-1", "forwarded")
GAP = reason("DATA_MISSING", Severity.WARNING, "rtb-1", "route table not read")
NACL = reason("NACL_INBOUND_DENIED", Severity.ERROR, "acl-1", "rule 50 denies")
IAM = reason("IAM_ACTION_DENIED", Severity.ERROR, "role/r", "not allowed")


def codes(result: ServiceResult | FeatureResult) -> list[str]:
    return [r.code for r in result.reasons]


# -- one service --------------------------------------------------------------------------


def test_a_service_the_probe_did_not_test_is_unchanged() -> None:
    model = service(Verdict.UNKNOWN, FORWARDED)
    assert merge_service(IID, model, probe("PRIVATE", name="ssmmessages")) is model


def test_an_unknown_probe_answer_only_adds_its_hop() -> None:
    merged = merge_service(IID, service(Verdict.UNKNOWN, FORWARDED), probe("UNKNOWN"))
    assert merged.verdict is Verdict.UNKNOWN and codes(merged) == ["DNS_FORWARDED"]
    (hop,) = merged.hops
    assert hop.step == "probe" and hop.result is Outcome.UNKNOWN
    assert hop.detail.startswith("on the node (2026-01-05T10:00:00Z): UNKNOWN; tcp pass")


def test_the_probe_settles_what_only_the_node_can_see() -> None:
    """A forwarded DNS answer is outside the snapshot; the node's answer settles it."""
    merged = merge_service(
        IID, service(Verdict.UNKNOWN, FORWARDED), probe("PRIVATE", via="vpce-ssm")
    )
    assert merged.verdict is Verdict.PRIVATE and merged.via == "vpce-ssm"
    assert codes(merged) == ["PROBE_VERIFIED"]
    assert "settles DNS_FORWARDED" in merged.reasons[0].message


def test_a_private_answer_without_an_endpoint_says_the_endpoint_policy_was_not_judged() -> None:
    merged = merge_service(IID, service(Verdict.UNKNOWN, FORWARDED), probe("PRIVATE"))
    assert merged.verdict is Verdict.PRIVATE
    assert merged.reasons[0].message.endswith(
        "; the endpoint policy was not evaluated for this path"
    )


def test_the_probe_does_not_settle_a_read_the_snapshot_lacks() -> None:
    merged = merge_service(IID, service(Verdict.UNKNOWN, GAP, FORWARDED), probe("PRIVATE"))
    assert merged.verdict is Verdict.UNKNOWN
    assert codes(merged) == ["DATA_MISSING", "DNS_FORWARDED"]


def test_a_blocked_probe_blocks_an_unknown_model_with_the_probes_errors() -> None:
    failed = {"code": "PROBE_TCP_FAILED", "severity": "error", "message": "timed out"}
    merged = merge_service(IID, service(Verdict.UNKNOWN, GAP), probe("BLOCKED", reasons=(failed,)))
    assert merged.verdict is Verdict.BLOCKED
    assert codes(merged) == ["DATA_MISSING", "PROBE_TCP_FAILED"]
    assert merged.reasons[-1].fix  # the catalogue's fix fills a probe reason without one


def test_a_blocked_probe_contradicts_a_private_model() -> None:
    merged = merge_service(IID, service(Verdict.PRIVATE, via="vpce-ssm"), probe("BLOCKED"))
    assert merged.verdict is Verdict.BLOCKED
    (mismatch,) = merged.reasons
    assert mismatch.code == "MODEL_PROBE_MISMATCH" and mismatch.severity is Severity.ERROR
    assert "the model says PRIVATE via vpce-ssm, the probe on the node says BLOCKED" in (
        mismatch.message
    )


def test_a_different_endpoint_is_a_warning_and_keeps_the_verdict() -> None:
    merged = merge_service(
        IID, service(Verdict.PRIVATE, via="vpce-a"), probe("PRIVATE", via="vpce-b")
    )
    assert merged.verdict is Verdict.PRIVATE and merged.via == "vpce-a"
    assert [(r.code, r.severity) for r in merged.reasons] == [
        ("MODEL_PROBE_MISMATCH", Severity.WARNING)
    ]


def test_s3_through_a_gateway_endpoint_looks_public_from_the_node() -> None:
    """PrivateLink guide, "Gateway endpoints": S3 keeps its public addresses; the route
    table, not DNS, sends the traffic to the endpoint."""
    model = service(Verdict.PRIVATE, name="s3", via="vpce-s3")
    merged = merge_service(IID, model, probe("INTERNET", name="s3"))
    assert merged.verdict is Verdict.PRIVATE and merged.reasons == ()


def test_a_private_probe_overrides_an_internet_model_with_a_warning() -> None:
    internet = reason("INTERNET_PATH", Severity.INFO, "nat-1", "via NAT")
    merged = merge_service(
        IID, service(Verdict.INTERNET, internet), probe("PRIVATE", via="vpce-ssm")
    )
    assert merged.verdict is Verdict.PRIVATE and merged.via == "vpce-ssm"
    assert codes(merged) == ["MODEL_PROBE_MISMATCH"]


def test_a_probe_that_got_through_contradicts_network_findings_only() -> None:
    merged = merge_service(IID, service(Verdict.BLOCKED, NACL), probe("PRIVATE", via="vpce-ssm"))
    assert merged.verdict is Verdict.PRIVATE
    assert codes(merged) == ["MODEL_PROBE_MISMATCH"]
    assert "(NACL_INBOUND_DENIED)" in merged.reasons[0].message


def test_the_probe_cannot_see_iam_so_an_iam_denial_stays_blocked() -> None:
    """The probe's request is unsigned: it never shows what the role is allowed."""
    merged = merge_service(IID, service(Verdict.BLOCKED, NACL, IAM), probe("PRIVATE"))
    assert merged.verdict is Verdict.BLOCKED
    assert codes(merged) == ["NACL_INBOUND_DENIED", "IAM_ACTION_DENIED", "MODEL_PROBE_MISMATCH"]
    only_iam = merge_service(IID, service(Verdict.BLOCKED, IAM), probe("PRIVATE"))
    assert only_iam.verdict is Verdict.BLOCKED and codes(only_iam) == ["IAM_ACTION_DENIED"]


# -- features and whole results -----------------------------------------------------------


def test_a_feature_verdict_is_recomputed_from_its_merged_services() -> None:
    result = feature(service(Verdict.UNKNOWN, FORWARDED))
    merged = merge_feature(result, probe("PRIVATE", via="vpce-ssm"))
    assert merged.verdict is Verdict.PRIVATE
    assert codes(merged) == ["PROBE_VERIFIED"]


def test_an_instance_level_error_keeps_the_feature_blocked() -> None:
    no_profile = reason("NO_INSTANCE_PROFILE", Severity.ERROR, IID, "no profile")
    result = feature(service(Verdict.UNKNOWN, FORWARDED), own=(no_profile,))
    merged = merge_feature(result, probe("PRIVATE", via="vpce-ssm"))
    assert merged.verdict is Verdict.BLOCKED
    assert codes(merged) == ["NO_INSTANCE_PROFILE", "PROBE_VERIFIED"]


def _check(*results: FeatureResult) -> CheckResult:
    return CheckResult(
        accounts=("111122223333",),
        regions=("us-east-1",),
        created=None,
        source="test",
        instances=len(results),
        results=results,
    )


def test_probes_merge_into_their_own_instance_and_the_last_one_wins() -> None:
    unknown = feature(service(Verdict.UNKNOWN, FORWARDED))
    other = msgspec.structs.replace(unknown, instance="i-other")
    merged = merge_probe_evidence(
        _check(unknown, other), [probe("BLOCKED"), probe("PRIVATE", via="vpce-ssm")]
    )
    mine, theirs = merged.results
    assert mine.verdict is Verdict.PRIVATE
    assert theirs is other
    assert merge_probe_evidence(merged, []) is merged


# -- loading ------------------------------------------------------------------------------


def test_a_document_a_list_and_compressed_output_all_load(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(probe_data("PRIVATE")))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([probe_data("PRIVATE"), probe_data("BLOCKED", instance="i-2")]))
    packed = tmp_path / "packed.txt"
    raw = gzip.compress(json.dumps(probe_data("INTERNET")).encode())
    packed.write_bytes(base64.b64encode(raw) + b"\n")
    docs = load_probe_documents([one, many, packed])
    assert [d.instance for d in docs] == [IID, IID, "i-2", IID]
    assert [d.services[0].verdict for d in docs] == ["PRIVATE", "PRIVATE", "BLOCKED", "INTERNET"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not a probe document (neither JSON nor compressed probe output)"),
        ("{broken", "not valid JSON"),
        ("[]", "holds no probe document"),
        ("[1]", "not a probe document (a JSON object is expected)"),
        (json.dumps({"format": "other/1", "services": []}), "format is 'other/1'"),
        (json.dumps(probe_data("MAYBE")), "not a valid probe document"),
        (json.dumps(probe_data("PRIVATE", instance=None)), "names no instance"),
    ],
)
def test_every_problem_of_a_probe_file_names_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "probe.json"
    path.write_text(content)
    with pytest.raises(SsmreachError) as raised:
        load_probe_documents([path])
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)


def test_an_unreadable_probe_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SsmreachError, match="cannot read the probe file"):
        load_probe_documents([tmp_path / "absent.json"])
