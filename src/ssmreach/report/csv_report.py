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


def _row(r: FeatureResult) -> list[str]:
    reasons = _all_reasons(r)
    first = next((x for x in reasons if x.severity is not Severity.INFO), None)
    codes = " ".join(dict.fromkeys(x.code for x in reasons))
    return [
        r.account,
        r.region,
        r.vpc or "",
        r.subnet or "",
        r.instance,
        r.name or "",
        r.state,
        r.feature,
        r.verdict.value,
        codes,
        (first.resource or "") if first else "",
        first.message if first else "",
        (first.fix or "") if first else "",
    ]


def iter_csv(result: CheckResult, batch: int = 1000) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n, r in enumerate(result.results, 1):
        writer.writerow(_row(r))
        if n % batch == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
