"""The web UI in real headless Chromium (Playwright, /usr/bin/chromium), against the
firmware on the unix port fed by the simulated Belgian meter.

History before the live quarter is on the SD card as quarter files in the original
format (as a card from the original firmware would be): November 30 whole, and
December 1 up to 10:00, where the simulator starts in real time."""

import base64
import functools
import gzip
import http.client
import http.server
import json
import os
import pty
import socket
import socketserver
import subprocess
import threading

import pytest
from playwright.sync_api import sync_playwright

from host_tests.device import LOGIN, Device, free_port, run, wait_until
from host_tests.feeder import Fed, LoadMeter
from host_tests.test_history_e2e import ORIGINAL, day_path, file_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LIVE_START = "2026-12-01T10:00:00"
PEAK_NOV = (26 << 24 | 11 << 16 | 30 << 8 | 18 * 4 + 3, 4321)  # Nov 30 18:45, W


def qid(month, day, index):
    return 26 << 24 | month << 16 | day << 8 | index


def slots_of(q, index):
    """180 slot values for a synthetic quarter: a daily shape, a few empty slots."""
    base = 300 + 900 * (17 * 4 <= index < 21 * 4) + 40 * (index % 7)
    if q == PEAK_NOV[0]:
        base = PEAK_NOV[1]
    out = []
    for s in range(180):
        out.append(None if s % 45 == 44 else base + (s % 3) - 1)
    return out


def write_history(sd):
    """Quarter files of Nov 30 (all 96) and Dec 1 before 10:00; {qid: file JSON}."""
    files = {}
    for month, day, quarters in ((11, 30, 96), (12, 1, 40)):
        for index in range(quarters):
            q = qid(month, day, index)
            slots = slots_of(q, index)
            have = [v for v in slots if v is not None]
            avg = sum(have) // len(have)
            text = ORIGINAL % (q, avg, ",".join("null" if v is None else str(v) for v in slots),
                               ",".join("null" if v is None else "0" for v in slots))
            folder = sd / "meter" / day_path(q)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / file_name(q)).write_text(text)
            files[q] = json.loads(text)
    return files


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui")
    files = write_history(tmp / "sd")
    d = Device(tmp, profile="be", speed=1, start=LIVE_START)
    d.files = files
    wait_until(lambda: d.json("/current/live")["quarter"].get("quarter_id"), 20, "a live quarter")
    wait_until(lambda: d.json("/about")["history"]["peak_rebuilt"], 20, "the month peak rebuilt")
    yield d
    d.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


class Watched:
    """A page, with every request it makes and every console error it logs."""

    def __init__(self, browser, base, locale="nl-BE", login=LOGIN):
        creds = {"username": login[0], "password": login[1]} if login else None
        self.ctx = browser.new_context(viewport={"width": 360, "height": 780}, locale=locale,
                                       http_credentials=creds)
        self.page = self.ctx.new_page()
        self.requests = []
        self.errors = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.base = base

    def open(self, hash_=""):
        self.page.goto(self.base + "/" + hash_)

    def text(self, sel):
        return self.page.inner_text(sel)

    def points(self):
        return int(self.page.get_attribute("#chart", "data-points") or -1)

    def wait_hash(self, want):
        self.page.wait_for_function("h => location.hash === h", arg=want, timeout=5000)

    def wait_points(self, n):
        self.page.wait_for_function("n => document.getElementById('chart').dataset.points == n",
                                    arg=n, timeout=5000)

    def close(self):
        self.ctx.close()


@pytest.fixture
def ui(browser, dev):
    """A phone-sized page on the device; afterwards: no console errors, and no
    request went anywhere but the device."""
    pages = []

    def make(**kw):
        w = Watched(browser, dev.base, **kw)
        pages.append(w)
        return w

    yield make
    for w in pages:
        w.close()
        assert w.errors == [], w.errors
        strangers = [u for u in w.requests if not u.startswith(dev.base + "/")]
        assert strangers == [], strangers


def dotted(w):
    """Watts as nl-BE writes them: 4.321 W."""
    return format(w, ",").replace(",", ".") + " W"


