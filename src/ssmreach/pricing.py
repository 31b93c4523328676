"""What the changes of a plan cost per month: interface endpoints per AZ-hour, hosted zones.

The prices live in `ssmreach/data/endpoint_pricing.json` with the page they come from
and the date they were read. Only the hourly charges are counted: data processing
depends on traffic, and gateway endpoints (S3) are free. A Region without a price of
its own uses the default, and the plan says the cost is approximate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["EndpointPrice", "PriceTable", "price_table"]


@dataclass(frozen=True, slots=True)
class EndpointPrice:
    """The hourly price of one interface endpoint in one AZ, in one Region."""

    region: str
    per_az_hour: float
    approximate: bool

    def monthly(self, azs: int, hours: int) -> float:
        return round(self.per_az_hour * azs * hours, 2)


@dataclass(frozen=True, slots=True)
class PriceTable:
    exact: dict[str, float]
    approximate: dict[str, float]
    default_per_az_hour: float
    hosted_zone_per_month: float
    hours_per_month: int
    sources: tuple[str, ...]
    date: str

    def endpoint(self, region: str) -> EndpointPrice:
        if region in self.exact:
            return EndpointPrice(region, self.exact[region], False)
        return EndpointPrice(
            region, self.approximate.get(region, self.default_per_az_hour), approximate=True
        )

    def interface_endpoint_monthly(self, region: str, azs: int) -> float:
        """Monthly cost of one interface endpoint in `azs` Availability Zones."""
        return self.endpoint(region).monthly(azs, self.hours_per_month)


def _floats(raw: object, what: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise ValueError(f"endpoint_pricing.json: {what} must be an object")
    return {str(k): float(v) for k, v in raw.items()}


@cache
def price_table() -> PriceTable:
    """The bundled price table, read once."""
    text = resources.files("ssmreach").joinpath("data", "endpoint_pricing.json").read_text("utf-8")
    data = json.loads(text)
    return PriceTable(
        exact=_floats(data["per_az_hour"], "per_az_hour"),
        approximate=_floats(data.get("approximate_per_az_hour", {}), "approximate_per_az_hour"),
        default_per_az_hour=float(data["default_per_az_hour"]),
        hosted_zone_per_month=float(data["hosted_zone_per_month"]),
        hours_per_month=int(data["hours_per_month"]),
        sources=tuple(str(s["url"]) for s in data["sources"]),
        date=str(data["date"]),
    )
