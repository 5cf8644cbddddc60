"""Device life on the unix port, end to end: first setup through the access point (HTTP
and a real browser), config.json errors, a missing SD card, the Morse LED, the BOOT
wipe, the event log, and the security rules (auth on writes, no password out, size caps).
"""

import http.client
import json
import os
import pty
import socket
import struct
import subprocess
import sys
import time

import pytest
from playwright.sync_api import sync_playwright

from host_tests.device import LOGIN, WIFI, Device, free_port, run, wait_until

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from firmware.core import morse  # noqa: E402  (pure: runs under CPython too)
from host_tests.led import UNIT_MS, led_spans, morse_words  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def test_morse_table_is_the_itu_one():
    # the original firmware's table had '4' and '8' wrong
    assert morse.code("4") == "....-" and morse.code("8") == "---.."
    assert morse.code("s") == "..." and morse.code("o") == "---"
    assert list(morse.units("hi")) == [(True, 1), (False, 1), (True, 1), (False, 1),
                                       (True, 1), (False, 1), (True, 1), (False, 3),
                                       (True, 1), (False, 1), (True, 1)]
    with pytest.raises(ValueError):
        list(morse.units("h!"))


# --- first setup -------------------------------------------------------------

def dns_query(port, name):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    q += struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(q, ("127.0.0.1", port))
        return socket.inet_ntoa(s.recv(512)[-4:])


@pytest.fixture
def fresh(tmp_path):
    """A device that was never set up, with the home network in range."""
    air = tmp_path / "air.json"
    air.write_text(json.dumps({WIFI["ssid"]: WIFI["password"], "neighbours": "x"}))
    dns = free_port()
    dev = Device(tmp_path, config=False, speed=1,
                 board_args=("--wifi", str(air), "--dns", "127.0.0.1:%d" % dns))
    dev.dns = dns
    yield dev
    dev.stop()


FORM = {"wifi": dict(WIFI), "network": {"device_name": "meterkast", "dhcp": True,
                                        "ip": "192.168.0.250", "gateway": "192.168.0.1",
                                        "subnet": "255.255.255.0"},
        "web": {"user": "bob", "password": "bobs-Pw-9"}}


def post_setup(dev, form, auth=None):
    return dev.request("/setup", "POST", json.dumps(form).encode(), auth=auth,
                       headers={"Content-Type": "application/json"})


def redirect_of(dev, path, host=None):
    """The Location of a redirect answer to GET path (not followed)."""
    c = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=5)
    c.putrequest("GET", path, skip_host=host is not None)
    if host is not None:
        c.putheader("Host", host)
    c.endheaders()
    r = c.getresponse()
    c.close()
    assert r.status == 302, (path, r.status)
    return r.getheader("Location")


