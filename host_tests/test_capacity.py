"""The capacity tariff end to end: the headroom in /current/live against a computation
of our own, and the 12-month bill of /historic/peaks (from the meter's 0-0:98.1.0, and
from the quarter files only)."""

import time

import pytest

from host_tests.device import wait_until
from host_tests.feeder import Fed


def _tdiv(a, b):
    q = abs(a) // b
    return -q if a < 0 else q


def best_rest(avg, elapsed, limit):
    """The highest whole W for the rest of the quarter that keeps its average at or
    below limit, by bisection over avg × elapsed + W × (900 − elapsed) <= limit × 900."""
    lo, hi = -10 ** 8, 10 ** 8
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if avg * elapsed + mid * (900 - elapsed) <= limit * 900:
            lo = mid
        else:
            hi = mid
    return lo


def live_and_peak(dev):
    """/current/live with the month peak it was held to (None when the peak changed
    between the requests: a quarter ended)."""
    before = dev.json("/current/month/peak").get("peak")
    live = dev.json("/current/live")
    if dev.json("/current/month/peak").get("peak") != before or live["second"] is None \
            or live["second"] >= 899:
        return None, None
    return live, before["power"] if before else 0


def check_headroom(live, limit):
    """/current/live's headroom against the computation from its own quarter slots."""
    q = live["quarter"]
    slots = [v for v in q["consumed_power_interval_avgs"] if v is not None]
    avg = _tdiv(sum(slots), len(slots))
    assert avg == q["consumed_power_avg"]
    elapsed = live["second"] + 1
    assert live["limit_w"] == limit
    assert live["headroom_w"] == best_rest(avg, elapsed, limit), (live["second"], avg)
    start = q["quarter_id"] & 0x7F
    end = (start + 1) % 96
    assert live["headroom_until"] == "%02d:%02d" % (end // 4, end % 4 * 15)
    want = (avg * elapsed + live["power_w"] * (900 - elapsed)) / 900
    assert abs(live["projected_w"] - want) <= 0.5
    return live["second"]


def test_headroom_follows_the_quarter_and_the_month_peak(device):
    dev = device(speed=30, start="2026-11-21T18:05:00")  # evening: the month has a peak
    wait_until(lambda: dev.json("/current/live")["second"], 20, "a live quarter")
    seen = set()
    end = time.monotonic() + 25
    while time.monotonic() < end and len(seen) < 6:
        live, top = live_and_peak(dev)
        if live is None:
            continue
        seen.add(check_headroom(live, max(top, 2500)) // 60)
        time.sleep(1.5)
    assert len(seen) >= 4, seen  # minutes of the quarter at which it was checked


def test_headroom_with_the_peak_below_the_minimum(device):
    # the month's first quarters, at night: no peak yet, then one under 2.5 kW
    dev = device(speed=60, start="2026-12-01T00:00:00")
    wait_until(lambda: dev.json("/current/live")["second"], 20, "a live quarter")
    seen = []
    end = time.monotonic() + 60
    while time.monotonic() < end and sum(top > 0 for _q, top in seen) < 3:
        live, top = live_and_peak(dev)
        if live is None:
            continue
        assert top < 2500
        check_headroom(live, 2500)
        seen.append((live["quarter"]["quarter_id"], top))
        time.sleep(1.5)
    assert seen[0][1] == 0 and seen[-1][1] > 0, seen  # before and after the first peak


def test_headroom_follows_the_configured_minimum(device):
    config = {"wifi": {"ssid": "home", "password": "wifi-Pw-123"},
              "web": {"user": "admin", "password": "s3cret-Pw"}, "tariff": {"minimum_kw": 6}}
    dev = device(speed=10, start="2026-11-21T18:05:00", config=config)
    wait_until(lambda: dev.json("/current/live")["second"], 20, "a live quarter")
    live = dev.json("/current/live")
    assert live["limit_w"] == 6000 and check_headroom(live, 6000) >= 0


@pytest.fixture
def fed(tmp_path):
    made = []

    def make(**kw):
        f = Fed(tmp_path / ("fed%d" % len(made)), **kw)
        made.append(f)
        return f

    yield make
    for f in made:
        f.stop()


def test_no_headroom_before_the_first_telegram(fed):
    live = fed().json("/current/live")
    assert live["headroom_w"] is None and live["projected_w"] is None
    assert live["headroom_until"] is None and live["limit_w"] == 2500
