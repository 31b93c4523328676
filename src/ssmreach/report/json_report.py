"""`--format json`: the `ssmreach.check/1` document (see check-output.md and its schema)."""

from __future__ import annotations

from collections.abc import Iterator
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
    return {**_result_head(r), "services": [_service(s) for s in r.services]}


def _result_head(r: FeatureResult) -> dict[str, Any]:
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
    }


def _header(result: CheckResult) -> dict[str, Any]:
    verdicts = (Verdict.PRIVATE, Verdict.INTERNET, Verdict.BLOCKED, Verdict.UNKNOWN)
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
            "verdicts": {v.value: result.count(v) for v in verdicts},
        },
    }


def check_document(result: CheckResult) -> dict[str, Any]:
    return {**_header(result), "results": [result_document(r) for r in result.results]}


def iter_json(result: CheckResult) -> Iterator[bytes]:
    """The document in chunks, one result per line, so that memory stays flat.

    Instances of one group share their ServiceResult objects, so each is encoded once
    and spliced into every result that holds it.
    """
    encoder = msgspec.json.Encoder()
    encoded: dict[int, bytes] = {}
    head = encoder.encode(_header(result))
    yield head[:-1] + b',"results":[\n'
    for index, r in enumerate(result.results):
        parts = []
        for service in r.services:
            chunk = encoded.get(id(service))
            if chunk is None:
                chunk = encoded[id(service)] = encoder.encode(_service(service))
            parts.append(chunk)
        body = encoder.encode(_result_head(r))
        yield (b",\n" if index else b"") + body[:-1] + b',"services":[' + b",".join(parts) + b"]}"
    yield b"\n]}\n"


def render_json(result: CheckResult) -> bytes:
    return b"".join(iter_json(result))
