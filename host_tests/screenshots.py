"""Phone-sized screenshots of the web UI for the README (docs/ui-*.png).

usage: .venv/bin/python -m host_tests.screenshots   (or: make screenshots)

The simulated Belgian meter first fills a day of history at full speed (about 75 s),
then runs in real time while headless Chromium takes the pictures."""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from host_tests.device import LOGIN, Device, wait_until
from host_tests.test_web_ui import CHROMIUM, FLAGS

DOCS = Path(__file__).resolve().parents[1] / "docs"
DAY = 86400


def main():
    with tempfile.TemporaryDirectory() as tmp:
        fill = Device(tmp, profile="be", speed=2000, count=DAY, start="2026-06-20T00:00:00", seed=4)
        wait_until(lambda: fill.meter.poll() is not None, 300, "a day of history")
        wait_until(lambda: fill.json("/about")["p1"]["telegrams"] == DAY, 60, "all telegrams")
        fill.stop()
        dev = Device(tmp, profile="be", speed=1, start="2026-06-21T13:07:00", seed=4)
        try:
            wait_until(lambda: dev.json("/about")["history"]["peak_rebuilt"], 30, "the peak")
            shots(dev)
        finally:
            dev.stop()


def shots(dev):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for locale, views in (("nl-BE", (("live", ""), ("day", "#d/2026-06-20"),
                                         ("month", "#m/2026-06"), ("quarter", "#q/2026-06-20/1300S"))),
                              ("en-GB", (("live-en", ""),))):
            ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale=locale,
                                      http_credentials={"username": LOGIN[0], "password": LOGIN[1]})
            page = ctx.new_page()
            for name, where in views:
                page.goto(dev.base + "/" + where)
                page.wait_for_function("document.getElementById('chart').dataset.points > 0")
                page.wait_for_timeout(500)
                page.screenshot(path=str(DOCS / ("ui-%s.png" % name)), full_page=True)
                print("docs/ui-%s.png" % name)
            ctx.close()
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
