"""The snapshot's API records, decoded once and edited in place by the translators.

`Records` reads an operation's file from the `RawSnapshot` the first time a translator
touches it and writes back only the files that changed (`changed_files`). An operation
the snapshot lacks or could not read stays as it was: a planned resource cannot be
laid over an answer that is not there, so `usable` says False and the translator notes
it, and the gap keeps the verdicts it touches UNKNOWN. With `alone` (no snapshot) the
network operations start empty: the plan is the whole network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from ssmreach.model.raw import GLOBAL, OperationKey, RawError, RawOk, RawSnapshot

LIST_KEYS: dict[tuple[str, str], str] = {
    ("ec2", "DescribeVpcs"): "Vpcs",
    ("ec2", "DescribeSubnets"): "Subnets",
    ("ec2", "DescribeRouteTables"): "RouteTables",
    ("ec2", "DescribeSecurityGroups"): "SecurityGroups",
    ("ec2", "DescribeNetworkAcls"): "NetworkAcls",
    ("ec2", "DescribeVpcEndpoints"): "VpcEndpoints",
    ("ec2", "DescribeNatGateways"): "NatGateways",
    ("ec2", "DescribeInternetGateways"): "InternetGateways",
    ("ec2", "DescribeInstances"): "Reservations",
    ("ec2", "DescribeNetworkInterfaces"): "NetworkInterfaces",
    ("ec2", "DescribeDhcpOptions"): "DhcpOptions",
    ("ec2", "DescribePrefixLists"): "PrefixLists",
    ("ec2", "DescribeVpcEndpointServices"): "ServiceDetails",
    ("route53", "ListHostedZones"): "HostedZones",
}
"""Each whole-account operation's answer: one list under this key."""

CALL_LISTS = frozenset(
    {
        ("ec2", "DescribeVpcAttribute"),
        ("route53", "GetHostedZone"),
        ("route53", "ListResourceRecordSets"),
    }
)
"""Call lists: a JSON array of `{"Request": ..., "Response": ...}`."""

NETWORK = frozenset(
    op
    for (service, op) in LIST_KEYS
    if service == "ec2" and op not in ("DescribeVpcEndpointServices", "DescribePrefixLists")
) | {"DescribeVpcAttribute", "DescribeNetworkInterfaces"}
"""What a plan alone describes completely (an empty answer means "none")."""


@dataclass(slots=True)
class _Loaded:
    data: Any
    usable: bool
    changed: bool = False


class Records:
    """Decoded answers for one account, edited by the translators."""

    def __init__(self, raw: RawSnapshot, account: str, *, alone: bool) -> None:
        self._raw = raw
        self.account = account
        self._alone = alone
        self._loaded: dict[OperationKey, _Loaded] = {}

    def _load(self, region: str, service: str, operation: str) -> _Loaded:
        key = OperationKey(
            self.account, GLOBAL if service == "route53" else region, service, operation
        )
        loaded = self._loaded.get(key)
        if loaded is not None:
            return loaded
        file = self._raw.files.get(key)
        empty: Any = (
            []
            if (service, operation) in CALL_LISTS
            else {LIST_KEYS.get((service, operation), "Items"): []}
        )
        if isinstance(file, RawOk):
            loaded = _Loaded(msgspec.json.decode(file.body), True)
        elif file is None and self._alone and (operation in NETWORK or service == "route53"):
            loaded = _Loaded(empty, True)
        else:
            loaded = _Loaded(empty, False)  # missing or an error file: left as it is
        self._loaded[key] = loaded
        return loaded

    def usable(self, region: str, service: str, operation: str) -> bool:
        return self._load(region, service, operation).usable

    def items(self, region: str, service: str, operation: str) -> list[dict[str, Any]]:
        """The answer's list, for reading (empty when the snapshot has no usable answer)."""
        loaded = self._load(region, service, operation)
        if (service, operation) in CALL_LISTS:
            return loaded.data if isinstance(loaded.data, list) else []
        value = (
            loaded.data.get(LIST_KEYS[(service, operation)])
            if isinstance(loaded.data, dict)
            else None
        )
        return value if isinstance(value, list) else []

    def edit(self, region: str, service: str, operation: str) -> list[dict[str, Any]] | None:
        """The answer's list, to change in place; None when the snapshot has no usable answer."""
        loaded = self._load(region, service, operation)
        if not loaded.usable:
            return None
        loaded.changed = True
        if (service, operation) in CALL_LISTS:
            return loaded.data  # type: ignore[no-any-return]
        return loaded.data.setdefault(LIST_KEYS[(service, operation)], [])  # type: ignore[no-any-return]

    def find(
        self, region: str, service: str, operation: str, key: str, value: str
    ) -> dict[str, Any] | None:
        for item in self.items(region, service, operation):
            if item.get(key) == value:
                return item
        return None

    def instances(self, region: str) -> Iterator[dict[str, Any]]:
        for reservation in self.items(region, "ec2", "DescribeInstances"):
            yield from reservation.get("Instances") or []

    def changed_files(self) -> dict[OperationKey, RawOk]:
        return {
            key: RawOk(msgspec.json.encode(loaded.data))
            for key, loaded in self._loaded.items()
            if loaded.changed
        }


def raw_error(raw: RawSnapshot, key: OperationKey) -> RawError | None:
    file = raw.files.get(key)
    return file if isinstance(file, RawError) else None
