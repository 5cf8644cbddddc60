"""The memory budget runs (DESIGN §5), shared by host_tests/test_budget.py (a few
simulated hours) and `digimon bench` (a simulated month): they measure, the test asserts.

- polling: the firmware fed at full speed and polled the way the web UI and Home
  Assistant poll; every answer's status, /about at the end, and the quarter files on
  the card compared with the computation from the simulator's log;
- pressure: HTTP hammered from a few clients at once; the statuses, whether the firmware
  stayed up, and the same comparison of the files.
"""

import json
import threading
import time

from host_tests.device import wait_until
from host_tests.test_fat_sd import quarter_files
from host_tests.test_history_e2e import expected

POLLS = (  # (path, seconds between requests): the web UI's Now view and Home Assistant
    ("/api/v1/data", 1.0),
    ("/current/live", 1.0),
    ("/current/quarter", 5.0),
    ("/current/month/peak", 10.0),
    ("/historic/day?date=2026-11-03", 30.0),
    ("/historic/month?year=2026&month=11", 60.0),
    ("/about", 60.0),
)


def polls_on(day, polls=POLLS):
    """POLLS with the Day view on `day` (YYYY-MM-DD): a run of a few hours polls its own
    day, so that the day's answer streams quarter files from the card while the
    recorder writes."""
    return tuple((p.replace("2026-11-03", day) if p.startswith("/historic/day?") else p, every)
                 for p, every in polls)


HAMMERED = ("/api/v1/data", "/current/live", "/current/month/peak", "/historic/day?date=2026-11-21",
            "/about", "/app.js", "/historic/month?year=2026&month=11")
CONFIG = {"web": {"user": "admin", "password": "s3cret-Pw"},
          "wifi": {"ssid": "home", "password": "wifi-Pw-123"}}


def _status(dev, path):
    try:
        status, _, body = dev.request(path, headers={"Accept-Encoding": "gzip"})
        return status if status == 200 else "%d %s" % (status, body[:60].decode("latin-1"))
    except OSError as e:
        return type(e).__name__


def polling(dev, count, polls=POLLS):
    """Poll `dev` as `polls` say (each path at its own pace, in wall time) until the
    simulator has sent its `count` telegrams and the firmware has taken them all."""
    seen = {}
    due = {path: 0.0 for path, _ in polls}
    t0 = time.monotonic()
    while dev.meter.poll() is None:
        now = time.monotonic()
        for path, every in polls:
            if now >= due[path]:
                status = _status(dev, path)
                seen.setdefault(path, {}).setdefault(status, 0)
                seen[path][status] += 1
                due[path] = now + every
        time.sleep(0.02)
    seconds = time.monotonic() - t0
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == count, 60, "every telegram")
    about = dev.json("/about")
    return {"statuses": seen, "about": about, "seconds": seconds, **files(dev)}


def pressure(dev, clients=3):
    """Hammer `dev` from `clients` threads until the simulator is done; the statuses
    (200, 503 or "dropped" when no connection was taken), whether the firmware stayed
    up all along, /about once the hammering stopped (None when no web server runs)."""
    stop = threading.Event()
    statuses = []

    def hammer():
        i = 0
        while not stop.is_set():
            try:
                statuses.append(dev.request(HAMMERED[i % len(HAMMERED)])[0])
            except OSError:
                statuses.append("dropped")
                time.sleep(0.05)
            i += 1

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        while dev.meter.poll() is None and dev.firmware.poll() is None:
            time.sleep(0.2)
        time.sleep(3)  # the last telegrams
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    up = dev.firmware.poll() is None
    about = None
    for _ in range(50 if up else 0):
        if _status(dev, "/about") == 200:
            about = dev.json("/about")
            break
        time.sleep(0.2)  # (or no web server at all)
    counts = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return {"statuses": counts, "stayed_up": up, "about": about, "output": dev.output(),
            **files(dev)}


def files(dev):
    """Stops the firmware and compares every finished quarter's file on the card with the
    computation from what the simulator sent: {"quarters", "missing", "wrong"}."""
    with open(dev.log) as log:
        want = expected(json.loads(line) for line in log)
    dev.stop()
    have = quarter_files(dev.sd)
    finished = list(want)[:-1]  # the last one is still running
    return {"quarters": len(finished),
            "missing": [q for q in finished if q not in have],
            "wrong": [q for q in finished if q in have and have[q] != want[q]],
            "extra": [q for q in have if q not in want]}
