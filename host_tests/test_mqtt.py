"""MQTT end to end with real parts: the firmware on the unix port, a real mosquitto
(started here on a free port) and a paho-mqtt subscriber. Topics, the state message
against /api/v1/data, Home Assistant discovery against HA's MQTT rules, the last will
on a kill, a broker restart with nothing lost in the history, a refused login, a
broker that is not there at start, and the heap with MQTT on."""

import json
import time

import pytest

from host_tests.device import LOGIN, WIFI, wait_until

# Home Assistant's rules for the sensors we announce (homeassistant.components.sensor
# const.py: DEVICE_CLASS_UNITS and DEVICE_CLASS_STATE_CLASSES, as of 2024.3), for the
# device classes we use; test_mqtt_homeassistant.py checks with HA's own code.
HA_UNITS = {"energy": {"Wh", "kWh", "MWh", "MJ", "GJ"}, "power": {"W", "kW"},
            "voltage": {"V", "mV"}, "current": {"A", "mA"},
            "frequency": {"Hz", "kHz", "MHz", "GHz"}, "gas": {"m³", "ft³", "CCF"}}
HA_STATE_CLASSES = {"energy": {"total", "total_increasing"}, "gas": {"total", "total_increasing"},
                    "power": {"measurement"}, "voltage": {"measurement"},
                    "current": {"measurement"}, "frequency": {"measurement"}}
ABBREVIATIONS = {"dev_cla": "device_class", "unit_of_meas": "unit_of_measurement",
                 "stat_cla": "state_class", "stat_t": "state_topic", "avty_t": "availability_topic",
                 "val_tpl": "value_template", "uniq_id": "unique_id", "ent_cat": "entity_category",
                 "dev": "device"}
DEVICE_ABBREVIATIONS = {"ids": "identifiers", "mf": "manufacturer", "mdl": "model",
                        "sw": "sw_version", "sn": "serial_number", "cu": "configuration_url"}
OURS = ("quarter_id", "quarter_average_w", "quarter_projected_w", "month_peak_w",
        "month_peak_quarter_id", "month_peak_start", "sd", "sd_error")


def config(port, **mqtt):
    return {"wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]},
            "mqtt": dict({"host": "127.0.0.1", "port": port, "interval_s": 1}, **mqtt)}


def expand(payload):
    """A discovery payload with HA's abbreviations and '~' written out, as HA reads it."""
    out = {ABBREVIATIONS.get(k, k): v for k, v in payload.items()}
    out["device"] = {DEVICE_ABBREVIATIONS.get(k, k): v for k, v in out["device"].items()}
    base = out.pop("~", None)
    for k in ("state_topic", "availability_topic"):
        if base and out[k].startswith("~"):
            out[k] = base + out[k][1:]
    return out




def serial_of(dev):
    return dev.json("/about")["serial"]


