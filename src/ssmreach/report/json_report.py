"""`--format json`: the `ssmreach.check/1` document (see check-output.md and its schema)."""

from __future__ import annotations

from typing import Any

import msgspec

from ssmreach.analysis.verdict import (
    CheckResult,
    FeatureResult,
    Hop,
    Reason,
    ServiceResult,
    Verdict,
)

FORMAT = "ssmreach.check/1"


def _reason(r: Reason) -> dict[str, Any]:
    return {
        "code": r.code,
        "severity": str(r.severity),
        "resource": r.resource,
        "message": r.message,
        "fix": r.fix,
    }


def _hop(h: Hop) -> dict[str, Any]:
    return {"step": h.step, "resource": h.resource, "result": str(h.result), "detail": h.detail}


def _service(s: ServiceResult) -> dict[str, Any]:
    return {
        "service": s.service,
        "host": s.host,
        "verdict": str(s.verdict),
        "via": s.via,
        "reasons": [_reason(r) for r in s.reasons],
        "hops": [_hop(h) for h in s.hops],
    }


def result_document(r: FeatureResult) -> dict[str, Any]:
    return {
        "instance": r.instance,
        "account": r.account,
        "region": r.region,
        "vpc": r.vpc,
        "subnet": r.subnet,
        "name": r.name,
        "feature": r.feature,
        "verdict": str(r.verdict),
        "reasons": [_reason(x) for x in r.reasons],
        "services": [_service(s) for s in r.services],
    }


def check_document(result: CheckResult) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "snapshot": {
            "accounts": list(result.accounts),
            "regions": list(result.regions),
            "created": result.created,
            "source": result.source,
        },
        "summary": {
            "instances": result.instances,
            "verdicts": {
                v.value: result.count(v)
                for v in (Verdict.PRIVATE, Verdict.INTERNET, Verdict.BLOCKED, Verdict.UNKNOWN)
            },
        },
        "results": [result_document(r) for r in result.results],
    }


def render_json(result: CheckResult) -> bytes:
    return msgspec.json.format(msgspec.json.encode(check_document(result)), indent=1) + b"\n"