def test_first_setup_over_the_access_point(fresh):
    dev = fresh
    # the setup page is open, the rest is not; a phone's connectivity check is sent to it
    assert redirect_of(dev, "/") == "/setup"
    assert dev.request("/current/live", auth=None)[0] == 403
    assert redirect_of(dev, "/generate_204", "connectivitycheck.gstatic.com") == \
        "http://127.0.0.1:%d/setup" % dev.port
    assert dns_query(dev.dns, "captive.apple.com") == "127.0.0.1"
    status, headers, page = dev.request("/setup", auth=None,
                                        headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    cfg = dev.json("/setup/config", auth=None)
    assert cfg["first_setup"] and cfg["ap_mode"] and not cfg["wifi"]["password_set"]
    assert [n["ssid"] for n in dev.json("/setup/networks", auth=None)["networks"]] == \
        ["home", "neighbours"]

    # bad fields: a clear 400, nothing saved
    bad = json.loads(json.dumps(FORM))
    bad["wifi"]["ssid"] = ""
    bad["network"].update(device_name="meter kast", dhcp=False, ip="192.168.0")
    status, _, body = post_setup(dev, bad)
    errors = json.loads(body)["errors"]
    assert status == 400 and any("device_name" in e for e in errors) \
        and any("network.ip" in e for e in errors), errors
    assert not (dev.sd / "config.json").exists()

    # good fields: saved on the card and in flash, then a restart joins the network
    status, _, body = post_setup(dev, FORM)
    answer = json.loads(body)
    assert status == 200 and answer["url"] == "http://meterkast.local/", body
    saved = json.loads((dev.sd / "config.json").read_text())
    assert saved["wifi"] == WIFI and saved["web"]["user"] == "bob"
    assert (dev.flash / "config.json").read_text() == (dev.sd / "config.json").read_text()
    dev.wait_restart()
    login = ("bob", "bobs-Pw-9")
    about = wait_until(lambda: (lambda a: a["wifi"]["mode"] == "station" and a)(
        dev.json("/about", auth=login)), 10, "the station mode")
    assert about["wifi"]["ip"] == "127.0.0.1" and about["config"] == "SD card"
    # now a change needs the login, and passwords never come back
    assert post_setup(dev, FORM)[0] == 401
    cfg = dev.json("/setup/config", auth=login)
    assert not cfg["first_setup"] and cfg["wifi"]["password_set"]
    assert WIFI["password"] not in json.dumps(cfg)
    kinds = [e["kind"] for e in dev.json("/events", auth=login)["events"]]
    assert kinds.count("boot") == 2 and "config" in kinds and "restart" in kinds


def test_setup_page_in_a_real_browser(fresh):
    dev = fresh
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-GB")
            page.goto(dev.base + "/")  # redirected to the setup page
            page.wait_for_function("document.querySelector('datalist option') !== null")
            page.fill("#ssid", WIFI["ssid"])
            page.fill("#wpass", WIFI["password"])
            page.fill("#name", "meterkast")
            page.click("#save")
            page.wait_for_selector("a[href='http://meterkast.local/']", timeout=10000)
        finally:
            browser.close()
    saved = json.loads((dev.sd / "config.json").read_text())
    assert saved["wifi"] == WIFI and saved["network"]["device_name"] == "meterkast"
    dev.wait_restart()
    assert dev.json("/about", auth=(WIFI["ssid"], WIFI["password"]))["wifi"]["mode"] == "station"


def test_setup_mode_when_the_network_is_gone_and_back(tmp_path):
    air = tmp_path / "air.json"
    air.write_text("{}")
    dev = Device(tmp_path, speed=1, board_args=("--wifi", str(air)))
    try:
        about = wait_until(lambda: (lambda a: a["wifi"]["mode"] == "setup" and a)(
            dev.json("/about")), 10, "setup mode")
        assert "setup mode" in about["status"] and about["led"] == "wifi"
        assert "wifi" in wait_until(lambda: "wifi" in morse_words(dev) and morse_words(dev), 20,
                                  "the wifi code")
        # with a config, the setup page and every write need the login, also in setup mode
        assert dev.request("/setup/config", auth=None)[0] == 401
        assert post_setup(dev, FORM)[0] == 401
    finally:
        dev.stop()


# --- config.json errors --------------------------------------------------------

@pytest.mark.parametrize("text, expect", [
    ("{\"web\": {\"user\": \"a\",", "not valid JSON (line 1, column 22: the text ends before"),
    (json.dumps({"wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]},
                 "network": {"dhcp": "yes", "device_name": "my meter"},
                 "tariff": {"minimum_kw": "2,5"}}), '"network.dhcp" must be true or false'),
])
def test_bad_config_is_reported_and_never_overwritten(tmp_path, text, expect):
    (tmp_path / "sd").mkdir()
    (tmp_path / "sd" / "config.json").write_text(text)
    dev = Device(tmp_path, config=False, speed=1)
    try:
        wait_until(lambda: "event" in dev.output(), 5, "the first events")
        assert expect in dev.output()
        if "not valid" in expect:  # no good copy in flash: first setup, which says why
            about = dev.json("/about", auth=None)  # readable in first setup
            assert any(expect in e and "first setup" in e for e in about["config_errors"])
            cfg = dev.json("/setup/config", auth=None)
            assert cfg["first_setup"] and any(expect in e for e in cfg["config_errors"])
            assert dev.request("/current/live", auth=None)[0] == 403
        else:
            about = dev.json("/about")
            assert any(expect in e for e in about["config_errors"])
            assert any('"network.device_name"' in e for e in about["config_errors"])
            assert any('"tariff.minimum_kw"' in e for e in about["config_errors"])
            events = dev.json("/events")["events"]
            assert any(expect in e["msg"] for e in events)
        assert (dev.sd / "config.json").read_text() == text
    finally:
        dev.stop()


def test_a_typo_in_config_json_falls_back_to_the_last_good_copy(tmp_path):
    """A good config.json was read once (and copied to flash); then the file on the card
    gets a typo: the device goes on with the copy, the same login, and says why."""
    dev = Device(tmp_path, speed=1)
    try:
        wait_until(lambda: (dev.flash / "config.json").exists(), 10, "the copy in flash")
        good = (dev.sd / "config.json").read_text()
        broken = good.replace('"web"', '"web" "')
        (dev.sd / "config.json").write_text(broken)
        dev.firmware.terminate()
        dev.firmware.wait(5)
        dev.start_firmware()
        about = dev.json("/about")  # the login of the good copy still works
        problem = [e for e in about["config_errors"] if "not valid JSON" in e]
        assert problem and "SD card" in problem[0] and "line 1, column" in problem[0] \
            and "last good copy in flash" in problem[0], about["config_errors"]
        assert about["config"] == "flash" and about["wifi"]["mode"] == "station"
        assert any("not valid JSON" in e for e in dev.json("/setup/config")["config_errors"])
        assert any("not valid JSON" in e["msg"] for e in dev.json("/events")["events"])
        assert "not valid JSON" in dev.output()
        assert (dev.sd / "config.json").read_text() == broken  # never written over
        assert (dev.flash / "config.json").read_text() == good
    finally:
        dev.stop()


# --- the SD card ---------------------------------------------------------------

def test_missing_sd_card_sos_live_data_and_retry(tmp_path):
    flash = tmp_path / "flash"
    flash.mkdir()
    config = {"wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]}}
    (flash / "config.json").write_text(json.dumps(config))  # the copy a former start made
    dev = Device(tmp_path, config=False, speed=10, board_args=("--sd", str(tmp_path / "card")))
    card = tmp_path / "card"
    try:
        live = wait_until(lambda: (lambda d: d["power_w"] is not None and d)(
            dev.json("/current/live")), 10, "live data")
        assert live["sd"] is False and "does not exist" in live["sd_error"]
        assert dev.request("/historic/years")[0] == 503
        assert dev.json("/about")["config"] == "flash"
        assert "sos" in wait_until(lambda: "sos" in morse_words(dev) and morse_words(dev), 20,
                                 "the sos code")
        card.mkdir()  # the card goes in: found within seconds, events and history go to it
        wait_until(lambda: dev.json("/current/live")["sd"], 15, "the card to be used")
        wait_until(lambda: list((card / "meter").glob("current-*.json")), 20, "a checkpoint")
        events = dev.json("/events")["events"]
        kinds = [e["kind"] for e in events]
        assert kinds[:2] == ["boot", "config"] or kinds[0] == "boot", kinds
        assert "sd" in kinds and all(e["n"] is not None for e in events)
        assert (card / "log" / "events-a.jsonl").exists()
    finally:
        dev.stop()


# --- the LED -------------------------------------------------------------------

def test_led_says_hi_then_blinks_per_telegram(tmp_path):
    dev = Device(tmp_path, speed=1)
    try:
        wait_until(lambda: len(led_spans(dev)) >= 12, 10, "the first word")  # h i: 6 marks
        assert morse_words(dev)[0] == "hi"
        spans = led_spans(dev)
        marks = [ms for on, ms in spans[:11] if on]
        gaps = [ms for on, ms in spans[:11] if not on]
        assert len(marks) == 6 and all(UNIT_MS * 0.8 <= ms <= UNIT_MS * 1.8 for ms in marks)
        assert sorted(gaps)[-1] >= 3 * UNIT_MS * 0.8  # the gap between h and i
        wait_until(lambda: sum(1 for on, ms in led_spans(dev) if on and ms < UNIT_MS / 2) >= 4,
                   15, "blinks per telegram")
        assert dev.json("/about")["led"] == "blink per telegram"
    finally:
        dev.stop()


def test_no_telegram_for_30_s_has_its_own_code(tmp_path):
    master, slave = pty.openpty()  # a P1 line that stays open and silent
    sd = tmp_path / "sd"
    sd.mkdir()
    (sd / "config.json").write_text(json.dumps({"wifi": WIFI, "web": dict(zip(
        ("user", "password"), LOGIN))}))
    port = free_port()
    led = tmp_path / "led.txt"
    argv, env, cwd = run.command(os.ttyname(slave), str(sd), "127.0.0.1:%d" % port,
                                 board={"led": str(led), "flash": str(tmp_path / "flash")})
    fw = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    dev = type("Silent", (), {"led": led})
    try:
        wait_until(lambda: "p1" in morse_words(dev), 50, "the p1 code")
        words = morse_words(dev)
        assert words[0] == "hi" and set(words[1:]) == {"p1"}, words
        client = Device.request.__get__(type("C", (), {"base": "http://127.0.0.1:%d" % port}))
        status, _, body = client("/about")
        about = json.loads(body)
        assert about["led"] == "p1" and "no telegram for" in about["status"]
        status, _, body = client("/events")
        assert any("no telegram for 30 s" in e["msg"] for e in json.loads(body)["events"])
    finally:
        fw.terminate()
        fw.wait(5)
        os.close(master)
        os.close(slave)


# --- the BOOT button -------------------------------------------------------------

def test_boot_button_held_20_s_wipes_the_wifi_config(tmp_path):
    dev = Device(tmp_path, speed=1)
    try:
        original = (dev.sd / "config.json").read_text()
        wait_until(lambda: (dev.flash / "config.json").exists(), 5, "the flash copy")
        dev.button.touch()  # a short press does nothing
        time.sleep(3)
        dev.button.unlink()
        time.sleep(0.5)
        assert dev.firmware.poll() is None
        dev.button.touch()  # held
        dev.firmware.wait(30)
        dev.button.unlink()
        assert dev.firmware.returncode == 3
        assert "bye" in morse_words(dev)
        for folder in (dev.sd, dev.flash):
            assert not (folder / "config.json").exists()
            assert (folder / "config.wiped").read_text() == original
        dev.start_firmware()
        assert dev.json("/setup/config", auth=None)["first_setup"]
        assert dev.request("/events", auth=None)[0] == 403  # no login: not set up yet
    finally:
        dev.stop()


# --- security ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    d = Device(tmp_path_factory.mktemp("security"), speed=10,
               config={"wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]},
                       "homewizard": {"open": True}})
    wait_until(lambda: d.json("/current/live")["power_w"] is not None, 10, "a telegram")
    yield d
    d.stop()


# (with the HomeWizard API open, PUT /api/v1/identify and /api/v1/system go without the
# login, as on a HomeWizard meter: host_tests/test_homewizard_client.py)
WRITES = [("POST", "/setup", FORM), ("POST", "/update", {})]


@pytest.mark.parametrize("method, path, body", WRITES)
def test_every_write_needs_the_login(dev, method, path, body):
    data = json.dumps(body).encode()
    for auth in (None, (LOGIN[0], "wrong")):
        status, headers, _ = dev.request(path, method, data, auth=auth,
                                         headers={"Content-Type": "application/json"})
        assert status == 401 and "WWW-Authenticate" in headers, (path, auth, status)
    if path == "/update":  # with the login: not a bundle, so nothing happens
        assert dev.request(path, method, data, headers={"Content-Type": "application/json"})[0] \
            == 400


def test_no_answer_holds_a_password(dev):
    for path in ("/about", "/setup/config", "/events", "/api", "/api/v1/data", "/api/v1/system",
                 "/current/live", "/current/month/peak", "/setup/networks"):
        status, _, body = dev.request(path)
        assert status == 200, path
        for secret in (WIFI["password"], LOGIN[1]):
            assert secret.encode() not in body, path


def test_size_limits(dev):
    def raw(data):
        with socket.create_connection(("127.0.0.1", dev.port), 5) as s:
            s.sendall(data)
            s.settimeout(5)
            return s.recv(200).split(b"\r\n")[0]

    assert b" 400 " in raw(b"GET /" + b"a" * 2000 + b" HTTP/1.0\r\n\r\n")
    headers = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 100) for i in range(60))
    assert b" 400 " in raw(b"GET /about HTTP/1.0\r\n" + headers + b"\r\n")
    big = b"{" + b" " * 6000 + b"}"
    assert b" 413 " in raw(b"POST /setup HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
    assert dev.json("/about")["status"]  # and the device goes on
