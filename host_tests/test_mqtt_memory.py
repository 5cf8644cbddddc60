"""The memory budget with MQTT on (DESIGN §5), on the board stand-in (the 32-bit
MicroPython at 112k, the SD card a FAT image): MQTT publishing every 5 s (Home
Assistant's discovery again and again, quarter summaries) while the web UI, Home
Assistant and a Fluksometer script poll (host_tests/budget.py's run, with a broker):
every answer 200, every quarter file exact, MQTT connected all along with every message
it owes, and at least 8 KB of heap free at the lowest; over a month change and over
the autumn DST hour, as test_budget.py without MQTT."""

import threading

import pytest

from digimon import runtime
from host_tests import budget
from host_tests.test_budget import CARD, MIN_FREE, exact

needs_32 = pytest.mark.skipif(runtime.choose() != "32",
                              reason="measures the board's heap: the 32-bit stand-in only")


@needs_32
@pytest.mark.parametrize("start", ["2026-10-31T22:30:00",  # into November
                                   "2026-10-25T01:30:00"])  # 02:00-03:00 twice
def test_the_budget_holds_with_mqtt_on(device, broker, subscriber, start):
    b = broker()
    sub = subscriber(b.port)
    config = dict(budget.CONFIG, mqtt={"host": "127.0.0.1", "port": b.port, "interval_s": 5})
    count = 3 * 3600  # three simulated hours
    dev = device(speed=240, count=count, start=start, sd_image=CARD,
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
        # the Day view every 3 s, not 30: its answer streams files from the card
        polls = [(p, 3.0 if p.startswith("/historic/day?") else every)
                 for p, every in budget.polls_on(start[:10])]
        run = budget.polling(dev, count, polls + [(flukso, 2.0)])
    finally:
        stop.set()
    about = run["about"]
    mem = about["memory"]
    print("budget with MQTT on", mem, about["mqtt"])
    exact(run)
    m = about["mqtt"]
    assert m["connected"] and m["error"] is None and m["failures_since_start"] == 0, m
    base = "digimon/%s/" % serial
    # a state message every 5 s but for the discovery's ticks (every 12 s here)
    assert len(sub.got(base + "state")) >= run["seconds"] / 15, run["seconds"]
    assert len(sub.got(base + "quarter")) >= 10
    bad = {p: st for p, st in run["statuses"].items() if set(st) != {200}}
    assert not bad, (bad, mem)
    assert mem["errors"] == 0 and mem["heap_min_free"] >= MIN_FREE, mem
