"""The Fluksometer local API, GET /sensor/<id>, end to end: the last 60 one-second
points as [[unix time, W], ...], "nan" for a second without a telegram, JSONP with
callback=, checked against what the simulated meter sent."""

import json
import time
from datetime import datetime

from host_tests.device import wait_until

QUERY = "?version=1.0&interval=minute&unit=watt"


def sent_watts(dev):
    """{unix time: net W} of every telegram the simulator sent."""
    out = {}
    for e in dev.sent():
        v = e["values"]
        out[int(datetime.fromisoformat(e["t"]).timestamp())] = \
            v.get("power_import_w", 0) - v.get("power_export_w", 0)
    return out


def test_the_minute_of_points_is_what_the_meter_sent(device):
    dev = device(profile="be", speed=10, count=150)
    serial = dev.json("/about")["serial"]
    assert len(serial) == 12
    status, headers, body = dev.request("/sensor/%s%s" % (serial, QUERY))
    assert status == 200 and headers["Content-Type"] == "application/json"
    first = json.loads(body)  # the first request starts the ring
    assert first == [] or len(first) == 60
    wait_until(lambda: dev.meter.poll() is not None, 30, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == 150, 10, "all telegrams")
    points = json.loads(dev.request("/sensor/%s%s" % (serial, QUERY))[2])
    assert len(points) == 60
    times = [t for t, _w in points]
    assert times == list(range(times[0], times[0] + 60))
    watts = sent_watts(dev)
    last = max(watts)
    assert last - 60 < times[-1] <= last + 60  # ends now: the last telegram, and its age
    known = [(t, w) for t, w in points if w != "nan"]
    assert len(known) >= 30
    for t, w in known:
        assert w == watts[t], (t, w, watts[t])


def test_seconds_without_a_telegram_are_nan(device):
    # DSMR 4 sends a telegram every 10 s: nine seconds in ten have none
    dev = device(profile="nl4", speed=10, count=15)
    serial = dev.json("/about")["serial"]
    dev.request("/sensor/%s%s" % (serial, QUERY))  # start the ring (before 10 meter s)
    wait_until(lambda: dev.meter.poll() is not None, 30, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == 15, 10, "all telegrams")
    points = json.loads(dev.request("/sensor/%s%s" % (serial, QUERY))[2])
    watts = sent_watts(dev)
    for t, w in points:
        if t in watts and t > min(watts):  # sent after the ring started
            assert w == watts[t]
        elif t not in watts:
            assert w == "nan"
    assert 3 <= len([w for _t, w in points if w != "nan"]) <= 7


def test_jsonp_and_the_checks(device):
    dev = device(profile="nl5", speed=5)
    serial = dev.json("/about")["serial"]
    dev.request("/sensor/%s%s" % (serial, QUERY))
    time.sleep(1.5)
    status, headers, body = dev.request("/sensor/%s%s&callback=realtime" % (serial, QUERY))
    assert status == 200 and headers["Content-Type"] == "application/javascript"
    text = body.decode()
    assert text.startswith("realtime([[") and text.endswith("]])")
    assert len(json.loads(text[len("realtime("):-1])) == 60
    for path, want in (("/sensor/0123456789ab" + QUERY, 404),
                       ("/sensor/%s?interval=minute" % serial, 400),
                       ("/sensor/%s?interval=hour&unit=watt" % serial, 400),
                       ("/sensor/%s?version=2.0&interval=minute&unit=watt" % serial, 400),
                       ("/sensor/%s%s&callback=alert(1)" % (serial, QUERY), 400),
                       ("/sensor/%s%s&callback=%%3Cscript%%3E" % (serial, QUERY), 400)):
        status, _h, body = dev.request(path)
        assert status == want, (path, status, body)
        assert json.loads(body)["status"] == "error"
    assert dev.request("/sensor/%s%s" % (serial, QUERY), method="POST", body=b"{}")[0] == 405
    assert dev.request("/sensor/%s%s" % (serial, QUERY), auth=None)[0] == 401
