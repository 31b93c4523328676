"""Merge what `ssmreach probe` saw on nodes into a check result.

The model (the snapshot) cannot see custom or forwarded DNS answers, or where an
appliance sends traffic: it answers UNKNOWN there. A probe run on the node can:
its DNS answer, TCP 443, TLS and HTTPS results settle such a service to PRIVATE,
INTERNET or BLOCKED. Where model and probe disagree on something both can see,
that disagreement is itself a finding, `MODEL_PROBE_MISMATCH`, naming both sides.

What a probe cannot see (IAM and endpoint policies: its request is unsigned) never
overrides the model. Feature verdicts are recomputed after merging (worst of the
services and of the instance-level findings).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec

from ssmreach.analysis.reasons import BY_CODE, codes_where, reason
from ssmreach.analysis.verdict import (
    CheckResult,
    FeatureResult,
    Hop,
    Outcome,
    Reason,
    ServiceResult,
    Severity,
    Verdict,
    worst,
)
from ssmreach.errors import SsmreachError
from ssmreach.probe.document import PROBE_FORMAT, ProbeDocument, ProbeService, probe_document

# UNKNOWN causes a probe settles, and findings about the network path that a probe which
# reached AWS contradicts: both are fields of the reason catalogue.
SETTLEABLE = codes_where("settleable")
NETWORK_CODES = codes_where("network")
_OUTCOME = {
    "PRIVATE": Outcome.PASS,
    "INTERNET": Outcome.PASS,
    "BLOCKED": Outcome.FAIL,
    "UNKNOWN": Outcome.UNKNOWN,
}


# --- loading ---------------------------------------------------------------------------------


def _decode(path: Path, raw: bytes) -> Any:
    text = raw.strip()
    if text[:1] not in (b"{", b"["):
        # `--compress` output: base64 of gzip of the JSON (what --via-ssm collects).
        try:
            text = gzip.decompress(base64.b64decode(text, validate=True))
        except (binascii.Error, OSError, EOFError, ValueError) as exc:
            raise SsmreachError(
                f"{path}: not a probe document (neither JSON nor compressed probe output)"
            ) from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SsmreachError(f"{path}: not valid JSON ({exc})") from exc
    except RecursionError:
        raise SsmreachError(
            f"{path}: the JSON is nested too deeply to be a probe document"
        ) from None


def load_probe_documents(paths: Iterable[str | Path]) -> list[ProbeDocument]:
    """Read probe output files: one document, a JSON list of them, or compressed output.

    Every problem is an `SsmreachError` (exit 2) naming the file and what is wrong.
    """
    docs: list[ProbeDocument] = []
    for entry in paths:
        path = Path(entry)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise SsmreachError(
                f"{path}: cannot read the probe file ({exc.strerror or exc})"
            ) from exc
        data = _decode(path, raw)
        items = data if isinstance(data, list) else [data]
        if not items:
            raise SsmreachError(f"{path}: holds no probe document")
        for index, item in enumerate(items):
            where = f"{path}" if len(items) == 1 else f"{path} (document {index + 1})"
            if not isinstance(item, dict):
                raise SsmreachError(f"{where}: not a probe document (a JSON object is expected)")
            fmt = item.get("format")
            if fmt != PROBE_FORMAT:
                raise SsmreachError(
                    f"{where}: format is {fmt!r}, expected {PROBE_FORMAT!r} "
                    "(the output of `ssmreach probe --format json`)"
                )
            try:
                doc = probe_document(item)
            except msgspec.ValidationError as exc:
                raise SsmreachError(f"{where}: not a valid probe document ({exc})") from exc
            if not doc.instance:
                raise SsmreachError(
                    f"{where}: names no instance (the node had no metadata service); "
                    "run the probe again with --instance-id"
                )
            docs.append(doc)
    return docs


# --- merging ---------------------------------------------------------------------------------


def _reason(item: Any) -> Reason:
    """A probe reason as a check reason (codes the catalogue lacks keep their text)."""
    fix = item.fix or (BY_CODE[item.code].fix if item.code in BY_CODE else None)
    return Reason(
        code=item.code,
        severity=Severity(item.severity),
        resource=item.resource,
        message=item.message,
        fix=fix,
    )


def _summary(probe: ProbeService) -> str:
    steps = "; ".join(f"{h.step} {h.result}: {h.detail}" for h in probe.hops)
    return steps or f"{probe.host}: nothing observed"


def _probe_hop(doc: ProbeDocument, probe: ProbeService) -> Hop:
    when = doc.probe.started or "an unknown time"
    resource = probe.via or probe.connected or probe.proxy or probe.host
    return Hop(
        step="probe",
        resource=resource,
        result=_OUTCOME[probe.verdict],
        detail=f"on the node ({when}): {probe.verdict}; {_summary(probe)}",
    )


def _side(service: ServiceResult, codes: Sequence[str] = ()) -> str:
    shown = f"{service.verdict.value}"
    if service.via:
        shown += f" via {service.via}"
    if codes:
        shown += f" ({', '.join(codes)})"
    return shown


def _probe_side(probe: ProbeService) -> str:
    addresses = ", ".join(f"{a.address} ({a.kind})" for a in probe.addresses) or "no address"
    text = f"{probe.verdict}: {probe.host} resolves to {addresses}"
    failed = [h for h in probe.hops if h.result == "fail"]
    if failed:
        text += f"; {failed[0].step} failed: {failed[0].detail}"
    elif probe.verdict in ("PRIVATE", "INTERNET"):
        text += "; TCP 443, TLS and HTTPS worked"
    return text


def _mismatch(
    instance: str,
    service: ServiceResult,
    probe: ProbeService,
    severity: Severity,
    codes: Sequence[str] = (),
) -> Reason:
    resource = service.via or probe.via or probe.connected or service.host
    return reason(
        "MODEL_PROBE_MISMATCH",
        severity,
        resource,
        f"{service.service} on {instance}: the model says {_side(service, codes)}, "
        f"the probe on the node says {_probe_side(probe)}",
    )


def _probe_errors(probe: ProbeService) -> list[Reason]:
    return [_reason(r) for r in probe.reasons if r.severity == "error"]


def _probe_notes(probe: ProbeService) -> list[Reason]:
    return [_reason(r) for r in probe.reasons if r.severity != "error"]


def merge_service(instance: str, service: ServiceResult, doc: ProbeDocument) -> ServiceResult:
    """One service's model result with the probe's observation of it."""
    probe = doc.service(service.service)
    if probe is None:
        return service
    hops = (*service.hops, _probe_hop(doc, probe))
    model = service.verdict
    seen = probe.verdict
    reasons = list(service.reasons)
    verdict, via = model, service.via

    if seen == "UNKNOWN":
        return msgspec.structs.replace(service, hops=hops)

    observed = Verdict(seen)
    if model is Verdict.UNKNOWN:
        # what leaves the model UNKNOWN (a missing endpoint beside it says why the path is
        # not private, which the probe does not change)
        causes = {
            r.code
            for r in service.reasons
            if r.severity is Severity.WARNING and _unknown_code(r.code)
        }
        if causes and causes <= SETTLEABLE:
            settled = sorted(causes)
            reasons = [r for r in reasons if r.code not in SETTLEABLE]
            verdict = observed
            if observed is Verdict.BLOCKED:
                reasons.extend(_probe_errors(probe))
                via = None
            else:
                via = probe.via if observed is Verdict.PRIVATE else None
                reasons.append(
                    reason(
                        "PROBE_VERIFIED",
                        Severity.INFO,
                        probe.via or probe.connected or probe.host,
                        f"{service.service} on {instance}: the probe on the node settles "
                        f"{', '.join(settled)}: {_probe_side(probe)}"
                        + (
                            "; the endpoint policy was not evaluated for this path"
                            if observed is Verdict.PRIVATE and not probe.via
                            else ""
                        ),
                    )
                )
                reasons.extend(_probe_notes(probe))
        elif observed is Verdict.BLOCKED:
            verdict = Verdict.BLOCKED
            reasons.extend(_probe_errors(probe))
    elif model in (Verdict.PRIVATE, Verdict.INTERNET):
        if observed is Verdict.BLOCKED:
            verdict = Verdict.BLOCKED
            reasons.append(_mismatch(instance, service, probe, Severity.ERROR))
            reasons.extend(_probe_errors(probe))
        elif observed is model:
            if model is Verdict.PRIVATE and probe.via and service.via and probe.via != service.via:
                reasons.append(_mismatch(instance, service, probe, Severity.WARNING))
        elif model is Verdict.PRIVATE and service.service == "s3":
            pass  # an S3 gateway endpoint keeps the public addresses: nothing to contradict
        else:
            verdict = observed
            via = probe.via if observed is Verdict.PRIVATE else None
            reasons = [r for r in reasons if r.code != "INTERNET_PATH"]
            reasons.append(_mismatch(instance, service, probe, Severity.WARNING))
            reasons.extend(_probe_notes(probe))
    elif model is Verdict.BLOCKED and observed is not Verdict.BLOCKED:
        errors = [r for r in reasons if r.severity is Severity.ERROR]
        network = [r for r in errors if r.code in NETWORK_CODES]
        if network:
            codes = sorted({r.code for r in network})
            reasons.append(_mismatch(instance, service, probe, Severity.WARNING, codes))
            if len(network) == len(errors):
                verdict = observed
                via = probe.via if observed is Verdict.PRIVATE else None
                reasons = [r for r in reasons if r not in network]
                reasons.extend(_probe_notes(probe))
    return msgspec.structs.replace(
        service, verdict=verdict, via=via, reasons=tuple(_unique(reasons)), hops=hops
    )


def _unique(reasons: Iterable[Reason]) -> list[Reason]:
    seen: set[Reason] = set()
    out: list[Reason] = []
    for item in reasons:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _unknown_code(code: str) -> bool:
    entry = BY_CODE.get(code)
    return entry is not None and "UNKNOWN" in entry.severity


def _instance_verdict(result: FeatureResult) -> Verdict:
    """The part of a feature verdict that does not come from its services."""
    service_reasons = {r for s in result.services for r in s.reasons}
    own = [r for r in result.reasons if r not in service_reasons]
    verdicts = [Verdict.BLOCKED for r in own if r.severity is Severity.ERROR]
    verdicts += [
        Verdict.UNKNOWN for r in own if r.severity is Severity.WARNING and _unknown_code(r.code)
    ]
    from_services = worst([s.verdict for s in result.services])
    if not result.services or result.verdict.rank > from_services.rank:
        verdicts.append(result.verdict)
    return worst(verdicts)


def merge_feature(
    result: FeatureResult,
    doc: ProbeDocument,
    merged: dict[int, ServiceResult] | None = None,
) -> FeatureResult:
    """One (instance, feature) result with the probe of its instance merged in."""
    cache = merged if merged is not None else {}
    services = []
    for service in result.services:
        key = id(service)
        if key not in cache:
            cache[key] = merge_service(result.instance, service, doc)
        services.append(cache[key])
    base = _instance_verdict(result)
    service_reasons = {r for s in result.services for r in s.reasons}
    own = [r for r in result.reasons if r not in service_reasons]
    node = [_reason(r) for r in doc.reasons]
    node_verdict = worst([Verdict.BLOCKED for r in node if r.severity is Severity.ERROR])
    verdict = worst([base, node_verdict, *(s.verdict for s in services)])
    reasons = _unique(own + node + [r for s in services for r in s.reasons])
    return msgspec.structs.replace(
        result, verdict=verdict, reasons=tuple(reasons), services=tuple(services)
    )


def merge_probe_evidence(result: CheckResult, probes: Sequence[ProbeDocument]) -> CheckResult:
    """The check result with every probe merged into the results of its instance.

    A probe is tied to its instance by `node.instance`; when several probes name
    the same instance, the last one wins. Results of instances without a probe
    are returned unchanged.
    """
    by_instance: dict[str, ProbeDocument] = {}
    for probe in probes:
        if probe.instance:
            by_instance[probe.instance] = probe
    if not by_instance:
        return result
    caches: dict[str, dict[int, ServiceResult]] = {}
    results = []
    for item in result.results:
        doc = by_instance.get(item.instance)
        if doc is None:
            results.append(item)
            continue
        results.append(merge_feature(item, doc, caches.setdefault(item.instance, {})))
    return replace(result, results=tuple(results))
