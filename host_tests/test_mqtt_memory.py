"""The heap with MQTT on, on the board stand-in (the 32-bit MicroPython at 112k): MQTT
publishing every 5 s (discovery again and again, quarter summaries) while the web UI,
Home Assistant and a Fluksometer script poll; the least free heap after a collection
(/about memory.heap_min_free) must stay at 8 KB or more, and no telegram is lost."""

import json
import threading
import time

import pytest

from digimon import runtime
from host_tests.device import wait_until
from host_tests.test_mqtt import broker, config, subscriber  # noqa: F401  (fixtures)

needs_32 = pytest.mark.skipif(runtime.choose() != "32",
                              reason="measures the board's heap: the 32-bit stand-in only")
POLLS = (("/api/v1/data", 1.0), ("/current/live", 1.0), ("/about", 5.0),
         ("/current/month/peak", 5.0), ("/current/quarter", 5.0))
LEAST_FREE = 8 * 1024


def poll(dev, stop, statuses, extra):
    due = {}
    while not stop.is_set():
        now = time.monotonic()
        for path, every in POLLS + extra:
            if now >= due.get(path, 0):
                due[path] = now + every
                statuses.append(dev.request(path)[0])
        time.sleep(0.05)


@needs_32
def test_least_free_heap_with_mqtt_on(device, broker, subscriber):  # noqa: F811
    b = broker()
    sub = subscriber(b.port)
    dev = device(profile="be", speed=20, start="2026-11-21T10:12:00",
                 config=config(b.port, interval_s=5))
    serial = dev.json("/about")["serial"]
    extra = (("/sensor/%s?version=1.0&interval=minute&unit=watt" % serial, 2.0),)
    stop = threading.Event()
    statuses = []
    t = threading.Thread(target=poll, args=(dev, stop, statuses, extra))
    t.start()
    try:
        for _ in range(6):  # Home Assistant restarts now and then: the discovery again
            time.sleep(10)
            sub.publish("homeassistant/status", "online")
        time.sleep(5)
    finally:
        stop.set()
        t.join(10)
    about = dev.json("/about")
    base = "digimon/%s/" % serial
    print("least free heap with MQTT on: %d bytes (%s)" % (about["memory"]["heap_min_free"],
                                                           json.dumps(about["mqtt"])))
    assert about["mqtt"]["connected"] and about["mqtt"]["error"] is None
    assert about["mqtt"]["failures_since_start"] == 0
    assert len(sub.got(base + "state")) >= 10 and sub.got(base + "quarter")
    assert statuses.count(200) == len(statuses), set(statuses)
    assert about["memory"]["errors"] == 0
    assert about["memory"]["heap_min_free"] >= LEAST_FREE, about["memory"]
    # every telegram sent made it into the recorder meanwhile (the quarter files)
    assert about["p1"]["telegrams"] >= len(dev.sent()) - 2
    wait_until(lambda: dev.firmware.poll() is None, 1, "the firmware running")
