"""The HTML report: self-contained, escaped, one diagram per VPC, every instance present."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from report.report_cases import HOSTILE_NAME, Case
from ssmreach.report.diagram import vpc_diagrams
from ssmreach.report.html import AFFECTED_SHOWN, render_html, script_json
from ssmreach.report.json_report import result_document
from ssmreach.report.text_report import group_findings

SVG_NS = "{http://www.w3.org/2000/svg}"


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]
    classes: set[str] = field(default_factory=set)


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(Tag(tag, values, set(values.get("class", "").split())))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)

    def find(self, name: str, cls: str | None = None) -> list[Tag]:
        return [t for t in self.tags if t.name == name and (cls is None or cls in t.classes)]


def parse(case: Case) -> tuple[str, Collector]:
    page = render_html(case.result, case.estate).decode("utf-8")
    parser = Collector()
    parser.feed(page)
    parser.close()
    return page, parser


def blocks(parser: Collector) -> dict[str, Any]:
    """The page's JSON blocks by id (`rows`, `traces`)."""
    found = [t for t in parser.find("script") if t.attrs.get("type") == "application/json"]
    return {t.attrs["id"]: json.loads(text) for t, text in zip(found, parser.scripts, strict=False)}


def vpc_ids(case: Case) -> set[str]:
    return {v for rd in case.estate.regions.values() for v in rd.vpcs}


