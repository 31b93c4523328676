"""`--format sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning and others).

One rule per reason code of the catalogue; one result per (instance, feature, reason).
Results carry their place in the estate twice: as logical locations (account, Region,
VPC, subnet, instance) and, because GitHub code scanning only displays results with a
physical location, as a synthetic relative artifact URI `ssmreach/ACCOUNT/REGION/INSTANCE`
that stays the same from run to run. `partialFingerprints` lets a dashboard recognise
the same finding across runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import msgspec

from ssmreach import __version__
from ssmreach.analysis.reasons import CATALOGUE, ReasonCode
from ssmreach.analysis.verdict import CheckResult, FeatureResult, Reason, Severity, Verdict

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "ssmreach"


def information_uri() -> str | None:
    """The project's own page: the `Homepage` of the installed distribution's
    `[project.urls]`, or None (SARIF's `informationUri` is then left out rather than
    pointing at a page that is not the project's)."""
    from importlib import metadata

    try:
        urls = metadata.metadata(TOOL_NAME).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() == "homepage" and url.strip().startswith("https://"):
            return url.strip()
    return None


FINGERPRINT_KEY = "ssmreachFinding/v1"

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SECURITY_SEVERITY = {Severity.ERROR: "7.0", Severity.WARNING: "4.0", Severity.INFO: "1.0"}
"""GitHub code scanning's `security-severity` (high from 7.0, medium from 4.0, low below)."""


def default_level(entry: ReasonCode) -> str:
    """The catalogue's usual severity of a code as a SARIF level."""
    return LEVEL[entry.default_level]


def _rule(entry: ReasonCode) -> dict[str, Any]:
    return {
        "id": entry.code,
        "name": "".join(part.capitalize() for part in entry.code.split("_")),
        "shortDescription": {"text": entry.code.replace("_", " ").capitalize()},
        "fullDescription": {"text": entry.meaning},
        "help": {
            "text": entry.fix,
            "markdown": f"**{entry.code}** ({entry.severity})\n\n{entry.meaning}\n\n**Fix:** {entry.fix}",
        },
        "defaultConfiguration": {"level": default_level(entry)},
        "properties": {
            "tags": ["aws", "ssm", "network"],
            "severity": entry.severity,
            "security-severity": SECURITY_SEVERITY[entry.default_level],
        },
    }


def _ad_hoc_rule(code: str) -> dict[str, Any]:
    """A rule for a code missing from the catalogue (never expected; kept valid anyway)."""
    return {
        "id": code,
        "shortDescription": {"text": code.replace("_", " ").capitalize()},
        "defaultConfiguration": {"level": "warning"},
    }


def _logical_locations(r: FeatureResult) -> list[tuple[str, str, str]]:
    """(kind, name, fullyQualifiedName) from the account down to the instance."""
    parts = [("account", r.account), ("region", r.region)]
    if r.vpc:
        parts.append(("vpc", r.vpc))
    if r.subnet:
        parts.append(("subnet", r.subnet))
    parts.append(("instance", r.instance))
    out = []
    path: list[str] = []
    for kind, name in parts:
        path.append(name)
        out.append((kind, name, "/".join(path)))
    return out


def artifact_uri(r: FeatureResult) -> str:
    """The synthetic relative URI of an instance: stable across runs and snapshot folders."""
    return f"ssmreach/{r.account}/{r.region}/{r.instance}"


def fingerprint(r: FeatureResult, reason: Reason) -> str:
    key = "\x1f".join(
        (
            r.account,
            r.region,
            r.instance,
            r.feature,
            reason.code,
            reason.resource or "",
            reason.fix or "",
        )
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _label(r: FeatureResult) -> str:
    return f"{r.name} ({r.instance})" if r.name else r.instance


class _Build:
    """What a SARIF run is built from: the rules (known before the results, so that the
    results can stream) and the logical locations the results name, as they come."""

    def __init__(self, result: CheckResult) -> None:
        self.rules = [_rule(entry) for entry in CATALOGUE]
        self.rule_index = {entry.code: i for i, entry in enumerate(CATALOGUE)}
        for r in result.results:
            for reason in r.reasons:
                if reason.code not in self.rule_index:  # never expected; kept valid anyway
                    self.rule_index[reason.code] = len(self.rules)
                    self.rules.append(_ad_hoc_rule(reason.code))
        self.logical: list[dict[str, Any]] = []
        self._logical_index: dict[str, int] = {}

    def logical_ref(self, kind: str, name: str, fqn: str, parent: int | None) -> dict[str, Any]:
        index = self._logical_index.get(fqn)
        if index is None:
            entry: dict[str, Any] = {"name": name, "fullyQualifiedName": fqn, "kind": kind}
            if parent is not None:
                entry["parentIndex"] = parent
            index = self._logical_index[fqn] = len(self.logical)
            self.logical.append(entry)
        return {"index": index, "name": name, "fullyQualifiedName": fqn, "kind": kind}

    def results(self, result: CheckResult) -> Iterator[dict[str, Any]]:
        for r in result.results:
            refs: list[dict[str, Any]] = []
            parent: int | None = None
            for kind, name, fqn in _logical_locations(r):
                ref = self.logical_ref(kind, name, fqn, parent)
                parent = ref["index"]
                refs.append(ref)
            if r.name:
                self.logical[refs[-1]["index"]].setdefault("properties", {"instanceName": r.name})
            seen: set[tuple[str, str | None, str, str | None]] = set()
            for reason in r.reasons:
                key = (reason.code, reason.resource, reason.message, reason.fix)
                if key not in seen:
                    seen.add(key)
                    yield self._result(r, reason, refs)

    def _result(
        self, r: FeatureResult, reason: Reason, refs: list[dict[str, Any]]
    ) -> dict[str, Any]:
        text = f"{_label(r)}, {r.feature} ({r.verdict.value}): {_sentence(reason.message)}"
        if reason.fix:
            text += f" Fix: {reason.fix}"
        return {
            "ruleId": reason.code,
            "ruleIndex": self.rule_index[reason.code],
            "level": LEVEL[reason.severity],
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(r)},
                        "region": {"startLine": 1},
                    },
                    "logicalLocations": refs,
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint(r, reason)},
            "properties": {
                "blockingResource": reason.resource,
                "fix": reason.fix,
                "feature": r.feature,
                "verdict": r.verdict.value,
                "account": r.account,
                "region": r.region,
                "vpc": r.vpc,
                "subnet": r.subnet,
                "instance": r.instance,
                "instanceName": r.name,
            },
        }


