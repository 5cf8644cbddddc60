"""The real Home Assistant (Core 2024.3, the last release for Python 3.11) with its MQTT
integration against a real mosquitto and the firmware: a device configured only with
mqtt.host (and the broker's port) shows up as one device with every sensor, each with
the value of the state message.

Home Assistant lives in a venv of its own (build/ha, from host_tests/ha-requirements.txt;
its pins clash with the host tools'): made here the first time (a few minutes), skipped
when it cannot be installed (no package index)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from host_tests.device import LOGIN, WIFI, wait_until

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "build" / "ha"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = Path(__file__).with_name("ha-requirements.txt")
STAMP = VENV / ".installed"


@pytest.fixture(scope="module")
def ha_python():
    if not STAMP.exists() or STAMP.read_text() != REQUIREMENTS.read_text():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        out = subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet",
                              "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
                             capture_output=True, text=True, timeout=1200)
        if out.returncode:
            pytest.skip("Home Assistant could not be installed: " + out.stderr[-500:])
        STAMP.write_text(REQUIREMENTS.read_text())
    return str(PYTHON)


def test_home_assistant_shows_the_device_with_every_sensor(device, broker, subscriber,
                                                          ha_python, tmp_path):
    b = broker()
    sub = subscriber(b.port)
    cfg = {"wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]},
           "mqtt": {"host": "127.0.0.1", "port": b.port}}
    dev = device(profile="be", speed=10, count=30, config=cfg)
    serial = dev.json("/about")["serial"]
    base = "digimon/%s/" % serial
    wait_until(lambda: dev.meter.poll() is not None, 30, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == 30, 10, "all telegrams")
    wait_until(lambda: sub.got(base + "state"), 10, "a state message")
    # the discovery is the tick after the state message that said what the meter sends
    wait_until(lambda: [t for t, _p, _r in sub.messages if t.endswith("/sd/config")], 15,
               "the discovery")
    configs = {t: json.loads(p) for t, p, _r in sub.messages if t.endswith("/config")}
    out = subprocess.run([ha_python, str(Path(__file__).with_name("ha_run.py")),
                          str(tmp_path / "ha"), str(b.port), "digimon_" + serial,
                          str(len(configs)), "60"],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    ha = json.loads(out.stdout.strip().splitlines()[-1])
    state = sub.last_json(base + "state")
    mqtt_errors = [e for e in ha["errors"] if e.startswith("homeassistant.components.mqtt")
                   or "digimon" in e]
    assert not mqtt_errors, mqtt_errors

    # one device, as the discovery describes it
    ours = [d for d in ha["devices"] if ["mqtt", "digimon_" + serial] in d["identifiers"]]
    assert len(ours) == 1, ha["devices"]
    d = ours[0]
    assert d["name"] == "digimon" and d["manufacturer"] == "digimon"
    assert d["model"] == "P1 monitor (unix)" and d["serial_number"] == serial
    assert d["sw_version"] == dev.json("/about")["version"]
    assert d["configuration_url"] == "http://127.0.0.1:%d/" % dev.port

    # every sensor announced is an entity of that device, with the state message's value
    entities = ha["entities"]
    assert set(entities) == {p["uniq_id"] for p in configs.values()}
    for t, p in configs.items():
        e = entities[p["uniq_id"]]
        assert e["device_id"] == d["id"]
        key = t.split("/")[3]
        if key == "sd":
            assert e["entity_id"].startswith("binary_sensor.") and e["state"] == "off"
            continue
        value = state[key]
        if value is None:  # e.g. no month peak yet: no value
            assert e["state"] == "unknown", (key, e)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            assert e["state"] not in ("unknown", "unavailable"), (key, e, value)
            assert float(e["state"]) == pytest.approx(value), (key, e["state"], value)
        else:
            assert e["state"] == str(value), (key, e["state"], value)
        attrs = e["attributes"]
        if "dev_cla" in p:
            assert attrs["device_class"] == p["dev_cla"]
            assert attrs["unit_of_measurement"] == p["unit_of_meas"]
            assert attrs["state_class"] == p["stat_cla"]
    energy = entities["digimon_%s_total_power_import_kwh" % serial]["attributes"]
    assert (energy["device_class"], energy["unit_of_measurement"], energy["state_class"]) == \
        ("energy", "kWh", "total_increasing")
    gas = entities["digimon_%s_total_gas_m3" % serial]["attributes"]
    assert (gas["device_class"], gas["unit_of_measurement"]) == ("gas", "m³")