def euro(v):
    """Euros as nl-BE writes them: € 139,06."""
    return "€\xa0" + ("%.2f" % v).replace(".", ",")


def non_null(values):
    return sum(v is not None for v in values)


def quarter_hash(q):
    return "#q/%04d-%02d-%02d/%s" % (2000 + (q >> 24), q >> 16 & 255, q >> 8 & 255, file_name(q)[:5])


def test_live_values_appear_and_update(ui):
    w = ui()
    w.open()
    w.page.wait_for_function("/W$/.test(document.getElementById('power')?.textContent)")
    assert w.text("#title").startswith("Dit kwartier, 10:00")
    assert w.text("#status").startswith("Bijgewerkt om")
    for card in ("qavg", "proj", "peak", "energy", "cost"):
        assert w.text("#" + card) not in ("", "–"), card
    first, said = w.points(), w.text("#status")
    w.page.wait_for_function("n => document.getElementById('chart').dataset.points > n",
                            arg=first, timeout=12000)
    assert w.text("#status") != said  # a new poll, a later time


def test_the_live_chart_has_a_bar_per_slot_with_data(ui):
    w = ui()
    with w.page.expect_response(lambda r: r.url.endswith("/current/live")) as answer:
        w.open()
    quarter = answer.value.json()["quarter"]
    n = non_null(quarter["consumed_power_interval_avgs"])
    w.wait_points(n)
    assert w.page.locator("#chart rect.c").count() == n


def test_projection_and_peak_warning(ui, dev):
    w = ui()
    real = dev.json("/current/month/peak")

    def low_peak(route):  # the peak under the projection: once free, once billed
        body = dict(real, peak={"quarter_id": real["peak"]["quarter_id"], "power": w.fake})
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    w.fake = 10
    w.page.route("**/current/month/peak", low_peak)
    w.open()
    w.page.wait_for_selector("#warn:not([hidden])")
    assert "nieuwe maandpiek" in w.text("#warn") and "geen extra kost" in w.text("#warn")
    proj = int(w.text("#proj").replace(".", "").split()[0])
    qavg = int(w.text("#qavg").replace(".", "").split()[0])
    assert proj > 10 and qavg > 10
    # a projection over the 2.5 kW minimum costs money: shown with the amount
    w.page.evaluate("() => { peak.tariff.minimum_kw = 0; }")
    w.page.wait_for_function("/extra deze maand/.test(document.getElementById('warn').textContent)",
                             timeout=12000)
    assert w.page.get_attribute("#warn", "class") == "alert"