def _driver(build: _Build) -> dict[str, Any]:
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "version": __version__,
        "semanticVersion": __version__,
    }
    uri = information_uri()
    if uri is not None:
        driver["informationUri"] = uri
    driver["rules"] = build.rules
    return driver


def _run_properties(result: CheckResult) -> dict[str, Any]:
    return {
        "snapshot": {
            "source": result.source,
            "created": result.created,
            "accounts": list(result.accounts),
            "regions": list(result.regions),
        },
        "summary": {
            "instances": result.instances,
            "verdicts": {v.value: result.count(v) for v in Verdict},
        },
    }


def sarif_document(result: CheckResult) -> dict[str, Any]:
    build = _Build(result)
    results = list(build.results(result))
    run: dict[str, Any] = {
        "tool": {"driver": _driver(build)},
        "invocations": [{"executionSuccessful": True}],
        "results": results,
        "logicalLocations": build.logical,
        "properties": _run_properties(result),
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def iter_sarif(result: CheckResult) -> Iterator[bytes]:
    """The same document as `sarif_document`, streamed: one result per line, so that
    memory holds the rules and the logical locations, not every result."""
    encoder = msgspec.json.Encoder()
    build = _Build(result)
    head = {"$schema": SCHEMA_URI, "version": SARIF_VERSION}
    yield encoder.encode(head)[:-1] + b',"runs":[{"tool":{"driver":'
    yield encoder.encode(_driver(build))
    yield b'},"invocations":[{"executionSuccessful":true}],"results":[\n'
    yield from _Lines(build, encoder).lines(result)
    yield b'\n],"logicalLocations":' + encoder.encode(build.logical)
    yield b',"properties":' + encoder.encode(_run_properties(result)) + b"}]}\n"


_Piece = tuple[bytes, bytes, bytes, bytes]
"""A result's parts that depend on its reason, feature and verdict, not on its instance:
the head up to the message text, the text after the instance's label, the reason's end
of the fingerprint key and the properties up to the instance's own."""


class _Lines:
    """The results of `_Build.results`, encoded from parts: the parts that depend only on
    the instance (label, locations, its properties) once per instance, the parts that
    depend only on the reason, feature and verdict once per distinct list of reasons
    (instances of a group share it); each line joins them with its fingerprint."""

    def __init__(self, build: _Build, encoder: msgspec.json.Encoder) -> None:
        self.build = build
        self.encode = encoder.encode
        self.pieces: dict[tuple[int, str, Verdict], list[_Piece]] = {}
        self.piece: dict[tuple[Reason, str, Verdict], _Piece] = {}

    def lines(self, result: CheckResult) -> Iterator[bytes]:
        placed: tuple[str | None, ...] = ()
        label = locations = own = key = b""
        sep = b""
        for r in result.results:
            where = (r.account, r.region, r.vpc, r.subnet, r.instance, r.name)
            if where != placed:
                # Results come sorted by instance: its parts are encoded once for them all.
                placed = where
                label, locations, own, key = self._instance(r)
            pieces = self.pieces.get((id(r.reasons), r.feature, r.verdict))
            if pieces is None:
                pieces = self._reasons(r)
            for head, text, reason_key, properties in pieces:
                print_ = hashlib.sha256(key + reason_key).hexdigest()[:32].encode()
                yield b"".join((sep, head, label, text, locations, print_, properties, own))
                sep = b",\n"

    def _instance(self, r: FeatureResult) -> tuple[bytes, bytes, bytes, bytes]:
        refs: list[dict[str, Any]] = []
        parent: int | None = None
        for kind, name, fqn in _logical_locations(r):
            ref = self.build.logical_ref(kind, name, fqn, parent)
            parent = ref["index"]
            refs.append(ref)
        if r.name:
            self.build.logical[refs[-1]["index"]].setdefault("properties", {"instanceName": r.name})
        label = self.encode(f"{_label(r)}, ")[:-1]
        physical = {"artifactLocation": {"uri": artifact_uri(r)}, "region": {"startLine": 1}}
        locations = (
            b'},"locations":[{"physicalLocation":'
            + self.encode(physical)
            + b',"logicalLocations":'
            + self.encode(refs)
            + b'}],"partialFingerprints":{'
            + self.encode(FINGERPRINT_KEY)
            + b':"'
        )
        own = self.encode(
            {
                "account": r.account,
                "region": r.region,
                "vpc": r.vpc,
                "subnet": r.subnet,
                "instance": r.instance,
                "instanceName": r.name,
            }
        )
        key = "\x1f".join((r.account, r.region, r.instance, "")).encode()
        return label, locations, b"," + own[1:] + b"}", key

    def _reasons(self, r: FeatureResult) -> list[_Piece]:
        pieces: list[_Piece] = []
        seen: set[tuple[str, str | None, str, str | None]] = set()
        for reason in r.reasons:
            unique = (reason.code, reason.resource, reason.message, reason.fix)
            if unique not in seen:
                seen.add(unique)
                piece = self.piece.get((reason, r.feature, r.verdict))
                pieces.append(piece or self._piece(reason, r.feature, r.verdict))
        self.pieces[(id(r.reasons), r.feature, r.verdict)] = pieces
        return pieces

    def _piece(self, reason: Reason, feature: str, verdict: Verdict) -> _Piece:
        text = f"{feature} ({verdict.value}): {_sentence(reason.message)}"
        if reason.fix:
            text += f" Fix: {reason.fix}"
        head = {
            "ruleId": reason.code,
            "ruleIndex": self.build.rule_index[reason.code],
            "level": LEVEL[reason.severity],
        }
        properties = {
            "blockingResource": reason.resource,
            "fix": reason.fix,
            "feature": feature,
            "verdict": verdict.value,
        }
        reason_key = (feature, reason.code, reason.resource or "", reason.fix or "")
        piece = self.piece[(reason, feature, verdict)] = (
            self.encode(head)[:-1] + b',"message":{"text":',
            self.encode(text)[1:],
            "\x1f".join(reason_key).encode(),
            b'"},"properties":' + self.encode(properties)[:-1],
        )
        return piece


def render_sarif(result: CheckResult) -> bytes:
    return b"".join(iter_sarif(result))
