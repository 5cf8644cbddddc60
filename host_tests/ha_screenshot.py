"""A screenshot of the device as Home Assistant shows it (docs/ha-mqtt-device.png): the
firmware on a simulated Belgian meter publishes to a mosquitto of its own, and Home
Assistant Core 2024.3.3 with its web UI and the MQTT integration on that broker makes the
device from the discovery. Headless Chromium logs in through Home Assistant's login page
and takes the device page once every sensor has its value.

usage: .venv/bin/python -m host_tests.ha_screenshot

Home Assistant and its frontend live in a venv of their own (build/ha-ui, from
host_tests/ha-requirements.txt, then host_tests/ha-ui-requirements.txt), made here the
first time (a few minutes). The same module, run by that venv's Python with `serve DIR`,
is Home Assistant itself: only the frontend (and what it needs) and MQTT are set up."""

import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "build" / "ha-ui"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = [Path(__file__).with_name(n) for n in ("ha-requirements.txt",
                                                      "ha-ui-requirements.txt")]
STAMP = VENV / ".installed"
OUT = ROOT / "docs" / "ha-mqtt-device.png"
USER = ("owner", "digimon-Pw-1")

CONFIG = """homeassistant:
  name: Home
  latitude: 50.85
  longitude: 4.35
  elevation: 0
  unit_system: metric
  time_zone: Europe/Brussels
  currency: EUR
  country: BE
http:
  server_host: 127.0.0.1
  server_port: %d
frontend:
logger:
  default: warning
"""


def main():
    # here, not at the top: Home Assistant's venv (serve) has none of these
    from playwright.sync_api import sync_playwright

    from host_tests.device import LOGIN, WIFI, Device, free_port, wait_until
    from host_tests.mqtt_broker import Broker, Subscriber
    from host_tests.test_web_ui import CHROMIUM, FLAGS

    install()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        running = [Broker(tmp / "broker")]
        port = running[0].port
        try:
            sub = Subscriber(port, topics=("homeassistant/#",))
            running.append(sub)
            dev = Device(tmp / "dev", speed=1, config={
                "wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]},
                "mqtt": {"host": "127.0.0.1", "port": port}})
            running.append(dev)
            serial = dev.json("/about")["serial"]
            ha = HomeAssistant(tmp / "ha", free_port(), port)
            running.append(ha)
            wait_until(ha.up, 300, "Home Assistant's HTTP server")
            ha.onboard()
            # the discovery is the tick after the first state message
            wait_until(lambda: sub.got("homeassistant/binary_sensor/digimon_%s/sd/config"
                                       % serial), 60, "the discovery")
            announced = len([t for t in sub.topics_seen() if t.endswith("/config")])
            device_id = wait_until(lambda: ha.device_id(serial), 60, "the device")
            wait_until(lambda: ha.valued(device_id, announced), 60, "every sensor's value")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1600}, locale="en-GB")
                page.goto(ha.base + "/")
                page.locator("input[name=username]").fill(USER[0])
                page.locator("input[name=password]").fill(USER[1])
                page.locator("input[name=password]").press("Enter")
                # the dashboard, once the frontend has swapped the code for a kept token
                page.wait_for_url(lambda url: "/lovelace" in url and "code=" not in url)
                page.wait_for_function("localStorage.getItem('hassTokens') !== null")
                page.goto(ha.base + "/config/devices/device/" + device_id)
                page.get_by_text("Device info").wait_for()
                page.get_by_text("Energy import", exact=True).wait_for()
                page.wait_for_timeout(2000)  # the cards' icons and values settle
                page.screenshot(path=str(OUT))
                browser.close()
            print(OUT.relative_to(ROOT))
        finally:
            for x in reversed(running):
                x.stop()


def install():
    """build/ha-ui from the two requirement files (the second over the first), unless
    it has them already."""
    wanted = "".join(r.read_text() for r in REQUIREMENTS)
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    for r in REQUIREMENTS:
        out = subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet",
                              "--disable-pip-version-check", "-r", str(r)],
                             capture_output=True, text=True, timeout=1800)
        if out.returncode:
            raise SystemExit("could not install %s:\n%s" % (r.name, out.stderr[-2000:]))
    STAMP.write_text(wanted)


