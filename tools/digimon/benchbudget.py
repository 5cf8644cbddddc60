"""The budget runs of `digimon bench` (host_tests/budget.py does the work, as for the
tests): the firmware on the 32-bit interpreter with a FAT card,
- a simulated month at the board's heap (112k), from mid-October to mid-November (the
  autumn DST hour and a month change), fed at full speed, polled like the web UI and
  Home Assistant and with MQTT on: the least free heap, the statuses, SD writes per day, the quarter
  files against the computation;
- the pressure run at 96k, HTTP hammered: what was lost (nothing, it must be)."""

import sys
import tempfile
from pathlib import Path

from digimon import runtime

ROOT = Path(__file__).resolve().parents[2]
START = "2026-10-15T00:00:00"
CARD = 131072  # sectors: a 64 MB FAT image, room for a month of quarter files


def _host_tests():
    if str(ROOT) not in sys.path:  # host_tests does the work, as for the tests
        sys.path.insert(0, str(ROOT))


def _device(tmp, **kw):
    from host_tests.device import Device

    return Device(tmp, sd_image=CARD, start=START, speed=100000, **kw)


def month(days):
    """The polling run over `days` simulated days at the board's heap, with MQTT on
    (a mosquitto of its own) when mosquitto is installed."""
    _host_tests()
    from host_tests import budget
    from host_tests.mqtt_broker import MOSQUITTO, Broker

    count = days * 86400
    with tempfile.TemporaryDirectory(prefix="digimon-bench-") as tmp:
        broker = Broker(Path(tmp) / "mqtt") if Path(MOSQUITTO).exists() else None
        config = budget.CONFIG if broker is None else dict(
            budget.CONFIG, mqtt={"host": "127.0.0.1", "port": broker.port})
        dev = _device(Path(tmp), count=count, config=config, heap=runtime.heap("32"))
        try:
            run = budget.polling(dev, count)
        finally:
            dev.stop()
            if broker is not None:
                broker.stop()
    about = run.pop("about")
    run.update(days=days, telegrams=about["p1"]["telegrams"], memory=about["memory"],
               http=about["http"], sd_writes_per_day=about["history"]["writes"] / days,
               sd_errors=about["history"]["errors"], mqtt=about.get("mqtt"))
    return run


def pressure(hours=2):
    """The pressure run at 96k, hammered from three clients."""
    _host_tests()
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
