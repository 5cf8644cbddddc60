"""The real firmware on the MicroPython unix port, fed by the simulator over a pty."""

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from digimon import run  # noqa: E402

LOGIN = ("admin", "s3cret-Pw")
WIFI = {"ssid": "home", "password": "wifi-Pw-123"}
RESET_EXIT = 3  # the firmware's "restart me" exit status (board/unix.py)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(fn, timeout=20.0, what="condition"):
    end = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + (what() if callable(what) else what))
        time.sleep(0.05)


class Device:
    """A simulated meter on a pty and the firmware reading it, with an HTTP client."""

    def __init__(self, tmp, profile="be", speed=10, count=None, start="2026-11-21T10:00:00",
                 seed=3, config=None, extra=(), tcp=False, board_args=(), sd_image=None,
                 heap=None, wait_http=True, baud="profile"):
        self.tmp = Path(tmp)
        self.sd = self.tmp / "sd"  # a directory, or with sd_image (sectors) a FAT image
        self.sd.mkdir(parents=True, exist_ok=True)
        self.flash = self.tmp / "flash"  # the board's flash: app slots, config.json's copy
        self.led = self.tmp / "led.txt"  # the LED timeline
        self.button = self.tmp / "button"  # BOOT is held while this file exists
        if config is None:
            config = {"wifi": WIFI, "web": {"user": LOGIN[0], "password": LOGIN[1]}}
        if config is not False:
            (self.sd / "config.json").write_text(json.dumps(config))
        if sd_image:  # the same files on a FAT card
            from host_tests import fatimage

            files = {p.name: p.read_bytes() for p in self.sd.iterdir()}
            self.sd = fatimage.make(self.tmp / "sd.img", sd_image, files)
        self.link = self.tmp / "p1"
        self.log = self.tmp / "meter.jsonl"
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        out = "pty:%s" % self.link
        if tcp:  # a ser2net-style bridge instead of a serial port
            out = "tcp://127.0.0.1:%d" % free_port()
            self.link = Path(out)
        cmd = [sys.executable, "-m", "digimon.cli", "meter", "--out", out,
               "--profile", profile, "--speed", str(speed), "--start", start,
               "--seed", str(seed), "--log", str(self.log), *extra]
        if count:
            cmd += ["--count", str(count)]
        env = dict(os.environ, PYTHONPATH=str(ROOT / "tools"))
        self.meter = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
        if not tcp:
            wait_until(self.link.exists, 10, "the simulator's pty")
        if baud == "profile":  # the --baud the profile needs; None: no --baud (learned)
            baud = 9600 if profile == "nl22" else 115200
        self.fw_cmd = run.command(out if tcp else str(self.link), str(self.sd),
                                  "127.0.0.1:%d" % self.port, baud,
                                  heap=heap, board={"flash": str(self.flash), "led": str(self.led),
                                                    "button": str(self.button)})
        self.fw_cmd[0].extend(board_args)
        self.fw_out = open(self.tmp / "firmware.log", "w")
        self.start_firmware(wait_http)

    def start_firmware(self, wait_http=True):
        argv, env, cwd = self.fw_cmd
        self.firmware = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.fw_out,
                                         stderr=subprocess.STDOUT)
        if wait_http:
            wait_until(self._up, 20, "the firmware's HTTP server")

    def wait_restart(self, timeout=20):
        """The firmware restarts itself (exit status RESET_EXIT): start it again, as the
        board's reset would."""
        self.firmware.wait(timeout)
        assert self.firmware.returncode == RESET_EXIT, self.output()
        self.start_firmware()

    def restart_until_up(self, max_starts=6):
        """After a reset: start the firmware again, and again each time it resets
        itself before it serves (a version that crashes at start), as a board
        would. Returns how many starts that took."""
        for starts in range(1, max_starts + 1):
            self.firmware.wait(20)
            assert self.firmware.returncode == RESET_EXIT, self.output()
            argv, env, cwd = self.fw_cmd
            self.firmware = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.fw_out,
                                             stderr=subprocess.STDOUT)
            try:
                wait_until(self._up, 20, "the firmware's HTTP server")
                return starts
            except AssertionError:
                continue  # it exited: start it again
        raise AssertionError("the firmware did not come up in %d starts:\n%s"
                             % (max_starts, self.output()))

    def cut_power(self):
        """Kill the firmware at once, as a power cut would (the meter goes on)."""
        self.firmware.kill()
        self.firmware.wait(5)

    def _up(self):
        if self.firmware.poll() is not None:
            raise AssertionError("firmware exited:\n" + self.output())
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def output(self):
        self.fw_out.flush()
        return (self.tmp / "firmware.log").read_text()

    def request(self, path, method="GET", body=None, auth=LOGIN, headers=None):
        """(status, headers, body bytes); never raises for HTTP errors."""
        req = urllib.request.Request(self.base + path, data=body, method=method)
        if auth:
            token = base64.b64encode(("%s:%s" % auth).encode()).decode()
            req.add_header("Authorization", "Basic " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, path, **kw):
        status, _, body = self.request(path, **kw)
        assert status == 200, (path, status, body)
        return json.loads(body)

    def sent(self):
        """The simulator's log: one dict per telegram sent."""
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def stop_meter(self):
        if self.meter.poll() is None:
            self.meter.terminate()
            self.meter.wait(5)

    def stop(self):
        for p in (self.meter, self.firmware):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.fw_out.close()