class HomeAssistant:
    """Home Assistant in `folder` on 127.0.0.1:port, with the MQTT integration's config
    entry (discovery on) for the broker on broker_port already made; its REST API."""

    def __init__(self, folder, port, broker_port):
        self.base = "http://127.0.0.1:%d" % port
        self.token = None
        (folder / ".storage").mkdir(parents=True)
        (folder / "configuration.yaml").write_text(CONFIG % port)
        entry = {"entry_id": "digimonbroker", "version": 1, "minor_version": 1,
                 "domain": "mqtt", "title": "127.0.0.1",
                 "data": {"broker": "127.0.0.1", "port": broker_port, "discovery": True},
                 "options": {}, "pref_disable_new_entities": False,
                 "pref_disable_polling": False, "source": "user", "unique_id": None,
                 "disabled_by": None}
        (folder / ".storage" / "core.config_entries").write_text(json.dumps(
            {"version": 1, "minor_version": 1, "key": "core.config_entries",
             "data": {"entries": [entry]}}))
        self.log_path = folder / "ha.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(PYTHON), "-m", "host_tests.ha_screenshot", "serve",
                                      str(folder)], cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def call(self, path, body=None, form=False):
        """JSON (or with form, a form) in; JSON, or text, out."""
        headers = {"Authorization": "Bearer " + self.token} if self.token else {}
        data = None
        if form:
            data = urllib.parse.urlencode(body).encode()
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        with urllib.request.urlopen(urllib.request.Request(self.base + path, data, headers),
                                    timeout=30) as r:
            text = r.read().decode()
            return json.loads(text) if r.headers.get_content_type() == "application/json" \
                else text

    def up(self):
        if self.proc.poll() is not None:
            self.log.flush()
            raise AssertionError("Home Assistant exited:\n" + self.log_path.read_text()[-3000:])
        try:
            return self.call("/api/onboarding")
        except OSError:
            return False

    def onboard(self):
        """Every onboarding step, as the wizard does them: the owner (whose token the
        rest use), the location (configuration.yaml's), analytics (none), integrations."""
        client = self.base + "/"
        code = self.call("/api/onboarding/users", {
            "client_id": client, "name": "Owner", "username": USER[0], "password": USER[1],
            "language": "en"})["auth_code"]
        self.token = self.call("/auth/token", {"grant_type": "authorization_code",
                                               "code": code, "client_id": client},
                               form=True)["access_token"]
        try:
            self.call("/api/onboarding/core_config", {})
        except urllib.error.HTTPError as e:
            # it marks the step done, then starts the flows of the integrations the
            # wizard suggests (weather, radio, ...): not installed here, they make a 500
            if e.code != 500:
                raise
        self.call("/api/onboarding/analytics", {})
        self.call("/api/onboarding/integration", {"client_id": client, "redirect_uri": client})
        steps = self.call("/api/onboarding")
        assert all(s["done"] for s in steps), steps

    def template(self, text):
        return json.loads(self.call("/api/template", {"template": "{{ %s | to_json }}" % text}))

    def device_id(self, serial):
        """The id of the MQTT device with that serial number, once there is one."""
        ids = self.template("integration_entities('mqtt') | map('device_id') | unique"
                            " | select('is_device_attr', 'serial_number', '%s') | list"
                            % serial)
        return ids[0] if ids else None

    def valued(self, device_id, count):
        """The device has `count` entities, each with a state other than 'unavailable'."""
        states = self.template("device_entities('%s') | map('states') | list" % device_id)
        return len(states) == count and "unavailable" not in states

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def serve(folder):
    """Home Assistant itself (build/ha-ui's Python): the default integrations are left
    out, so only what configuration.yaml and the config entry ask for is set up."""
    from homeassistant import bootstrap, runner

    bootstrap.DEFAULT_INTEGRATIONS.clear()
    return runner.run(runner.RuntimeConfig(config_dir=folder, skip_pip=True))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        sys.exit(serve(sys.argv[2]))
    sys.exit(main())
