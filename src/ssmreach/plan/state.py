"""The planner's working state: the changes so far, what each fixes, the manual steps, the
designs, and what the parts hand each other (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ssmreach.analysis.verdict import Reason
from ssmreach.model.estate import Estate, RegionData
from ssmreach.plan.changes import Change, Finding
from ssmreach.plan.costs import Costs
from ssmreach.plan.manual import ManualSteps
from ssmreach.plan.plan import VpcDesign
from ssmreach.plan.shared import PlanOptions
from ssmreach.pricing import price_table


class PlanState:
    def __init__(self, estate: Estate, options: PlanOptions) -> None:
        self.estate = estate
        self.options = options
        self.costs = Costs(options.prices or price_table())
        self.partition = estate.partition or "aws"
        self.changes: dict[str, Change] = {}
        self.fixes: dict[str, set[Finding]] = defaultdict(set)
        self.manual = ManualSteps()
        self.designs: list[VpcDesign] = []
        # VPC -> (the endpoint group id or reference, change ids that make it)
        self.groups: dict[str, tuple[str, tuple[str, ...]]] = {}
        # (account, region, client VPC, service) -> (region, endpoint or reference, subnets)
        self.reach: dict[tuple[str, str, str, str], tuple[RegionData, str, tuple[str, ...]]] = {}
        self.nacl_reasons: dict[str, list[Reason]] = defaultdict(list)  # instance -> reasons

    def add(self, change: Change, fixes: Iterable[Finding] = ()) -> str:
        """Add a change (the first with its id stays) and what it fixes; return its id."""
        if change.id not in self.changes:
            self.changes[change.id] = change
        self.fixes[change.id].update(fixes)
        return change.id
