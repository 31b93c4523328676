"""The HTML report in a real headless browser (Debian chromium driven by Playwright).

Skipped when /usr/bin/chromium or the playwright package is missing; CI installs them
with `apt-get install -y chromium` and `pip install playwright` (no browser download:
the system chromium is launched through `executable_path`).
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from report.report_cases import HOSTILE_NAME, Case
from ssmreach.analysis.verdict import FeatureResult, Verdict
from ssmreach.report.diagram_path import service_path
from ssmreach.report.html import render_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs `pip install playwright`")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def png_facts(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the pixel data) of a PNG, with the stdlib only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_report_in_chromium(browser: Any, spoke_case: Case, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_bytes(render_html(spoke_case.result, spoke_case.estate))
    page = browser.new_page(viewport=VIEWPORT)
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")

    assert problems == []
    assert requests == [page_file.as_uri()]  # nothing but the file itself
    assert page.evaluate("window.__xss") is None  # the hostile Name tag stayed text

    vpcs = {v for rd in spoke_case.estate.regions.values() for v in rd.vpcs}
    diagrams = page.locator("svg.vpc-diagram")
    assert diagrams.count() == len(vpcs)
    assert diagrams.first.is_visible()
    box = diagrams.first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150

    rows = page.locator("#matrix tbody tr.row")
    assert rows.count() == spoke_case.result.instances
    blocked = {r.instance for r in spoke_case.result.results if r.verdict is Verdict.BLOCKED}
    page.click('#verdict-filter button[data-verdict="BLOCKED"]')
    visible = page.locator("#matrix tbody tr.row:visible")
    assert {
        visible.nth(i).get_attribute("data-instance") for i in range(visible.count())
    } == blocked
    assert "showing 1 of 3 instances" in page.inner_text("#shown")

    # A click on a verdict opens its hop trace; a second click closes it.
    button = page.locator("#matrix tbody tr.row:visible button.verdict").first
    button.click()
    trace = page.locator("tr.trace-row .trace")
    assert trace.is_visible()
    assert page.locator("tr.trace-row .trace li").count() > 3
    assert "NACL_OUTBOUND_DENIED" in trace.inner_text()
    button.click()
    assert page.locator("tr.trace-row").count() == 0

    page.click('#verdict-filter button[data-verdict=""]')
    assert page.locator("#matrix tbody tr.row:visible").count() == spoke_case.result.instances
    page.select_option("#feature-filter", "core")
    assert page.locator("#matrix thead th[data-feature]:visible").count() == 1
    assert problems == []

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot))
    width, height, distinct = png_facts(shot.read_bytes())
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    assert distinct > 20  # not a blank page
    diagram_shot = tmp_path / "diagram.png"
    diagrams.first.screenshot(path=str(diagram_shot))
    assert png_facts(diagram_shot.read_bytes())[2] > 20
    keep = os.environ.get("SSMREACH_TEST_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for f in (page_file, shot, diagram_shot):
            shutil.copy(f, Path(keep) / f.name)
    page.close()


HIGHLIGHTED = """() => Array.from(document.querySelectorAll("svg.vpc-diagram .on-path")).map(n => ({
    tag: n.tagName.toLowerCase(),
    ref: n.getAttribute("data-resource") || n.getAttribute("data-instance"),
    subnet: n.closest("g.subnet") ? n.closest("g.subnet").getAttribute("data-resource") : null,
    stop: n.classList.contains("path-stop"),
}))"""


def _path_refs(result: FeatureResult) -> set[str]:
    """What the page must highlight for a result: its instance, its subnet, its path."""
    places = {p for p, _, _ in service_path(result.services) if p is not None}
    return places | {result.instance, result.subnet or ""}


def test_the_selected_result_path_in_chromium(
    browser: Any, spoke_case: Case, tmp_path: Path
) -> None:
    page_file = tmp_path / "path.html"
    page_file.write_bytes(render_html(spoke_case.result, spoke_case.estate))
    page = browser.new_page(viewport=VIEWPORT)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    results = spoke_case.result.results
    hostile = next(r for r in results if r.name == HOSTILE_NAME and r.feature == "core")
    other = next(r for r in results if r.name == "spoke-app" and r.feature == "core")
    edge = next(r for r in results if r.name == "edge-web" and r.feature == "core")
    assert hostile.verdict is Verdict.BLOCKED and edge.verdict is Verdict.INTERNET
    assert page.locator("svg.vpc-diagram .on-path").count() == 0
    assert page.locator("#path-bar").is_hidden()

    # A BLOCKED result: its path is highlighted and its stop is the denying network ACL.
    button = page.locator(f'button.verdict[data-key="{hostile.instance}|core"]')
    button.click()
    lit = page.evaluate(HIGHLIGHTED)
    assert {n["ref"] for n in lit} == _path_refs(hostile)
    stop = next(p for p, state, _ in service_path(hostile.services) if state == "stop")
    assert [(n["tag"], n["ref"], n["subnet"]) for n in lit if n["stop"]] == [
        ("tspan", stop, hostile.subnet)
    ]
    # the spoke's route table is drawn in both its subnets: only the instance's is lit
    route = next(h.resource for h in hostile.services[0].hops if h.step == "route")
    assert {n["subnet"] for n in lit if n["ref"] == route} == {hostile.subnet}
    assert other.instance not in {n["ref"] for n in lit}
    assert page.locator("svg.vpc-diagram.path-shown").count() == 2  # the spoke and its hub
    assert f"stops at {stop} (nacl-outbound)" in page.inner_text("#path-status")
    page.locator("tr.trace-row button.path-goto").click()
    assert page.locator("svg.vpc-diagram.path-shown").first.is_visible()

    # Another result moves the highlight: through the NAT gateway, with no stop.
    page.locator(f'button.verdict[data-key="{edge.instance}|core"]').click()
    lit = page.evaluate(HIGHLIGHTED)
    assert {n["ref"] for n in lit} == _path_refs(edge)
    assert any(s.via in {n["ref"] for n in lit} for s in edge.services)
    assert not any(n["stop"] for n in lit)
    assert hostile.instance not in {n["ref"] for n in lit}
    assert page.locator("svg.vpc-diagram.path-shown").count() == 1

    # Cleared by its button, by Escape, and by closing the result's trace.
    page.click("#path-clear")
    assert page.locator("svg.vpc-diagram .on-path").count() == 0
    assert page.locator("#path-bar").is_hidden()
    button.click()  # closes the hostile trace, still open
    button.click()
    assert page.locator("svg.vpc-diagram .on-path").count() > 0
    page.keyboard.press("Escape")
    assert page.locator("svg.vpc-diagram .on-path").count() == 0
    page.locator(f'button.verdict[data-key="{edge.instance}|core"]').click()  # closes it
    assert page.locator("svg.vpc-diagram .on-path").count() == 0
    page.locator(f'button.verdict[data-key="{edge.instance}|core"]').click()
    assert page.locator("svg.vpc-diagram .on-path").count() > 0
    page.locator(f'button.verdict[data-key="{edge.instance}|core"]').click()
    assert page.locator("svg.vpc-diagram .on-path").count() == 0
    assert problems == []
    keep = os.environ.get("SSMREACH_TEST_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(page_file, Path(keep) / page_file.name)
    page.close()


def _opened(browser: Any, page_file: Path, html: bytes) -> tuple[Any, list[str]]:
    """The page written to `page_file` and loaded, and the list its errors go to."""
    page_file.write_bytes(html)
    page = browser.new_page(viewport=VIEWPORT)
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def test_a_large_matrix_is_paged_in_chromium(browser: Any, tmp_path: Path) -> None:
    from scenario import one_vpc
    from ssmreach.analysis.engine import check_estate
    from ssmreach.report.html import AFFECTED_SHOWN

    e = one_vpc()
    names = [f"web-{n:03}" for n in range(250)]
    for name in names:
        e.b.instance(name, e.app, [e.app_sg], e.profile)
    estate = e.b.estate()
    result = check_estate(estate)
    page, problems = _opened(browser, tmp_path / "large.html", render_html(result, estate))

    rows = page.locator("#matrix tbody tr.row")
    assert rows.count() == 100  # one page drawn, not the whole estate
    assert page.locator("#pager").is_visible()
    assert page.inner_text("#page-status") == "page 1 of 3"
    assert "showing 1\u2013100 of 250 matching, 250 instances" in page.inner_text("#shown")
    first = rows.first.get_attribute("data-instance")
    page.click("#page-next")
    assert page.inner_text("#page-status") == "page 2 of 3"
    assert rows.first.get_attribute("data-instance") != first
    page.click("#page-next")
    assert rows.count() == 50
    assert page.locator("#page-next").is_disabled()

    # a search narrows the matrix to one page and hides the pager
    page.fill("#search", "web-137")
    assert rows.count() == 1 and page.locator("#pager").is_hidden()
    assert "showing 1 of 250 instances" in page.inner_text("#shown")
    page.fill("#search", "")

    # a finding on every instance lists the first ones and the rest on request; a link
    # to an instance on another page turns to its page
    finding = page.locator("article.finding").first
    finding.locator("details summary").click()
    assert finding.locator("ul.affected a").count() == AFFECTED_SHOWN
    finding.locator("button.show-more").click()
    assert finding.locator("ul.affected a").count() == 250
    last = finding.locator("ul.affected a").last
    target = last.get_attribute("data-goto")
    last.click()
    assert page.locator(f'#matrix tbody tr.row[data-instance="{target}"]').is_visible()
    assert page.inner_text("#page-status") == "page 3 of 3"

    # a verdict of the drawn page opens its trace
    rows.first.locator("button.verdict").first.click()
    assert page.locator("tr.trace-row .trace li").count() > 3
    assert problems == []
    page.close()


def test_many_diagrams_are_drawn_as_they_are_needed_in_chromium(
    browser: Any, tmp_path: Path
) -> None:
    from scenario import one_vpc
    from ssmreach.analysis.engine import check_estate
    from ssmreach.report.html import LAZY_DIAGRAMS

    e = one_vpc()
    e.b.instance("first", e.app, [e.app_sg], e.profile)
    last = ""
    for n in range(LAZY_DIAGRAMS + 5):
        vpc = e.b.vpc(f"10.{n + 10}.0.0/16")
        subnet = e.b.subnet(vpc, f"10.{n + 10}.1.0/24", "a")
        e.b.route_table(vpc, [subnet])
        last = e.b.instance(f"far-{n:02}", subnet, [e.b.sg(vpc, "app")], e.profile)
    estate = e.b.estate()
    result = check_estate(estate)
    page, problems = _opened(browser, tmp_path / "many.html", render_html(result, estate))
    vpcs = len(estate.regions[next(iter(estate.regions))].vpcs)
    assert page.locator("figure.diagram").count() == vpcs
    assert page.locator("svg.vpc-diagram").count() < vpcs  # the far ones wait

    # selecting a result draws the diagrams its path crosses
    page.locator(f'button.verdict[data-key="{last}|core"]').click()
    lit = page.evaluate(HIGHLIGHTED)
    assert last in {n["ref"] for n in lit}
    # scrolling through the diagrams draws them all
    for _ in range(vpcs):
        page.mouse.wheel(0, 2000)
    page.locator("figure.diagram").last.scroll_into_view_if_needed()
    page.wait_for_function(
        f"document.querySelectorAll('svg.vpc-diagram').length === {vpcs}", timeout=10_000
    )
    assert problems == []
    page.close()
