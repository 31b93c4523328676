"""Measure how long an HTML report takes to open in headless Chromium.

    python scripts/html_load.py report.html [more.html ...]

For each file: the time until the page's `load` event (the file read, parsed and the
first page of the matrix drawn by its script), the time to open the first result's hop
trace (which parses the trace tables), and the JS heap in use after both. Needs Debian's
chromium at /usr/bin/chromium and `pip install playwright` (no browser download).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-precise-memory-info"]


def measure(browser: object, report: Path) -> tuple[float, float, float, int]:
    """Seconds to load, seconds to open a trace, JS heap MiB, rows drawn."""
    page = browser.new_page()  # type: ignore[attr-defined]
    start = time.perf_counter()
    page.goto(report.resolve().as_uri(), wait_until="load", timeout=600_000)
    loaded = time.perf_counter() - start
    rows = page.locator("#matrix tbody tr.row").count()
    start = time.perf_counter()
    page.locator("#matrix tbody tr.row button.verdict").first.click()
    page.wait_for_selector("tr.trace-row .trace", timeout=600_000)
    opened = time.perf_counter() - start
    heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
    page.close()
    return loaded, opened, heap / 2**20, rows


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]]
    if not files:
        raise SystemExit(__doc__)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        print(f"{'file':>30} {'MB':>7} {'load s':>7} {'trace s':>8} {'heap MiB':>9} {'rows':>5}")
        for report in files:
            loaded, opened, heap, rows = measure(browser, report)
            size = report.stat().st_size / 1e6
            print(
                f"{report.name:>30} {size:>7.1f} {loaded:>7.2f} {opened:>8.2f} {heap:>9.0f} {rows:>5}"
            )
        browser.close()


if __name__ == "__main__":
    main()
