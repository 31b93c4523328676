"""`--format json`: the `ssmreach.check/1` document (see check-output.md and its schema)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

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


def reason_item(r: Reason) -> dict[str, Any]:
    """A reason as the reports write it."""
    return {
        "code": r.code,
        "severity": str(r.severity),
        "resource": r.resource,
        "message": r.message,
        "fix": r.fix,
    }


def _hop(h: Hop) -> dict[str, Any]:
    return {"step": h.step, "resource": h.resource, "result": str(h.result), "detail": h.detail}


def service_item(s: ServiceResult) -> dict[str, Any]:
    """A service result with its hop trace, as the reports write it."""
    return {
        "service": s.service,
        "host": s.host,
        "verdict": str(s.verdict),
        "via": s.via,
        "reasons": [reason_item(r) for r in s.reasons],
        "hops": [_hop(h) for h in s.hops],
    }


def result_document(r: FeatureResult) -> dict[str, Any]:
    accepted = {"accepted": [msgspec.structs.asdict(a) for a in r.accepted]} if r.accepted else {}
    return {**_result_head(r), **accepted, "services": [service_item(s) for s in r.services]}


def _instance_fields(r: FeatureResult) -> dict[str, Any]:
    return {
        "instance": r.instance,
        "account": r.account,
        "region": r.region,
        "vpc": r.vpc,
        "subnet": r.subnet,
        "name": r.name,
        "state": r.state,
    }


def result_document_head(r: FeatureResult) -> dict[str, Any]:
    """A result's fields without its services (with `accepted` when a baseline marks it)."""
    head = _result_head(r)
    if r.accepted:
        head["accepted"] = [msgspec.structs.asdict(a) for a in r.accepted]
    return head


def _result_head(r: FeatureResult) -> dict[str, Any]:
    return {
        **_instance_fields(r),
        "feature": r.feature,
        "verdict": str(r.verdict),
        "reasons": [reason_item(x) for x in r.reasons],
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
            "not_running": result.not_running,
            "verdicts": {v.value: result.count(v) for v in verdicts},
            **({} if result.accepted is None else {"accepted": len(result.accepted)}),
        },
        # Findings about resources rather than instances (an addition to check/1).
        "estate_findings": [reason_item(r) for r in result.estate_findings],
    }


def check_document(result: CheckResult) -> dict[str, Any]:
    return {**_header(result), "results": [result_document(r) for r in result.results]}


_T = TypeVar("_T")


class _Repeats:
    """Encoded bytes of the objects met more than once (by identity: the results hold
    them all, so an id is not reused meanwhile); an object met once is not kept, so
    objects built for one result only (group_alias.py) cost no memory."""

    def __init__(self) -> None:
        self._kept: dict[int, bytes] = {}
        self._seen: set[int] = set()

    def get(self, obj: _T, encode: Callable[[_T], bytes]) -> bytes:
        key = id(obj)
        done = self._kept.get(key)
        if done is not None:
            return done
        done = encode(obj)
        if key in self._seen:
            self._kept[key] = done
        else:
            self._seen.add(key)
        return done


def iter_json(result: CheckResult) -> Iterator[bytes]:
    """The document as a stream of byte pieces, so that memory stays flat.

    Instances of one group share the tuples of their service results and reasons, so
    each is encoded once and the same bytes object is yielded for every result that
    holds it; the writer hands the pieces to the kernel without joining them. Tuples
    built apart (an instance whose groups another's stand for: group_alias.py) mostly
    hold shared service results and reasons, which are encoded once each too.
    """
    encoder = msgspec.json.Encoder()
    services, reasons = _Repeats(), _Repeats()
    service_items, reason_items = _Repeats(), _Repeats()

    hop_items = _Repeats()

    def one_hop(x: Hop) -> bytes:
        return hop_items.get(x, lambda y: encoder.encode(_hop(y)))

    def encode_service(x: ServiceResult) -> bytes:
        # service_item(x), encoded from its parts: a service result rebuilt for one
        # instance (group_alias.py) mostly holds hops and reasons already encoded.
        head = {"service": x.service, "host": x.host, "verdict": str(x.verdict), "via": x.via}
        return b"".join(
            (
                encoder.encode(head)[:-1],
                b',"reasons":',
                reason_list(x.reasons),
                b',"hops":[',
                b",".join(map(one_hop, x.hops)),
                b"]}",
            )
        )

    def one_service(x: ServiceResult) -> bytes:
        return service_items.get(x, encode_service)

    def one_reason(x: Reason) -> bytes:
        return reason_items.get(x, lambda y: encoder.encode(reason_item(y)))

    def reason_list(xs: tuple[Reason, ...]) -> bytes:
        return b"[" + b",".join(map(one_reason, xs)) + b"]"

    def service_list(xs: tuple[ServiceResult, ...]) -> bytes:
        return b"[" + b",".join(map(one_service, xs)) + b"]}"

    labels: dict[tuple[str, str], bytes] = {}
    head = encoder.encode(_header(result))
    yield head[:-1] + b',"results":[\n'
    placed: FeatureResult | None = None
    where = b""
    for index, r in enumerate(result.results):
        if placed is None or (r.instance, r.account, r.region) != (
            placed.instance,
            placed.account,
            placed.region,
        ):
            # Results come sorted by instance: its fields are encoded once for them all.
            placed, where = r, encoder.encode(_instance_fields(r))[:-1]
        label = labels.get((r.feature, r.verdict))
        if label is None:
            label = labels[(r.feature, r.verdict)] = (
                b"," + encoder.encode({"feature": r.feature, "verdict": str(r.verdict)})[1:-1]
            )
        listed = reasons.get(r.reasons, reason_list)
        tail = services.get(r.services, service_list)
        accepted = (
            b',"accepted":' + encoder.encode([msgspec.structs.asdict(a) for a in r.accepted])
            if r.accepted
            else b""
        )
        yield b"".join(
            (
                b",\n" if index else b"",
                where,
                label,
                b',"reasons":',
                listed,
                accepted,
                b',"services":',
            )
        )
        yield tail
    yield b"\n]}\n"


