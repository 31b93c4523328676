"""The collector's calls grow with pages, not with resources, and call lists share one pool.

Page sizes are checked against the botocore service model (its `max` constraints, or its
documentation where the model has none). Calls are counted per operation with botocore's
`before-call` event on estates of three sizes, once with the table's page sizes and once
with pages of 5, so that the pages themselves show: a listing costs ceil(n / page size)
calls, a call list exactly one call per resource (per page of it, for paged ones).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import botocore.session
import pytest

from collect.collect_helpers import aws_env, moto, session_factory  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION
from collect.scale_estate import CallCounter, Size, build_scaled_estate, build_scaled_org
from ssmreach.collect import calls as calls_module
from ssmreach.collect import collect_organization, collect_snapshot
from ssmreach.collect.accounts import OrgRequest
from ssmreach.collect.calls import ACCOUNT_LISTING, CALLS, ORGANIZATION_DESCRIPTION, ApiCall
from ssmreach.collect.collector import CollectResult, ProgressEvent
from ssmreach.collect.task import CALL_WORKERS, batches
from ssmreach.model.raw import GLOBAL, OperationKey, RawOk

_BOTOCORE = botocore.session.get_session()

DOCUMENTED: dict[str, tuple[int | None, str]] = {
    # The model sets no maximum (or a wrong one): the documentation names it.
    "ec2:DescribeInstances": (1000, "We strongly recommend using only paginated requests"),
    "ec2:DescribeVpcEndpoints": (1000, "If the value is greater than 1,000, we return only 1,000"),
    "ec2:DescribeVpcEndpointServices": (
        1000,
        "If the value is greater than 1,000, we return only 1,000",
    ),
    "kms:ListGrants": (100, "it must be between 1 and 100"),  # the model says 1000
    "route53:ListHostedZones": (100, "list them in groups of up to 100"),
    "route53:ListResourceRecordSets": (300, "returns up to 300 resource record sets at a time"),
    "directconnect:DescribeDirectConnectGateways": (100, "larger than 100, only 100 results"),
    "directconnect:DescribeDirectConnectGatewayAssociations": (
        100,
        "larger than 100, only 100 results",
    ),
    # Left to the default: no maximum documented (AWS-managed lists: a few per Region), and
    # a default that is the maximum (moto fails when MaxResults is given).
    "ec2:DescribePrefixLists": (None, "The maximum number of results to return with a single"),
    "ec2:SearchTransitGatewayRoutes": (None, "If a value is not provided, the default is 1000"),
}
"""Operations whose largest page the service model does not bound: the page size and the
words of the model's documentation that say so. DescribeInstances is unbounded in the
model; 1000 is the page of the EC2 API's pagination guide."""

SIZES = (Size(vpcs=2, reservations=3, records=2), Size(8, 12, 9), Size(21, 38, 31))
SMALL_PAGE = 5
MOTO_PAGED = frozenset(
    {
        "ec2:DescribeInstances",
        "ec2:DescribeVpcEndpointServices",
        "route53:ListHostedZones",
        "route53:ListResourceRecordSets",
    }
)
"""The paged operations moto pages; it answers the others in one page whatever the page
size (so they cost one call here at any size)."""


def _pagination(call: ApiCall) -> dict[str, Any] | None:
    loader = _BOTOCORE.get_component("data_loader")
    config = loader.load_service_model(call.service, "paginators-1")["pagination"]
    found = config.get(call.operation)
    return dict(found) if found else None


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html or "").split())


def _model_maximum(call: ApiCall, limit_key: str) -> tuple[int | None, str]:
    """The page size the model allows at most, and the documentation of the operation and
    of its limit parameter."""
    operation = _BOTOCORE.get_service_model(call.service).operation_model(call.operation)
    assert operation.input_shape is not None
    member = operation.input_shape.members[limit_key]
    docs = _text(operation.documentation) + " " + _text(member.documentation)
    return member.metadata.get("max"), docs


