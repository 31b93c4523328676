"""Reports of an estate spanning accounts (an organisation, or a shared VPC): counts per
account in the text report, an account filter in the HTML report."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analysis.test_shared_subnets import OWNER, PARTICIPANT, shared_vpc
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.verdict import CheckResult
from ssmreach.model.estate import Estate
from ssmreach.model.raw import FORMAT, Manifest, RawSnapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.report.html import render_html
from ssmreach.report.text_report import render_text

CHROMIUM = Path("/usr/bin/chromium")


def _two_accounts() -> tuple[CheckResult, Estate]:
    s = shared_vpc()
    s.owner.instance("ops", s.subnet, [s.owner.sg(s.vpc, "ops")], s.owner.role("ssm-core"))
    files = {k: v for b in (s.owner, s.participant) for k, v in b.files().items()}
    manifest = Manifest(format=FORMAT, accounts=(PARTICIPANT, OWNER), regions=("us-east-1",))
    estate = parse_snapshot(RawSnapshot(manifest=manifest, files=files))
    return check_estate(estate, CheckOptions(features=("core",))), estate


def test_the_text_report_counts_each_account() -> None:
    result, _ = _two_accounts()
    text = render_text(result, width=120)
    table = text.split("\n\n")[0].splitlines()
    assert table[1].split()[:3] == ["account", "instances", "PRIVATE"]
    assert {line.split()[0] for line in table[2:]} == {OWNER, PARTICIPANT}
    assert all(line.split()[1:3] == ["1", "1"] for line in table[2:])


def test_one_account_has_no_account_table_or_filter() -> None:
    result, estate = _two_accounts()
    one = dataclasses.replace(
        result, results=tuple(r for r in result.results if r.account == OWNER)
    )
    assert "instances   PRIVATE" not in render_text(one)
    assert b'id="account-filter"' not in render_html(one, estate)
    assert b'id="account-filter"' in render_html(result, estate)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian chromium at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs `pip install playwright`")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        yield b
        b.close()


def test_the_html_account_filter_shows_one_account(browser: Any, tmp_path: Path) -> None:
    result, estate = _two_accounts()
    page_file = tmp_path / "report.html"
    page_file.write_bytes(render_html(result, estate))
    page = browser.new_page()
    page.goto(page_file.as_uri())
    assert page.locator("#matrix tbody tr.row:visible").count() == 2
    page.select_option("#account-filter", OWNER)
    visible = page.locator("#matrix tbody tr.row:visible")
    assert visible.count() == 1
    assert visible.first.get_attribute("data-account") == OWNER
    assert "showing 1 of 2 instances" in page.inner_text("#shown")
    page.close()