def test_history_navigation(ui, dev):
    w = ui()
    w.open()
    w.page.wait_for_function("/W$/.test(document.getElementById('power')?.textContent)")
    w.page.get_by_role("button", name="een kwartier terug").click()
    prev = qid(12, 1, 39)  # 09:45
    w.wait_hash(quarter_hash(prev))
    w.wait_points(non_null(dev.files[prev]["consumed_power_interval_avgs"]))
    assert "09:45–10:00" in w.text("#title")
    w.page.get_by_role("button", name="een dag terug").click()
    nov = qid(11, 30, 39)
    w.wait_hash(quarter_hash(nov))
    w.wait_points(non_null(dev.files[nov]["consumed_power_interval_avgs"]))
    # back to December: at or after the live quarter is live again
    w.page.get_by_role("button", name="een dag verder").click()
    w.wait_hash(quarter_hash(prev))
    w.page.get_by_role("button", name="een kwartier verder").click()
    w.wait_hash("")
    w.page.wait_for_function("/^Dit kwartier/.test(document.getElementById('title').textContent)")

    # the day view: 96 quarters, tap one for its 5-second detail
    w.open("#d/2026-11-30")
    w.wait_points(96)
    assert "30 november 2026" in w.text("#title")
    top_w = dev.files[PEAK_NOV[0]]["consumed_power_avg"]
    assert w.text("#daypeak") == dotted(top_w)
    box = w.page.locator("#chart svg").bounding_box()
    top = w.page.locator("#chart rect.top").bounding_box()
    w.page.mouse.click(top["x"] + top["width"] / 2, box["y"] + box["height"] / 2)
    w.wait_hash(quarter_hash(PEAK_NOV[0]))
    w.wait_points(176)
    # the keyboard does the same: arrows move, Enter opens
    w.open("#d/2026-11-30")
    w.wait_points(96)
    w.page.focus("#chart")
    for _ in range(3):
        w.page.keyboard.press("ArrowRight")
    w.page.keyboard.press("Enter")
    w.wait_hash(quarter_hash(qid(11, 30, 2)))
    # the day's kWh is the day's energy
    w.open("#d/2026-12-01")
    w.wait_points(40)
    day = dev.json("/historic/day?date=2026-12-01")
    assert w.text("#energy") == ("%.2f kWh" % (day["wh"] / 1000)).replace(".", ",")

    # the month view: day peaks; tap a day for its quarters
    w.open("#m/2026-11")
    w.wait_points(1)
    billed = [h["power"] for h in dev.json("/current/month/peak")["meter_history"]
              if h["month"] == "2026-11"]  # the meter's own November peak, if it has one
    assert w.text("#peak") == dotted(billed[0] if billed else top_w)
    w.page.locator("#chart rect.c").click()
    w.wait_hash("#d/2026-11-30")
    w.wait_points(96)
    w.page.get_by_role("button", name="Volgende ›").click()
    w.wait_hash("#d/2026-12-01")
    w.page.get_by_role("link", name="Maand").click()
    w.wait_hash("#m/2026-12")
    assert w.text("#cost").startswith("€")


def test_the_year_tab_shows_13_months_and_the_average(ui, dev):
    w = ui()
    w.open("#y")
    w.wait_points(13)
    got = dev.json("/historic/peaks")
    assert [m["source"] for m in got["months"]] == ["meter"] * 13  # 12 in 0-0:98.1.0, 1.6.0
    assert w.page.locator("#chart rect.c").count() == 13
    assert w.page.locator("#chart rect.dim").count() == 1  # a year ago: not in the average
    assert w.text("#avg12") == dotted(got["average_w"])
    assert "12 maanden" in w.page.inner_text("#cards")
    assert w.text("#peryear") == euro(got["eur_per_year"])
    assert w.text("#monthcost") == euro(got["eur_this_month"])
    for cls, value in (("minline", 2500), ("avgline", got["average_w"])):
        assert w.page.locator("#chart line." + cls).count() == 1, cls
        assert dotted(value) in w.text("#legend")
    assert w.text("#title") == "Capaciteitstarief, dec 2025 – dec 2026"
    # the bars stand for the months' peaks: the tallest is the highest month
    heights = [w.page.locator("#chart rect.c").nth(i).bounding_box()["height"] for i in range(13)]
    powers = [m["peak"]["power"] for m in got["months"]]
    assert heights.index(max(heights)) == powers.index(max(powers))
    # a tap opens the month
    w.page.locator("#chart rect.c").nth(11).click()
    w.wait_hash("#m/2026-11")
    w.page.get_by_role("link", name="Jaar").click()
    w.wait_hash("#y")
    w.wait_points(13)


def test_a_month_the_meter_saw_no_peak_in_is_billed_the_minimum(ui, dev):
    w = ui()
    real = dev.json("/current/month/peak")

    def no_peak_in_november(route):  # as (632525252525W)(00.000*kW) of a Fluvius meter
        history = [h for h in real["meter_history"] if h["month"] != "2026-11"]
        history.append({"month": "2026-11", "quarter_id": None, "power": 0})
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps(dict(real, meter_history=history)))

    w.page.route("**/current/month/peak", no_peak_in_november)
    w.open("#m/2026-11")
    w.wait_points(1)
    assert w.text("#peak") == "–"
    assert "geen piek · volgens de meter" in w.page.inner_text("#cards")
    cost = 2.5 * real["tariff"]["eur_per_kw_year"] / 12
    assert w.text("#cost") == euro(cost)


