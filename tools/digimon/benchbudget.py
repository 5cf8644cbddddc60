"""The budget runs of `digimon bench` (host_tests/budget.py does the work, as for the
tests): the firmware on the 32-bit interpreter with a FAT card,
- a simulated month at the board's heap (112k), from mid-October to mid-November (the
  autumn DST hour and a month change), fed at full speed and polled like the web UI and
  Home Assistant: the least free heap, the statuses, SD writes per day, the quarter
  files against the computation;
- the pressure run at 96k, HTTP hammered: what was lost (nothing, it must be)."""

import sys
import tempfile
from pathlib import Path

from digimon import runtime

ROOT = Path(__file__).resolve().parents[2]
START = "2026-10-15T00:00:00"
CARD = 131072  # sectors: a 64 MB FAT image, room for a month of quarter files


def _device(tmp, **kw):
    sys.path.insert(0, str(ROOT))
    from host_tests.device import Device

    return Device(tmp, sd_image=CARD, start=START, speed=100000, **kw)


def month(days):
    """The polling run over `days` simulated days at the board's heap."""
    from host_tests import budget

    count = days * 86400
    with tempfile.TemporaryDirectory(prefix="digimon-bench-") as tmp:
        dev = _device(Path(tmp), count=count, config=budget.CONFIG, heap=runtime.heap("32"))
        try:
            run = budget.polling(dev, count)
        finally:
            dev.stop()
    about = run.pop("about")
    run.update(days=days, telegrams=about["p1"]["telegrams"], memory=about["memory"],
               http=about["http"], sd_writes_per_day=about["history"]["writes"] / days,
               sd_errors=about["history"]["errors"])
    return run


def pressure(hours=2):
    """The pressure run at 96k, hammered from three clients."""
    from host_tests import budget

    count = hours * 3600
    with tempfile.TemporaryDirectory(prefix="digimon-bench-") as tmp:
        dev = _device(Path(tmp), count=count, heap=runtime.heap("32", pressure=True),
                      wait_http=False)
        try:
            run = budget.pressure(dev)
        finally:
            dev.stop()
    run["telegrams_sent"] = count
    run["web_server"] = "no heap for the web server" not in run.pop("output")
    return run
