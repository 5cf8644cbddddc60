"""Phone-sized screenshots of the web UI for the README (docs/ui-*.png).

usage: .venv/bin/python -m host_tests.screenshots   (or: make screenshots)

The simulated Belgian meter starts at a month's start (so its 1-0:1.6.0 is its own), fills
two days and 19 hours of history as fast as the firmware reads (about 4 minutes), then
runs in real time while headless Chromium takes the pictures. The Year tab's months
before July come from the meter's 0-0:98.1.0."""

import json
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from host_tests.device import LOGIN, Device, wait_until
from host_tests.test_web_ui import CHROMIUM, FLAGS

DOCS = Path(__file__).resolve().parents[1] / "docs"
FILL = (2 * 24 + 19) * 3600  # telegrams: July 1 00:00 to July 3 19:00


def main():
    with tempfile.TemporaryDirectory() as tmp:
        dev = Device(tmp, profile="be", speed=1, start="2026-07-01T00:00:00", seed=4,
                     extra=("--fast", str(FILL)))
        try:
            wait_until(lambda: dev.json("/about")["p1"]["telegrams"] > FILL, 900, "the history")
            wait_until(lambda: dev.json("/current/live")["second"] >= 100, 200, "a live quarter")
            shots(dev)
        finally:
            dev.stop()
    setup_shot()
    update_shot()


def setup_shot():
    """The setup page as a phone on the access point sees it (first setup)."""
    with tempfile.TemporaryDirectory() as tmp:
        air = Path(tmp) / "air.json"
        air.write_text(json.dumps({"home": "x", "Telenet-5G": "y", "proximus-a1b2": "z"}))
        dev = Device(tmp, config=False, speed=1, board_args=("--wifi", str(air)))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_page(viewport={"width": 360, "height": 740}, locale="nl-BE")
                page.goto(dev.base + "/setup")
                page.wait_for_function("document.querySelector('datalist option') !== null")
                page.fill("#ssid", "home")
                page.screenshot(path=str(DOCS / "ui-setup.png"), full_page=True)
                print("docs/ui-setup.png")
                browser.close()
        finally:
            dev.stop()


def update_shot():
    """The update page just after an update (a bundle of another version)."""
    from digimon.build import SLOT, build
    from digimon.bundle import write_bundle

    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "digimon.bundle"
        write_bundle(build(Path(tmp) / "fs", "0.2.1") / SLOT, bundle)
        dev = Device(tmp, speed=1)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="nl-BE",
                                          http_credentials={"username": LOGIN[0],
                                                            "password": LOGIN[1]})
                page = ctx.new_page()
                page.goto(dev.base + "/update")
                page.set_input_files("#file", str(bundle))
                page.click("#go")
                dev.wait_restart()
                page.wait_for_function("document.getElementById('version').textContent"
                                       " === '0.2.1'", timeout=30000)
                page.screenshot(path=str(DOCS / "ui-update.png"), full_page=True)
                print("docs/ui-update.png")
                browser.close()
        finally:
            dev.stop()


def shots(dev):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for locale, views in (("nl-BE", (("live", ""), ("day", "#d/2026-07-02"),
                                         ("month", "#m/2026-07"), ("quarter", "#q/2026-07-02/1300S"),
                                         ("year", "#y"))),
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