def test_state_message_is_api_v1_data_plus_our_values_and_discovery_follows_ha_rules(
        device, broker, subscriber):
    b = broker()
    sub = subscriber(b.port)
    dev = device(profile="be", speed=10, count=40, config=config(b.port))
    serial = serial_of(dev)
    base = "digimon/%s/" % serial
    wait_until(lambda: dev.meter.poll() is not None, 30, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == 40, 10, "all telegrams")
    time.sleep(2.5)  # a tick or two after the last telegram
    state = sub.last_json(base + "state")
    data = dev.json("/api/v1/data")
    assert {k: v for k, v in state.items() if k not in OURS} == data
    assert list(state)[:len(data)] == list(data)  # the same fields, in the same order
    assert state["quarter_id"] == dev.json("/current/quarter")["quarter_id"]
    assert 0 < state["quarter_average_w"] < 20000 and 0 < state["quarter_projected_w"] < 20000
    assert state["sd"] is True and state["sd_error"] is None
    assert sub.got(base + "status") and sub.got(base + "status")[-1] == (b"online", False)

    # a late subscriber gets what is retained: online and the discovery
    late = subscriber(b.port)
    wait_until(lambda: late.got(base + "status"), 5, "the retained status")
    assert late.got(base + "status") == [(b"online", True)]
    configs = {t: json.loads(p) for t, p, _r in sub.messages if t.endswith("/config")}
    retained = {t for t, _p, _r in late.messages if t.endswith("/config")}
    wait_until(lambda: {t for t, _p, _r in late.messages if t.endswith("/config")} == set(configs),
               5, "every config retained")
    assert retained <= set(configs)

    sensors = {t: expand(p) for t, p in configs.items() if "/sensor/" in t}
    keys = set(data) - {"montly_power_peak_timestamp", "gas_timestamp", "external"}
    announced = {t.split("/")[3]: p for t, p in sensors.items()}
    assert set(announced) == keys | {"quarter_average_w", "quarter_projected_w", "month_peak_w"}
    ids = set()
    for key, p in announced.items():
        assert p["state_topic"] == base + "state"
        assert p["availability_topic"] == base + "status"
        assert p["value_template"] == "{{value_json.%s}}" % key
        assert p["unique_id"] == "digimon_%s_%s" % (serial, key) and p["unique_id"] not in ids
        ids.add(p["unique_id"])
        assert p["name"] and p["device"]["identifiers"] == ["digimon_" + serial]
        assert p["device"]["serial_number"] == serial and p["device"]["sw_version"]
        assert p["device"]["configuration_url"].startswith("http://127.0.0.1:")
        cls = p.get("device_class")
        if cls:
            assert p["unit_of_measurement"] in HA_UNITS[cls], (key, p)
            assert p["state_class"] in HA_STATE_CLASSES[cls], (key, p)
        if p.get("entity_category"):
            assert p["entity_category"] == "diagnostic"
    for key in ("total_power_import_kwh", "total_power_import_t1_kwh", "total_power_export_t2_kwh"):
        p = announced[key]
        assert (p["device_class"], p["unit_of_measurement"], p["state_class"]) == \
            ("energy", "kWh", "total_increasing")
    assert (announced["total_gas_m3"]["device_class"],
            announced["total_gas_m3"]["unit_of_measurement"]) == ("gas", "m³")
    assert announced["active_power_w"]["device_class"] == "power"
    sd = expand(configs["homeassistant/binary_sensor/digimon_%s/sd/config" % serial])
    assert sd["device_class"] == "problem" and sd["state_topic"] == base + "state"

    # Home Assistant comes back online: the discovery goes again
    before = len([t for t, _p, _r in sub.messages if t.endswith("/config")])
    sub.publish("homeassistant/status", "online")
    wait_until(lambda: len([t for t, _p, _r in sub.messages if t.endswith("/config")])
               >= 2 * before, 10, "the discovery again")
    about = dev.json("/about")["mqtt"]
    assert about["connected"] and about["error"] is None and about["failures_since_start"] == 0
    assert about["messages_sent"] >= 2 * before and about["last_tick_took_ms"] is not None


def test_quarter_summaries_and_a_new_peak_event(device, broker, subscriber):
    b = broker()
    sub = subscriber(b.port)
    # 10:13 to past 10:45: two whole quarters end, the second a new month peak or not
    dev = device(profile="be", speed=60, count=1990, start="2026-11-21T10:13:00",
                 config=config(b.port))
    base = "digimon/%s/" % serial_of(dev)
    wait_until(lambda: dev.meter.poll() is not None, 60, "the simulator to finish")
    wait_until(lambda: len(sub.got(base + "quarter")) >= 2, 10, "two quarter summaries")
    summaries = [json.loads(p) for p, _r in sub.got(base + "quarter")]
    assert [s["start"] for s in summaries[:3]] == ["2026-11-21T10:00:00+01:00",
                                                   "2026-11-21T10:15:00+01:00",
                                                   "2026-11-21T10:30:00+01:00"]
    for s in summaries:
        day = "2026/11/21"
        name = s["start"][11:13] + s["start"][14:16] + "W.json"
        status, _h, body = dev.request("/meter/%s/%s" % (day, name))
        assert status == 200
        f = json.loads(body)
        assert s["quarter_id"] == f["quarter_id"]
        assert s["consumed_power_avg"] == f["consumed_power_avg"]
        assert s["produced_power_avg"] == f["produced_power_avg"]
        assert s["consumed_energy_avg"] == f["consumed_energy_avg"]
    peaks = [json.loads(p) for p, _r in sub.got(base + "peak")]
    assert peaks, "no peak event"
    own = dev.json("/current/month/peak")["own"]
    assert peaks[-1]["quarter_id"] == own["quarter_id"] and peaks[-1]["power_w"] == own["power"]


def test_last_will_on_a_kill_and_back_online(device, broker, subscriber):
    b = broker()
    sub = subscriber(b.port)
    dev = device(profile="nl5", speed=5, config=config(b.port))
    base = "digimon/%s/" % serial_of(dev)
    wait_until(lambda: sub.got(base + "state"), 10, "a state message")
    dev.cut_power()
    wait_until(lambda: sub.got(base + "status")[-1] == (b"offline", False), 10,
               "the last will")
    late = subscriber(b.port)
    wait_until(lambda: late.got(base + "status"), 5, "the retained status")
    assert late.got(base + "status") == [(b"offline", True)]
    dev.start_firmware()
    wait_until(lambda: late.got(base + "status")[-1] == (b"online", False), 10, "online again")


