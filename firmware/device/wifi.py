"""WiFi: join the configured network, else open the setup access point with its
captive-portal DNS; set the clock by NTP once joined, and daily. Nothing here blocks
start-up: the P1 reader and the history run whatever the network does. The rare jobs
(joining, the access point, NTP) are in device.connect, loaded for the job.
"""

import asyncio
import time

from micropython import const

from firmware.core import cold

AP_SSID = "DigitaleMeterMonitor"
_CHECK_MS = const(10000)  # joined: how often the link is checked
_RETRY_MS = const(5 * 60 * 1000)  # setup mode with a config: try the configured network again


def _connect():
    return cold.load("firmware.device.connect")


class Wifi:
    def __init__(self, board, cfg, events):
        self.board = board
        self.cfg = cfg
        self.events = events
        self.mode = "starting"  # then "station" or "setup"
        self.ip = None  # the station's address
        self.ap = None  # the setup access point's address
        self.dns = None  # the captive-portal DNS server while the access point is open
        self.clock_set = board.ntp_host is None  # the unix port's clock is the host's
        self.ntp_fails = 0

    async def run(self):
        while True:
            try:
                await self._run()
            except MemoryError:  # no heap for a join or for NTP just now: again later
                await asyncio.sleep_ms(_CHECK_MS)

    async def _run(self):
        ssid = self.cfg["wifi"]["ssid"]
        if self.mode == "starting":
            if not ssid:
                _connect().open_ap(self, "no WiFi network configured")
            elif not await _connect().join(self):
                _connect().open_ap(self, "cannot join %s" % ssid)
        ntp_at = time.ticks_ms()  # when the clock is to be set next
        while True:
            if self.mode == "setup":
                await asyncio.sleep_ms(_RETRY_MS)
                if ssid:
                    await _connect().join(self)  # the access point stays open meanwhile
                continue
            if self.board.ntp_host is not None and time.ticks_diff(time.ticks_ms(), ntp_at) >= 0:
                ntp_at = time.ticks_add(time.ticks_ms(), await _connect().set_clock(self))
            await asyncio.sleep_ms(_CHECK_MS)
            if self.board.wifi_ip() is None:
                self.events.add("wifi", "lost %s; joining again" % ssid)
                self.ip = None
                while not await _connect().join(self):
                    await asyncio.sleep_ms(_CHECK_MS)