def render_json(result: CheckResult) -> bytes:
    return b"".join(iter_json(result))


COMPACT_FORMAT = "ssmreach.check-compact/1"


class DistinctLists:
    """Each distinct list (of service results, of reasons) encoded once, under a key.

    A list is looked up by identity first (results of one group share their tuples), then
    by its encoded bytes, so that equal lists built apart (an instance rebound from its
    group) still share one key. Only the encoded distinct lists are held: as many as the
    distinct configurations, not the instances, each once (`entries` writes them out).
    """

    def __init__(self, prefix: str, encoder: msgspec.json.Encoder) -> None:
        self.prefix = prefix
        self.encoder = encoder
        self.by_id: dict[int, str] = {}
        self.by_bytes: dict[bytes, str] = {}

    def key(self, items: tuple[Any, ...], encode: Callable[[Any], Any]) -> str:
        """The key of `items`, each item made a document by `encode`."""
        return self._keyed(items, lambda: [encode(x) for x in items])

    def item_key(self, item: Any, encode: Callable[[Any], Any]) -> str:
        """The key of one item (not a list), made a document by `encode`."""
        return self._keyed(item, lambda: encode(item))

    def _keyed(self, obj: object, document: Callable[[], Any]) -> str:
        found = self.by_id.get(id(obj))
        if found is None:
            body = self.encoder.encode(document())
            found = self.by_bytes.get(body)
            if found is None:
                found = self.by_bytes[body] = f"{self.prefix}{len(self.by_bytes) + 1}"
            self.by_id[id(obj)] = found
        return found

    def __len__(self) -> int:
        return len(self.by_bytes)

    def entries(self) -> Iterator[bytes]:
        """Each distinct list as a `"key":[...]` piece, in the order of their keys."""
        for body, key in self.by_bytes.items():
            yield self.encoder.encode(key) + b":" + body


def iter_compact_json(result: CheckResult, *, detail: str = "full") -> Iterator[bytes]:
    """The compact form (docs/compact-json.md): each distinct service result (with its hop
    trace) appears once, under `service_results`; each distinct list of them once, as a
    list of their keys, under `traces`; each distinct list of reasons once, under
    `reason_sets`, as a list of keys of `reason_items` (each distinct reason once); each result
    names its trace and its reasons by key. With
    `detail="failing"` PRIVATE results carry no trace (`"services": null`).

    Results stream first and the tables follow, so memory holds only the distinct lists:
    as many as the distinct configurations, not the instances.
    """
    encoder = msgspec.json.Encoder()
    traces, reason_sets = DistinctLists("t", encoder), DistinctLists("r", encoder)
    services, reasons = DistinctLists("s", encoder), DistinctLists("x", encoder)

    def service_key(x: ServiceResult) -> str:
        return services.item_key(x, service_item)

    def reason_key(x: Reason) -> str:
        return reasons.item_key(x, reason_item)

    head = {**_header(result), "format": COMPACT_FORMAT, "detail": detail}
    yield encoder.encode(head)[:-1] + b',"results":[\n'
    for index, r in enumerate(result.results):
        row = {**_instance_fields(r), "feature": r.feature, "verdict": str(r.verdict)}
        row["reasons"] = reason_sets.key(r.reasons, reason_key)
        if r.accepted:
            row["accepted"] = [msgspec.structs.asdict(a) for a in r.accepted]
        full = detail == "full" or r.verdict is not Verdict.PRIVATE
        row["services"] = traces.key(r.services, service_key) if full else None
        yield (b",\n" if index else b"") + encoder.encode(row)
    yield b'\n],"traces":{\n'
    yield from _joined(traces.entries())
    yield b'\n},"service_results":{\n'
    yield from _joined(services.entries())
    yield b'\n},"reason_sets":{\n'
    yield from _joined(reason_sets.entries())
    yield b'\n},"reason_items":{\n'
    yield from _joined(reasons.entries())
    yield b"\n}}\n"


def _joined(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """The pieces with `,\\n` between them, one at a time."""
    for index, piece in enumerate(pieces):
        yield (b",\n" if index else b"") + piece