def test_broker_restart_loses_nothing_in_the_history(device, broker, subscriber):
    b = broker()
    sub = subscriber(b.port)
    dev = device(profile="be", speed=30, start="2026-11-21T10:11:00", config=config(b.port))
    base = "digimon/%s/" % serial_of(dev)
    wait_until(lambda: sub.got(base + "state"), 10, "a state message")
    sub.stop()
    b.stop()
    time.sleep(12)  # 6 meter minutes: the 10:15 quarter ends while the broker is away
    about = dev.json("/about")
    assert about["mqtt"]["connected"] is False and about["mqtt"]["failures_since_start"] >= 1
    assert "broker" in about["mqtt"]["error"] or "connection" in about["mqtt"]["error"]
    assert dev.json("/api/v1/data")["active_power_w"] is not None  # serving meanwhile
    b.start()
    sub = subscriber(b.port)
    wait_until(lambda: sub.got(base + "status"), 30, "the device back on the broker")
    wait_until(lambda: sub.got(base + "quarter"), 20, "the summary kept for the broker")
    summary = json.loads(sub.got(base + "quarter")[0][0])
    assert summary["start"] == "2026-11-21T10:00:00+01:00"
    assert dev.json("/about")["mqtt"]["connected"] is True
    # the quarter that ended while the broker was away is whole on the card
    f = dev.json("/meter/2026/11/21/1000W.json")
    assert f["quarter_id"] == summary["quarter_id"]
    assert f["consumed_power_avg"] == summary["consumed_power_avg"]
    sent = [e for e in dev.sent() if e["t"].startswith("2026-11-21T10:1") and
            "10:11:00" <= e["t"][11:19] < "10:15:00"]
    slots = f["consumed_power_interval_avgs"]
    assert len(slots) == 180 and slots[-1] is not None  # the quarter ran to its end
    assert all(v is not None for v in slots[132:]), "telegrams lost while the broker was away"
    assert sent  # the simulator's log covers it
    events = dev.request("/events")[2].decode()
    assert "mqtt" in events and "failures since start" in events


def test_a_refused_login_says_why_and_does_not_retry_at_once(device, broker):
    b = broker(users={"p1": "right"})
    dev = device(profile="nl5", speed=5, config=config(b.port, user="p1", password="wrong"))
    wait_until(lambda: (dev.json("/about")["mqtt"] or {}).get("error"), 10, "the refusal")
    about = dev.json("/about")["mqtt"]
    assert "refused the user name or password" in about["error"] or \
        "not authorized" in about["error"], about
    time.sleep(4)
    assert dev.json("/about")["mqtt"]["failures_since_start"] == 1  # no tight retry loop
    events = dev.request("/events")[2].decode()
    assert events.count("refused") == 1


def test_a_right_login_connects(device, broker, subscriber):
    b = broker(users={"p1": "right", "test": "test"})
    sub = subscriber(b.port, auth=("test", "test"))
    dev = device(profile="nl5", speed=5, config=config(b.port, user="p1", password="right",
                                                       prefix="home/p1", discovery=False))
    serial = serial_of(dev)
    wait_until(lambda: sub.got("home/p1/%s/state" % serial), 10, "a state message")
    assert not [t for t in sub.topics_seen() if t.startswith("homeassistant/")]


def test_no_broker_at_start_then_one(device, broker, subscriber, tmp_path):
    from host_tests.device import free_port

    port = free_port()
    dev = device(profile="nl5", speed=5, config=config(port))
    wait_until(lambda: (dev.json("/about")["mqtt"] or {}).get("error"), 10, "the failure")
    about = dev.json("/about")["mqtt"]
    assert "connection refused" in about["error"] and about["connected"] is False
    assert dev.json("/api/v1/data")["active_power_w"] is not None
    b = broker(port=port)
    sub = subscriber(b.port)
    wait_until(lambda: sub.got("digimon/%s/state" % serial_of(dev)), 30, "a state message")


def test_tls_is_refused_where_the_runtime_has_no_ssl(device, broker):
    from digimon import runtime

    if runtime.choose() != "32":
        pytest.skip("the 32-bit stand-in has no ssl; test_mqtt_tls.py covers TLS")
    b = broker()
    dev = device(profile="nl5", speed=5, config=config(b.port, tls=True))
    wait_until(lambda: (dev.json("/about")["mqtt"] or {}).get("error"), 10, "the failure")
    assert "TLS is not available" in dev.json("/about")["mqtt"]["error"]