def test_the_day_and_month_views_export_csv(ui, dev):
    w = ui()
    w.open("#d/2026-11-30")
    w.wait_points(96)
    link = w.page.locator("#csv")
    assert link.inner_text() == "CSV (rekenblad)"
    assert link.get_attribute("href").endswith("/historic/export.csv?from=2026-11-30&to=2026-11-30")
    with w.page.expect_download() as got:
        link.click()
    text = open(got.value.path(), newline="").read()
    rows = text.strip().split("\r\n")
    assert rows[0].startswith("start,quarter_id,") and len(rows) == 1 + 96
    assert got.value.suggested_filename == "digimon-2026-11-30-2026-11-30.csv"
    w.open("#m/2026-11")
    w.wait_points(1)
    assert w.page.get_attribute("#csv", "href").endswith("?from=2026-11-01&to=2026-11-30")
    w.open("#")
    w.page.wait_for_function("/W$/.test(document.getElementById('power')?.textContent)")
    assert w.page.locator("#csv").is_hidden()


def test_headroom_text_follows_a_load_step(browser, tmp_path):
    fed = Fed(tmp_path)
    meter = LoadMeter(fed, "2026-11-21T10:00:00", watts=300, speed=20)
    meter.start()
    w = Watched(browser, fed.base)
    try:
        w.open()
        w.page.wait_for_function(
            "/^Nog .* kW tot 10:15 zonder nieuwe piek$/.test(document.getElementById('headroom')?.textContent)",
            timeout=20000)
        _nog, value, unit = w.text("#headroom").split()[:3]
        before = float(value.replace(".", "").replace(",", ".")) * (1000 if unit == "kW" else 1)
        live = fed.json("/current/live")
        assert abs(before - live["headroom_w"]) < 400  # (a poll or two later: about 130 W a poll at 20x)
        assert "tot %s (de maandpiek)" % dotted(live["limit_w"]) in w.page.inner_text("#cards")
        meter.watts = 14000  # the oven, the hob and the car at once
        w.page.wait_for_function(
            "/niet meer te vermijden$/.test(document.getElementById('headroom')?.textContent)",
            timeout=40000)
        after = w.text("#headroom")
        assert after.startswith("Nog -") and after.split()[2] in ("W", "kW")
        assert w.page.get_attribute("#headroom", "class") == "lost"
        assert w.errors == []
    finally:
        w.close()
        meter.stop()
        fed.stop()


def test_month_peak_button_opens_the_peak_quarter(ui, dev):
    w = ui()
    w.open()
    peak = dev.json("/current/month/peak")["peak"]
    button = w.page.locator("#peakbtn")
    button.wait_for()
    w.page.wait_for_function("!document.getElementById('peakbtn').disabled")
    assert button.inner_text() == "Maand piek " + dotted(peak["power"])
    button.click()
    w.wait_hash(quarter_hash(peak["quarter_id"]))
    w.wait_points(non_null(dev.files[peak["quarter_id"]]["consumed_power_interval_avgs"]))


def test_language_follows_the_browser_and_can_be_switched(ui):
    w = ui(locale="en-US")
    w.open()
    w.page.wait_for_function("/W$/.test(document.getElementById('power')?.textContent)")
    assert w.text("#tab-live") == "Now" and w.text("#l-power") == "Power now"
    w.page.click("#lang")
    w.page.wait_for_function("document.getElementById('l-power')?.textContent === 'Verbruik nu'")
    assert w.page.get_attribute("html", "lang") == "nl"
    w.open()  # the choice is kept
    w.page.wait_for_function("document.getElementById('l-power')?.textContent === 'Verbruik nu'")


def test_no_quarter_file_says_so(ui):
    w = ui()
    w.open("#q/2026-11-29/1200W")
    w.page.wait_for_selector("#chart p")
    assert w.text("#chart") == "Geen metingen gevonden."
    w.errors = [e for e in w.errors if "404" not in e]  # Chromium logs the 404 itself