def test_page_sizes_are_the_largest_each_operation_allows() -> None:
    paged = [(c, p) for c in (*CALLS, ACCOUNT_LISTING) if (p := _pagination(c)) is not None]
    assert len(paged) > 25
    for call, pagination in paged:
        maximum, docs = _model_maximum(call, pagination["limit_key"])
        expected, words = DOCUMENTED.get(call.api, (maximum, ""))
        assert words in docs, (call.api, words)
        assert expected is not None or call.api in DOCUMENTED, call.api
        assert call.page_size == expected, call.api
    info = next(c for c in CALLS if c.operation == "DescribeInstanceInformation")
    assert _model_maximum(info, "MaxResults")[0] == 50 == info.page_size  # the API's largest


def _small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    table = tuple(replace(c, page_size=SMALL_PAGE) if c.page_size else c for c in CALLS)
    monkeypatch.setattr(calls_module, "CALLS", table)


def _merged(result: CollectResult, call: ApiCall) -> Any:
    region = GLOBAL if call.scope == "global" else REGION
    raw = result.raw.files[OperationKey(ACCOUNT, region, call.service, call.operation)]
    return json.loads(raw.body) if isinstance(raw, RawOk) else None


def _pages(items: int, call: ApiCall) -> int:
    if call.api not in MOTO_PAGED or not call.page_size:
        return 1
    return max(1, math.ceil(items / call.page_size))


def _listing_items(result: CollectResult, call: ApiCall) -> int:
    pagination = _pagination(call)
    merged = _merged(result, call)
    if pagination is None or merged is None:
        return 0
    keys = pagination["result_key"]
    return max(len(merged.get(k, [])) for k in ([keys] if isinstance(keys, str) else keys))


def _expected_calls(result: CollectResult, call: ApiCall) -> int:
    """What `call` should cost: pages of its listing, or per resource of its call list."""
    if not call.is_call_list:
        return _pages(_listing_items(result, call), call)
    elements = _merged(result, call) or []
    if call.operation != "ListResourceRecordSets":
        return len(elements)  # one call per resource (the others are not paged in moto)
    return sum(_pages(len(e["Response"]["ResourceRecordSets"]), call) for e in elements)


def _collect(counter: CallCounter) -> CollectResult:
    factory = session_factory({"before-call": counter.handler()})
    return collect_snapshot([REGION], session_factory=factory)


