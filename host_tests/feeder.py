"""The real firmware on the MicroPython unix port, fed by the test itself over a pty:
telegrams of real meters, or of a meter whose load the test sets."""

import json
import os
import subprocess
import threading
import time
import tty
from pathlib import Path

from host_tests.device import LOGIN, WIFI, Device, free_port, run, wait_until

SHARED = Path(__file__).resolve().parents[2] / "shared" / "telegrams"
EXAMPLES = SHARED / "dsmr_parser_examples.json"


def example(name):
    """A telegram of ../shared/telegrams/dsmr_parser_examples.json by its id (dsmr_parser's
    test suite, ndokter/dsmr_parser test/example_telegrams.py at fa20ee45)."""
    for t in json.loads(EXAMPLES.read_text())["telegrams"]:
        if t["id"] == name:
            return t
    raise KeyError(name)


class Fed(Device):
    """The firmware reading a pty; send() writes to the other end. A Device without
    the simulated meter: its request(), json() and output() are Device's."""

    def __init__(self, tmp, config=None, heap=None, card=True):
        """card False: no SD card (config.json is then the copy in flash)."""
        self.tmp = Path(tmp)
        self.sd = self.tmp / "sd"
        if config is None:
            config = {"wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]}}
        home = self.sd if card else self.tmp / "flash"
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.json").write_text(json.dumps(config))
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        argv, env, cwd = run.command(os.ttyname(self.slave), str(self.sd),
                                     "127.0.0.1:%d" % self.port, heap=heap,
                                     board={"flash": str(self.tmp / "flash")})
        self.fw_out = open(self.tmp / "firmware.log", "w")
        self.firmware = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.fw_out,
                                         stderr=subprocess.STDOUT)
        wait_until(self._up, 20, "the firmware's HTTP server")

    def _up(self):
        if self.firmware.poll() is not None:
            raise AssertionError("firmware exited:\n" + self.output())
        try:
            self.request("/about", auth=None)
            return True
        except OSError:
            return False

    def send(self, telegram):
        data = telegram.encode() if isinstance(telegram, str) else telegram
        view = memoryview(data)
        while view:
            view = view[os.write(self.master, view):]

    def telegrams(self):
        return self.json("/about")["p1"]["telegrams"]

    def feed(self, telegram, times=1):
        """Send a telegram `times` times and wait until the firmware has read them."""
        want = self.telegrams() + times
        for _ in range(times):
            self.send(telegram)
            time.sleep(0.01)
        wait_until(lambda: self.telegrams() >= want, 20, "the telegrams to be read")

    def stop(self):
        if self.firmware.poll() is None:
            self.firmware.terminate()
            try:
                self.firmware.wait(5)
            except subprocess.TimeoutExpired:
                self.firmware.kill()
        self.fw_out.close()
        os.close(self.master)
        os.close(self.slave)


class LoadMeter(threading.Thread):
    """The simulated Belgian meter (digimon meter's Meter) with the load the test sets
    in `watts` (spread over the three phases), sending to a Fed firmware `speed`
    telegrams a second (its clock runs that much faster)."""

    def __init__(self, fed, start, watts=300, speed=10):
        super().__init__(daemon=True)
        from digimon.meter import Meter

        self.fed = fed
        self.watts = watts
        self.speed = speed
        self.meter = Meter("be", start, seed=1)
        self.meter.house.power = lambda t, local: [self.watts / 3] * 3
        self.running = True

    def run(self):
        while self.running:
            wire, _entry = self.meter.next_telegram()
            try:
                self.fed.send(wire)
            except OSError:
                return
            time.sleep(1 / self.speed)

    def stop(self):
        self.running = False
        self.join(5)
