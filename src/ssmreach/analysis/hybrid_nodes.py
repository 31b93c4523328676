"""Hybrid-activated nodes the check does not judge yet: named, never left out in silence.

`DescribeInstanceInformation` lists them (`ResourceType: ManagedInstance`, ids `mi-…`;
model/hybrid.py); verdicts cover EC2 instances only so far (docs/hybrid.md). One info
finding per account and Region says how many there are and names the first few.
"""

from __future__ import annotations

from ssmreach.analysis.reasons import reason
from ssmreach.analysis.verdict import Reason, Severity
from ssmreach.model.estate import Estate

SHOWN = 5  # node ids named in a finding; the rest are counted


def unchecked_hybrid_nodes(estate: Estate) -> tuple[Reason, ...]:
    findings: list[Reason] = []
    for _, region in sorted(estate.regions.items()):
        nodes = sorted(region.hybrid.nodes)
        if not nodes:
            continue
        named = ", ".join(nodes[:SHOWN])
        more = f" and {len(nodes) - SHOWN} more" if len(nodes) > SHOWN else ""
        plural = "s" * (len(nodes) != 1)
        findings.append(
            reason(
                "HYBRID_NODES_NOT_CHECKED",
                Severity.INFO,
                f"{region.account}/{region.region}",
                f"{len(nodes)} hybrid node{plural} ({named}{more}) not checked: verdicts "
                "cover EC2 instances only so far (docs/hybrid.md)",
            )
        )
    return tuple(findings)