def test_nothing_is_loaded_from_the_network(any_case: Case) -> None:
    page, parser = parse(any_case)
    assert not parser.find("link")
    assert not parser.find("img")
    assert not parser.find("iframe")
    for tag in parser.tags:
        assert "src" not in tag.attrs, tag
        for attr in ("href", "xlink:href", "action", "poster", "data"):
            value = tag.attrs.get(attr)
            if value is not None:
                assert value.startswith("#"), (tag.name, attr, value)
        style = tag.attrs.get("style", "")
        assert "url(" not in style
    css = "".join(t for t in parser.text if "{" in t)
    assert "@import" not in css and "url(" not in css
    csp = next(
        t for t in parser.find("meta") if t.attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp.attrs["content"]
    assert page.startswith("<!doctype html>")


def test_one_diagram_per_vpc(any_case: Case) -> None:
    _, parser = parse(any_case)
    svgs = parser.find("svg", "vpc-diagram")
    assert {t.attrs["data-vpc"] for t in svgs} == vpc_ids(any_case)
    assert len(svgs) == len(vpc_ids(any_case))


def test_every_instance_is_in_the_matrix_and_the_diagrams(any_case: Case) -> None:
    _, parser = parse(any_case)
    instances = {r.instance for r in any_case.result.results}
    rows = blocks(parser)["rows"]["rows"]
    assert {row[0] for row in rows} == instances
    chips = {t.attrs["data-instance"] for t in parser.find("g", "instance")}
    assert instances <= chips
    cells = [cell for row in rows for cell in row[8] if cell is not None]
    assert len(cells) == len(any_case.result.results)


def documents(parser: Collector) -> dict[str, dict[str, Any]]:
    """Each result's document put back together from the page's blocks, as report.js
    does it (traceOf)."""
    data = blocks(parser)
    features, traces = data["rows"]["features"], data["traces"]
    out = {}
    for iid, name, account, region, vpc, subnet, state, _, cells in data["rows"]["rows"]:
        for feature, cell in zip(features, cells, strict=True):
            if cell is None:
                continue
            doc = {
                "instance": iid,
                "account": account,
                "region": region,
                "vpc": vpc,
                "subnet": subnet,
                "name": name,
                "state": state,
                "feature": feature,
                "verdict": cell[0],
                "reasons": traces["reasons"][cell[1]],
            }
            if len(cell) > 3:
                doc["accepted"] = cell[3]
            doc["services"] = traces["services"][cell[2]]
            assert cell[2] in traces["paths"]
            out[f"{iid}|{feature}"] = doc
    return out


def test_traces_travel_as_json_for_every_result(any_case: Case) -> None:
    _, parser = parse(any_case)
    ids = [
        t.attrs["id"] for t in parser.find("script") if t.attrs.get("type") == "application/json"
    ]
    assert ids == ["rows", "traces"]
    docs = documents(parser)
    # every result's document is in the page, as the JSON report writes it
    assert docs == {
        f"{r.instance}|{r.feature}": result_document(r) for r in any_case.result.results
    }
    # instances of one configuration share their lists: at most one list per result
    assert len(blocks(parser)["traces"]["services"]) <= len(docs)


def test_a_large_finding_lists_its_first_instances_and_the_rest_on_request() -> None:
    from scenario import one_vpc
    from ssmreach.analysis.engine import check_estate as _check

    e = one_vpc()
    many = AFFECTED_SHOWN + 7
    for n in range(many):
        e.b.instance(f"web-{n:03}", e.app, [e.app_sg], e.profile)
    estate = e.b.estate()
    result = _check(estate)
    page = render_html(result, estate).decode("utf-8")
    parser = Collector()
    parser.feed(page)
    findings = group_findings(result)
    big = [i for i, f in enumerate(findings) if len(f.instances) == many]
    assert big, "the scenario has a finding on every instance"
    more = blocks(parser)["rows"]["affected"]
    assert set(more) == {str(i) for i in big}
    buttons = parser.find("button", "show-more")
    assert {t.attrs["data-finding"] for t in buttons} == set(more)
    for index in big:
        assert len(more[str(index)]) == many - AFFECTED_SHOWN
    links = [t for t in parser.find("a") if t.attrs.get("data-goto")]
    assert len(links) == sum(min(len(f.instances), AFFECTED_SHOWN) for f in findings)


def test_findings_with_fix_and_affected_instances(default_sg_trap: Case) -> None:
    _, parser = parse(default_sg_trap)
    findings = group_findings(default_sg_trap.result)
    assert len(parser.find("article", "finding")) == len(findings)
    text = " ".join(parser.text)
    for f in findings:
        assert f.fix and f.fix in text
    links = [t.attrs["href"] for t in parser.find("a") if t.attrs.get("data-goto")]
    web = next(r.instance for r in default_sg_trap.result.results if r.name == "web")
    assert f"#row-{web}" in links


def test_hostile_name_tags_are_escaped(spoke_case: Case) -> None:
    page, parser = parse(spoke_case)
    assert len(parser.find("script")) == 3  # the two data blocks and the page's own script
    assert "<script>window.__xss" not in page
    assert not parser.find("img")
    assert any("<script>window.__xss=1</script>" in chunk for chunk in parser.text)
    assert not re.search(r"</script", parser.scripts[0], re.IGNORECASE)
    assert not re.search(r"</script", parser.scripts[1], re.IGNORECASE)
    assert any(doc["name"] == HOSTILE_NAME for doc in documents(parser).values())


def test_script_json_cannot_close_its_element() -> None:
    text = str(script_json({"a": "</script><!-- & \u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_diagrams_are_well_formed_svg_and_escape_names(spoke_case: Case) -> None:
    for d in vpc_diagrams(spoke_case.estate, spoke_case.result):
        root = ET.fromstring(d.svg)
        assert root.tag == f"{SVG_NS}svg"
        assert root.get("data-vpc") == d.vpc_id
        assert not root.findall(f".//{SVG_NS}script")
        assert not root.findall(f".//{SVG_NS}image")


def test_blocking_resources_are_highlighted(default_sg_trap: Case, spoke_case: Case) -> None:
    # default-sg-trap: the ssm and ssmmessages endpoints hold the default group that turns web away.
    _, parser = parse(default_sg_trap)
    flagged = {
        t.attrs["data-resource"]
        for t in parser.find("g", "blocking")
        if "endpoint-row" in t.classes
    }
    web = next(
        r for r in default_sg_trap.result.results if r.name == "web" and r.feature == "run-command"
    )
    vias = {s.via for s in web.services if s.service in ("ssm", "ssmmessages")}
    assert flagged == vias
    # hub and spoke: the subnet behind the denying network ACL.
    _, parser = parse(spoke_case)
    hostile = next(r for r in spoke_case.result.results if r.name == HOSTILE_NAME)
    subnets = {
        t.attrs["data-resource"] for t in parser.find("g", "subnet") if "blocking" in t.classes
    }
    assert subnets == {hostile.subnet}


def test_peering_links_are_drawn_both_ways(spoke_case: Case) -> None:
    _, parser = parse(spoke_case)
    links = parser.find("g", "peering")
    assert len(links) == 2  # the spoke's link to the hub and the hub's link to the spoke
    assert len({t.attrs["data-resource"] for t in links}) == 1
    text = " ".join(parser.text)
    assert "hub: 3 interface endpoints" in text


def test_vpcs_no_checked_instance_uses_are_drawn_only_when_asked() -> None:
    from scenario import one_vpc
    from ssmreach.analysis.engine import check_estate as _check
    from ssmreach.report.diagram import vpc_diagrams

    e = one_vpc()
    e.b.instance("web", e.app, [e.app_sg], e.profile)
    idle = e.b.vpc("10.7.0.0/16")
    estate = e.b.estate()
    result = _check(estate)
    drawn = {d.vpc_id for d in vpc_diagrams(estate, result)}
    assert e.vpc in drawn and idle not in drawn
    assert idle in {d.vpc_id for d in vpc_diagrams(estate, result, all_vpcs=True)}
