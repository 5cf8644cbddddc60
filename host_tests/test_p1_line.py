"""The P1 line settings without a setting: the firmware on the unix port learns them
from the line (p1.line), and config.json's p1.baud stays an override."""

import json

from host_tests.device import LOGIN, WIFI, wait_until


def data(dev):
    return dev.json("/api/v1/data").get("total_power_import_kwh")


def test_a_dsmr22_meter_needs_no_setting(device):
    """Nothing valid at 115200 8N1 for 25 s: 9600 7E1, which works, and is kept."""
    dev = device(profile="nl22", speed=10, baud=None)
    p1 = dev.json("/about")["p1"]
    assert p1["baud"] == 115200 and p1["line"] == "learning"
    wait_until(lambda: data(dev), 60, lambda: "telegrams after the switch\n" + dev.output())
    assert "no valid telegram at 115200 baud: trying 9600" in dev.output()
    wait_until(lambda: dev.json("/about")["p1"]["line"] == "learned", 30, "learned")
    p1 = dev.json("/about")["p1"]
    assert p1["baud"] == 9600 and p1["crc_errors"] == 0 and p1["telegrams"] >= 1
    assert (dev.flash / "p1baud").read_text() == "9600"
    # started again, the firmware reads the line as it worked: telegrams at once
    dev.cut_power()
    dev.start_firmware()
    assert dev.json("/about")["p1"]["baud"] == 9600
    sent = len(dev.sent())
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] >= 2, 10, "telegrams at 9600")
    assert len(dev.sent()) - sent <= 4  # a telegram a second: no 25 s wait
    assert "trying" not in dev.output().split("digimon")[-1]


def test_a_dsmr5_meter_is_read_at_once(device):
    dev = device(profile="nl5", speed=1, baud=None)
    wait_until(lambda: data(dev), 10, "telegrams at 115200")
    p1 = dev.json("/about")["p1"]
    assert p1["baud"] == 115200 and p1["line"] == "learning" and p1["crc_errors"] == 0


def test_config_baud_is_an_override(device):
    config = {"wifi": WIFI, "web": dict(zip(("user", "password"), LOGIN)), "p1": {"baud": 9600}}
    dev = device(profile="nl22", speed=10, baud=None, config=config)
    wait_until(lambda: data(dev), 15, "telegrams at the configured 9600")
    p1 = dev.json("/about")["p1"]
    assert p1["baud"] == 9600 and p1["line"] == "configured"
    # and so is the unix board's --baud
    dev2 = device(profile="nl5", speed=1, baud=115200)
    wait_until(lambda: data(dev2), 10, "telegrams at --baud 115200")
    assert dev2.json("/about")["p1"]["line"] == "configured"
    assert not (dev2.flash / "p1baud").exists()
    assert json.loads((dev.sd / "config.json").read_text())["p1"] == {"baud": 9600}
