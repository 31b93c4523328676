"""`--format csv`: one row per instance and feature, for spreadsheets (RFC 4180, UTF-8).

Columns: account, region, vpc, subnet, instance, name, state, feature, verdict, the
reason codes (space-separated, errors first), and the first error's (or else warning's)
resource, message and fix. The rows stream, one group at a time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ssmreach.analysis.verdict import CheckResult, FeatureResult, Reason, Severity

COLUMNS = (
    "account",
    "region",
    "vpc",
    "subnet",
    "instance",
    "name",
    "state",
    "feature",
    "verdict",
    "codes",
    "resource",
    "message",
    "fix",
)
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _all_reasons(r: FeatureResult) -> list[Reason]:
    seen: dict[Reason, None] = dict.fromkeys(r.reasons)
    for service in r.services:
        seen.update(dict.fromkeys(service.reasons))
    return sorted(seen, key=lambda x: _RANK[x.severity])


def _reason_fields(r: FeatureResult) -> list[str]:
    reasons = _all_reasons(r)
    first = next((x for x in reasons if x.severity is not Severity.INFO), None)
    codes = " ".join(dict.fromkeys(x.code for x in reasons))
    return [
        codes,
        (first.resource or "") if first else "",
        first.message if first else "",
        (first.fix or "") if first else "",
    ]


def _instance_fields(r: FeatureResult) -> list[str]:
    return [r.account, r.region, r.vpc or "", r.subnet or "", r.instance, r.name or "", r.state]


class _Fields:
    """Parts of rows in CSV, each written once: a field is quoted (or not) on its own, so
    a row is its parts joined by commas. Instances of a group share their reasons and
    service results, and so the last four fields."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        # The row's end decides quoting too: a field that holds one of its characters is quoted.
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def __call__(self, fields: list[str]) -> str:
        # Never fewer than two fields: a row of one empty field is written as "".
        self.writer.writerow(fields)
        out = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return out[:-2]


def iter_csv(result: CheckResult, batch: int = 1000) -> Iterator[bytes]:
    fields = _Fields()
    lines = [fields(list(COLUMNS)) + "\r\n"]
    tails: dict[tuple[int, int], str] = {}
    labels: dict[tuple[str, str], str] = {}
    placed: tuple[str | None, ...] = ()
    where = ""
    for r in result.results:
        if (r.account, r.region, r.vpc, r.subnet, r.instance, r.name, r.state) != placed:
            placed = (r.account, r.region, r.vpc, r.subnet, r.instance, r.name, r.state)
            where = fields(_instance_fields(r))
        label = labels.get((r.feature, r.verdict))
        if label is None:
            label = labels[(r.feature, r.verdict)] = fields([r.feature, r.verdict.value])
        tail = tails.get((id(r.reasons), id(r.services)))
        if tail is None:
            tail = tails[(id(r.reasons), id(r.services))] = fields(_reason_fields(r))
        lines.append(f"{where},{label},{tail}\r\n")
        if len(lines) >= batch:
            yield "".join(lines).encode("utf-8")
            lines = []
    yield "".join(lines).encode("utf-8")