@pytest.mark.usefixtures("moto")
@pytest.mark.parametrize("size", SIZES, ids=lambda s: s.label)
@pytest.mark.parametrize("pages", ["largest", "of-5"])
def test_calls_grow_with_pages_and_call_lists_with_resources(
    size: Size, pages: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_scaled_estate(size)
    if pages == "of-5":
        _small_pages(monkeypatch)
    counter = CallCounter()
    result = _collect(counter)
    assert sum(counter.sent.values()) == result.stats.calls  # the collector counts alike
    table = calls_module.CALLS
    sent = {c.api: counter[c.api] for c in table if counter[c.api]}
    assert sent == {c.api: _expected_calls(result, c) for c in table if c.api in sent}

    vpcs = size.vpcs + 1  # and the default VPC
    assert counter["ec2:DescribeVpcAttribute"] == 2 * vpcs
    assert counter["route53:GetHostedZone"] == size.vpcs
    assert counter["ec2:SearchTransitGatewayRoutes"] == size.vpcs + 1  # and the default table
    assert counter["ec2:DescribeInstances"] == (
        math.ceil(size.reservations / SMALL_PAGE) if pages == "of-5" else 1
    )
    records = size.records + 2  # and the zone's SOA and NS records
    assert counter["route53:ListResourceRecordSets"] == size.vpcs * (
        math.ceil(records / SMALL_PAGE) if pages == "of-5" else 1
    )
    listings = [c for c in table if not c.is_call_list and c.api not in MOTO_PAGED]
    assert all(counter[c.api] == 1 for c in listings)


def test_call_lists_that_read_each_other_never_share_a_run() -> None:
    runs = batches(CALLS)
    assert [c for run in runs for c in run] == list(CALLS)
    for run in runs:
        assert len(run) == 1 or all(c.is_call_list for c in run)
        names = {c.operation for c in run}
        assert not any({c.source, *c.also} & names for c in run), run
    together = {tuple(c.operation for c in run) for run in runs if len(run) > 1}
    assert ("GetHostedZone", "ListResourceRecordSets") in together
    assert ("GetKeyPolicy", "ListGrants", "GetBucketLocation") in together


@pytest.mark.usefixtures("moto")
def test_call_lists_of_every_task_share_one_bounded_pool() -> None:
    build_scaled_estate(Size(vpcs=12, reservations=0, records=1))
    state = {"now": 0, "most": 0}
    spans: dict[str, list[tuple[float, float]]] = {}
    lock = threading.Lock()
    local = threading.local()
    records_started = threading.Event()
    zone_waits: list[bool] = []

    def enter(model: Any, **_: Any) -> None:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        local.started = time.monotonic()
        if model.name == "ListResourceRecordSets":
            records_started.set()
        if model.name == "GetHostedZone":
            # Side by side, a record-set call starts while this zone call is still in
            # flight; one after the other, it never would, and the wait times out.
            zone_waits.append(records_started.wait(timeout=10))
        time.sleep(0.05)  # long enough for other calls to start meanwhile

    def leave(model: Any, **_: Any) -> None:
        with lock:
            state["now"] -= 1
            spans.setdefault(model.name, []).append((local.started, time.monotonic()))

    handlers: dict[str, Callable[..., None]] = {}
    for operation in (
        "ec2.DescribeVpcAttribute",
        "route53.GetHostedZone",
        "route53.ListResourceRecordSets",
    ):
        handlers[f"before-call.{operation}"] = enter
        handlers[f"after-call.{operation}"] = leave
    events: list[ProgressEvent] = []
    factory = session_factory(handlers)
    result = collect_snapshot([REGION], session_factory=factory, progress=events.append)
    assert 1 < state["most"] <= CALL_WORKERS
    # The two call lists on private zones run side by side: a record-set call starts
    # while the zone calls are in flight.
    assert zone_waits and all(zone_waits)
    assert spans["GetHostedZone"] and spans["ListResourceRecordSets"]
    # Progress carries the calls made: at the end, all of them, and none left.
    operations = [e for e in events if e.kind == "operation"]
    assert max(e.calls for e in operations) == result.stats.calls
    assert all(e.calls_left >= 0 for e in operations)
    assert events[0].kind == "start" and events[0].calls == 1  # GetCallerIdentity


ORG_TABLE = (
    *(
        replace(c, page_size=SMALL_PAGE) if c.operation == "DescribeInstances" else c
        for c in CALLS
        if c.operation in ("DescribeInstances", "DescribeVpcs", "DescribeVpcAttribute")
    ),
    ORGANIZATION_DESCRIPTION,
)
"""A table of four operations for the organization tests, instances read 5 a page: a
listing, a call list per VPC and the organization, in every account."""


@pytest.mark.usefixtures("moto")
@pytest.mark.parametrize("accounts", [3, 21])
def test_an_organization_costs_its_listing_pages_and_each_account_s_own(
    accounts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--org` adds the organization's listing (ListAccounts, 20 accounts a page) and one
    AssumeRole per member to what each account costs alone: its pages and its call lists.
    (docs/benchmarks.md, "Collection of an organization", has 50 accounts with every call.)"""
    instances = build_scaled_org(accounts)
    monkeypatch.setattr(calls_module, "CALLS", ORG_TABLE)
    counter = CallCounter()
    factory = session_factory({"before-call": counter.handler()})
    result = collect_organization(
        [REGION], OrgRequest(role_name="ssmreach-read"), session_factory=factory
    )
    assert not result.failed_accounts and len(result.raw.manifest.accounts) == accounts
    assert sum(counter.sent.values()) == result.stats.calls
    vpcs = {ACCOUNT: 1, **dict.fromkeys(instances, 2)}  # and each account's default VPC
    assert dict(counter.sent) == {
        "sts:GetCallerIdentity": 1,
        "organizations:ListAccounts": math.ceil(accounts / 20),
        "organizations:DescribeOrganization": 1 + accounts,  # the caller's first, then each
        "sts:AssumeRole": accounts - 1,
        "ec2:DescribeVpcs": accounts,
        "ec2:DescribeVpcAttribute": 2 * sum(vpcs.values()),
        "ec2:DescribeInstances": 1
        + sum(max(1, math.ceil(n / SMALL_PAGE)) for n in instances.values()),
    }
