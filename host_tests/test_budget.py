"""The board's memory budget, end to end (DESIGN §5), on the 32-bit MicroPython 1.28 at
the board's heap, with the SD card a FAT image as the board has it (host_tests/budget.py
runs them; `digimon bench` runs the same for a simulated month):
- at 112k, every service on and polled the way the web UI and Home Assistant poll, a few
  simulated hours across a month change and across the autumn DST hour: every answer 200,
  every quarter file exact, and at least 8 KB of heap free at the lowest;
- memory pressure, HTTP hammered from three clients: at 96k the web server does not fit,
  at the budget's 112k it answers (and may answer 503); either way the P1 reader and the
  history lose nothing, and the firmware neither crashes nor restarts."""

import pytest

from digimon import runtime
from host_tests import budget

needs_32 = pytest.mark.skipif(not runtime.MP32.exists(),
                              reason="no 32-bit MicroPython (make mp32 needs ../shared)")
MIN_FREE = 8 * 1024
CARD = 16384  # sectors: an 8 MB FAT image


def exact(run):
    assert run["quarters"] > 0 and not (run["missing"] or run["wrong"] or run["extra"]), run


@needs_32
@pytest.mark.parametrize("start, hours", [("2026-10-31T22:30:00", 4),  # into November
                                          ("2026-10-25T01:30:00", 3)])  # 02:00-03:00 twice
def test_the_budget_holds_under_polling(device, start, hours):
    count = hours * 3600
    dev = device(speed=800, count=count, start=start, sd_image=CARD, config=budget.CONFIG)
    assert dev.fw_cmd[0][2] == "heapsize=112k"
    run = budget.polling(dev, count, [(p, every / 4) for p, every in budget.polls_on(start[:10])])
    mem = run["about"]["memory"]
    bad = {p: s for p, s in run["statuses"].items() if set(s) != {200}}
    assert not bad, (bad, mem)
    assert mem["heap_total"] < 113 * 1024 and mem["errors"] == 0, mem
    print("budget", start, mem, run["about"]["http"])
    assert mem["heap_min_free"] >= MIN_FREE, mem
    exact(run)


@needs_32
@pytest.mark.parametrize("heap", [runtime.heap("32", pressure=True), runtime.heap("32")])
def test_under_memory_pressure_ingest_loses_nothing(device, heap):
    count = 2 * 3600
    dev = device(speed=400, count=count, start="2026-11-21T09:00:00", sd_image=CARD, heap=heap,
                 wait_http=False)
    run = budget.pressure(dev)
    assert run["stayed_up"], run["output"]
    assert set(run["statuses"]) <= {200, 503, "dropped"}, run["statuses"]
    if heap == runtime.heap("32"):
        assert run["statuses"].get(200, 0) > 0
        assert run["about"], run["output"][-3000:]  # the web server still answers
        p1 = run["about"]["p1"]
        assert p1["telegrams"] == count and p1["crc_errors"] == 0, p1
    else:
        assert 200 not in run["statuses"] and "no heap for the web server" in run["output"]
    exact(run)
