"""The heap with MQTT on, on the board stand-in (the 32-bit MicroPython at 112k, the SD
card a FAT image): MQTT publishing every 5 s (Home Assistant's discovery again and
again, quarter summaries) while the web UI, Home Assistant and a Fluksometer script
poll (host_tests/budget.py's run, with a broker); every answer 200, every quarter file
exact, and the least free heap after a collection (/about memory.heap_min_free) at 8 KB
or more."""

import threading

import pytest

from digimon import runtime
from host_tests import budget
from host_tests.test_budget import CARD, MIN_FREE, exact
from host_tests.test_mqtt import broker, subscriber  # noqa: F401  (fixtures)

needs_32 = pytest.mark.skipif(runtime.choose() != "32",
                              reason="measures the board's heap: the 32-bit stand-in only")


@needs_32
@pytest.mark.xfail(reason="not yet: with the FAT card's 4.6 KB window (0d78eb2) MQTT's resident "
                          "~2.2 KB and a tick's ~7.5 KB (mqttlink with core.homewizard) leave "
                          "requests and ticks short of heap at 112k under this polling (503s, "
                          "MemoryErrors in ticks, least free ~3-5 KB); it passed at 10 KB "
                          "least free with the card a folder, before that commit", strict=False)
def test_the_budget_holds_with_mqtt_on(device, broker, subscriber):  # noqa: F811
    b = broker()
    sub = subscriber(b.port)
    config = dict(budget.CONFIG, mqtt={"host": "127.0.0.1", "port": b.port, "interval_s": 5})
    count = 3600
    dev = device(speed=60, count=count, start="2026-11-21T09:50:00", sd_image=CARD,
                 config=config)
    serial = dev.json("/about")["serial"]
    flukso = "/sensor/%s?version=1.0&interval=minute&unit=watt" % serial
    stop = threading.Event()

    def home_assistant_restarts():  # each time: the discovery again
        while not stop.wait(12):
            sub.publish("homeassistant/status", "online")

    t = threading.Thread(target=home_assistant_restarts, daemon=True)
    t.start()
    try:
        run = budget.polling(dev, count, budget.POLLS + ((flukso, 2.0),))
    finally:
        stop.set()
    about = run["about"]
    mem = about["memory"]
    print("budget with MQTT on", mem, about["mqtt"])
    bad = {p: s for p, s in run["statuses"].items() if set(s) != {200}}
    assert not bad, (bad, mem)
    assert mem["errors"] == 0, mem
    m = about["mqtt"]
    assert m["connected"] and m["error"] is None and m["failures_since_start"] == 0, m
    base = "digimon/%s/" % serial
    assert len(sub.got(base + "state")) >= 8 and len(sub.got(base + "quarter")) >= 3
    assert mem["heap_min_free"] >= MIN_FREE, mem
    exact(run)
