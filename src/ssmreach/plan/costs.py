"""What the plan's changes cost each month, and whether a price is approximate (pure)."""

from __future__ import annotations

from ssmreach.plan.plan import Pricing
from ssmreach.pricing import PriceTable


class Costs:
    """Prices from the table, remembering whether any Region's price was approximate."""

    def __init__(self, prices: PriceTable) -> None:
        self.prices = prices
        self.approximate = False

    def interface_endpoint(self, region: str, azs: int) -> float:
        if self.prices.endpoint(region).approximate:
            self.approximate = True
        return self.prices.interface_endpoint_monthly(region, azs)

    @property
    def hosted_zone(self) -> float:
        return self.prices.hosted_zone_per_month

    def pricing(self) -> Pricing:
        tables = self.prices
        return Pricing(sources=tables.sources, date=tables.date, approximate=self.approximate)