def test_no_sd_card_and_no_telegram_are_said(ui, dev):
    w = ui()

    def no_card(route):  # the firmware's answer without a card (covered in e2e)
        body = route.fetch().json()
        body.update(sd=False, sd_error="SD card not mounted", age_ms=45000)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    w.page.route("**/current/live", no_card)
    w.open()
    w.page.wait_for_selector("#status.error")
    assert "Geen telegram sinds 45 s" in w.text("#status")
    assert "Geen SD-kaart" in w.text("#status")


@pytest.fixture
def silent(tmp_path):
    """The firmware on a P1 line that sends nothing."""
    master, slave = pty.openpty()
    sd = tmp_path / "sd"
    sd.mkdir()
    (sd / "config.json").write_text(json.dumps({"web": {"user": LOGIN[0], "password": LOGIN[1]}}))
    port = free_port()
    argv, env, cwd = run.command(os.ttyname(slave), str(sd), "127.0.0.1:%d" % port,
                                 board={"flash": str(tmp_path / "flash")})
    fw = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False

    wait_until(up, 20, "the firmware")
    yield "http://127.0.0.1:%d" % port
    fw.terminate()
    fw.wait(5)
    os.close(master)
    os.close(slave)


def test_waiting_for_the_first_telegram(browser, silent):
    w = Watched(browser, silent)
    try:
        w.open()
        w.page.wait_for_selector("#status.error")
        assert "Nog geen telegram van de meter" in w.text("#status")
        assert w.text("#chart") == w.text("#status")
        assert w.errors == []
    finally:
        w.close()


@pytest.fixture(scope="module")
def laptop():
    """data/ served by another host, as a laptop in development does."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=os.path.join(ROOT, "data"))
    handler.log_message = lambda *a: None
    srv = socketserver.TCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_development_mode_reads_a_device_from_another_host(browser, laptop, dev):
    w = Watched(browser, laptop, login=None)
    try:
        w.page.goto(laptop + "/index.html?device=" + dev.base)
        w.page.fill("#user", LOGIN[0])
        w.page.fill("#pass", "wrong")
        w.page.click("#l-connect")
        w.page.wait_for_function("/Aanmelden mislukt/.test(document.getElementById('status').textContent)")
        w.page.fill("#pass", LOGIN[1])
        w.page.click("#l-connect")
        w.page.wait_for_function("/W$/.test(document.getElementById('power')?.textContent)")
        assert "Ontwikkelmodus" in w.text("#status")
        assert all(u.startswith((laptop, dev.base)) for u in w.requests)
        assert [e for e in w.errors if "401" not in e] == []
    finally:
        w.close()


def test_development_mode_says_when_the_device_is_unreachable(browser, laptop):
    w = Watched(browser, laptop, login=None)
    try:
        w.page.goto(laptop + "/index.html?device=http://127.0.0.1:%d" % free_port())
        w.page.fill("#user", "a")
        w.page.fill("#pass", "b")
        w.page.click("#l-connect")
        w.page.wait_for_function("/niet bereikbaar/.test(document.getElementById('status').textContent)")
    finally:
        w.close()


def test_the_ui_is_served_gzipped_and_small(dev):
    total = 0
    for name in ("", "app.js", "style.css"):
        status, headers, body = dev.request("/" + name, headers={"Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip", name
        total += len(body)
    assert total < 60 * 1024
    with open(os.path.join(ROOT, "data", "app.js"), "rb") as f:
        plain = f.read()
    # no Accept-Encoding at all: any coding will do (RFC 9110 12.5.3), so gzip
    conn = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=10)
    conn.putrequest("GET", "/app.js", skip_accept_encoding=True)
    conn.putheader("Authorization", "Basic " + base64.b64encode(b"%s:%s" % tuple(
        s.encode() for s in LOGIN)).decode())
    conn.endheaders()
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(r.read()) == plain
    conn.close()
    # a client that refuses gzip gets the file decompressed on the way
    for refusal in ("identity", "br", "gzip;q=0, identity"):
        status, headers, body = dev.request("/app.js", headers={"Accept-Encoding": refusal})
        assert status == 200 and "Content-Encoding" not in headers and body == plain, refusal
