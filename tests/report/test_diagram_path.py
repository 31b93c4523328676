"""The path of a result on the diagrams: hops placed by their step, each place once with
its worst state, the stop of a BLOCKED service, and every place drawn by the diagrams."""

from __future__ import annotations

import json
import re

from report.report_cases import HOSTILE_NAME, Case
from ssmreach.analysis.verdict import Hop, Outcome, ServiceResult, Verdict
from ssmreach.report.diagram import vpc_diagrams
from ssmreach.report.diagram_path import INSTANCE, service_path
from ssmreach.report.html import render_html

PASS, FAIL, UNKNOWN = Outcome.PASS, Outcome.FAIL, Outcome.UNKNOWN


def service(
    verdict: Verdict, via: str | None, *hops: tuple[str, str | None, Outcome]
) -> ServiceResult:
    return ServiceResult(
        "ssm", "ssm.example", verdict, via, (), tuple(Hop(s, r, o, "") for s, r, o in hops)
    )


def test_a_peered_endpoint_behind_a_denying_acl_stops_at_the_acl() -> None:
    s = service(
        Verdict.BLOCKED,
        "vpce-hub",
        ("dns", "Z123", PASS),  # a hosted zone: not drawn
        ("route", "rtb-own", PASS),
        ("peering", "pcx-1", PASS),
        ("return-route", "rtb-hub", PASS),
        ("sg-egress", "sg-own", PASS),
        ("sg-ingress", "sg-endpoint", PASS),
        ("nacl-outbound", "acl-own", FAIL),
        ("nacl-inbound", "acl-hub", PASS),
        ("nacl-inbound", "acl-own", PASS),
    )
    assert service_path([s]) == [
        ("rtb-own", "pass", "route"),
        ("pcx-1", "pass", "peering"),
        ("rtb-hub", "pass", "return-route"),
        (INSTANCE, "pass", "sg-egress"),
        ("vpce-hub", "pass", "sg-ingress"),
        ("acl-own", "stop", "nacl-outbound"),
        ("acl-hub", "pass", "nacl-inbound"),
    ]


def test_the_endpoints_own_group_and_policy_are_the_endpoint() -> None:
    s = service(
        Verdict.BLOCKED,
        "vpce-1",
        ("dns", "vpce-1", PASS),
        ("route", "rtb-1", PASS),
        ("sg-ingress", "sg-default", FAIL),
        ("endpoint-policy", "vpce-1", FAIL),
    )
    assert service_path([s]) == [("vpce-1", "stop", "sg-ingress"), ("rtb-1", "pass", "route")]


def test_a_hop_the_diagram_does_not_draw_stops_where_the_traffic_last_was() -> None:
    tgw = service(
        Verdict.BLOCKED,
        "vpce-hub",
        ("route", "rtb-1", PASS),
        ("transit-gateway", "tgw-rtb-1", FAIL),
    )
    assert service_path([tgw]) == [("rtb-1", "stop", "transit-gateway")]
    dns = service(Verdict.BLOCKED, None, ("dns", None, FAIL))
    assert service_path([dns]) == [(INSTANCE, "stop", "dns")]
    role = service(Verdict.BLOCKED, "vpce-1", ("dns", "vpce-1", PASS), ("iam", "arn:role", FAIL))
    assert service_path([role]) == [("vpce-1", "pass", "dns"), (INSTANCE, "stop", "iam")]


def test_internet_paths_and_gateway_endpoints() -> None:
    nat = service(
        Verdict.INTERNET,
        "nat-1",
        ("dns", "vpc-1", PASS),  # a public answer: nothing to draw
        ("route", "rtb-1", PASS),
        ("nat", "nat-1", PASS),
        ("nacl", "acl-own,acl-nat", PASS),
    )
    assert service_path([nat]) == [
        ("rtb-1", "pass", "route"),
        ("nat-1", "pass", "nat"),
        ("acl-own", "pass", "nacl"),
        ("acl-nat", "pass", "nacl"),
    ]
    # a gateway endpoint is named by no hop, only by the service's via
    s3 = service(Verdict.PRIVATE, "vpce-s3", ("route", "rtb-1", PASS))
    assert service_path([s3]) == [("rtb-1", "pass", "route"), ("vpce-s3", "pass", "via")]


def test_services_share_places_with_their_worst_state() -> None:
    ok = service(Verdict.PRIVATE, "vpce-1", ("route", "rtb-1", PASS), ("dns", "vpce-1", PASS))
    unsure = service(Verdict.UNKNOWN, "vpce-2", ("route", "rtb-1", UNKNOWN))
    blocked = service(Verdict.BLOCKED, "vpce-3", ("route", "rtb-1", FAIL))
    assert service_path([ok, unsure]) == [
        ("rtb-1", "unknown", "route"),
        ("vpce-1", "pass", "dns"),
        ("vpce-2", "pass", "via"),
    ]
    assert service_path([ok, unsure, blocked])[0] == ("rtb-1", "stop", "route")
    # an UNKNOWN service does not stop: its failed hop is only a failed hop
    odd = service(Verdict.UNKNOWN, None, ("route", "rtb-9", FAIL))
    assert service_path([odd]) == [("rtb-9", "fail", "route")]


def test_default_sg_trap_stops_at_the_endpoints_that_turn_web_away(default_sg_trap: Case) -> None:
    web = next(
        r for r in default_sg_trap.result.results if r.name == "web" and r.feature == "run-command"
    )
    stops = {place for place, state, _ in service_path(web.services) if state == "stop"}
    assert stops == {s.via for s in web.services if s.verdict is Verdict.BLOCKED}


def _drawn(case: Case) -> set[str]:
    svg = "".join(d.svg for d in vpc_diagrams(case.estate, case.result))
    return set(re.findall(r'data-(?:resource|instance)="([^"]+)"', svg))


def test_every_place_of_every_path_is_drawn(any_case: Case) -> None:
    drawn = _drawn(any_case)
    for r in any_case.result.results:
        places = {p for p, _, _ in service_path(r.services) if p is not INSTANCE}
        assert places <= drawn, (r.instance, r.feature, places - drawn)
        assert r.instance in drawn and r.subnet in drawn


def test_the_page_carries_one_path_per_list_of_services(spoke_case: Case) -> None:
    page = render_html(spoke_case.result, spoke_case.estate).decode("utf-8")
    block = re.search(r'<script type="application/json" id="traces">(.*?)</script>', page, re.S)
    assert block
    data = json.loads(block.group(1))
    assert set(data["paths"]) == set(data["services"])
    hostile = next(
        r for r in spoke_case.result.results if r.name == HOSTILE_NAME and r.feature == "core"
    )
    rows = re.search(r'<script type="application/json" id="rows">(.*?)</script>', page, re.S)
    assert rows
    table = json.loads(rows.group(1))
    row = next(r for r in table["rows"] if r[0] == hostile.instance)
    key = row[8][table["features"].index("core")][2]
    assert data["paths"][key] == [list(step) for step in service_path(hostile.services)]
    # the subnet's route table and network ACL are drawn as their own elements
    assert re.search(r'<tspan data-resource="acl-[0-9a-f]+">', page)
