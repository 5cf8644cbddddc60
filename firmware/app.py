"""Composition root: builds the services for a board and runs them as asyncio tasks."""

import asyncio
import gc
import time

from firmware.core import cold
from firmware.device import RESTART_MS
from firmware.device.events import EventLog
from firmware.device.led import StatusLed
from firmware.device.wifi import Wifi
from firmware.history.peaks import PeakTracker
from firmware.history.recorder import Recorder
from firmware.history.store import HistoryStore
from firmware.p1.reader import P1Reader
from firmware.version import VERSION

STALE_MS = 30000  # no telegram for this long: the LED and /about say so


def log(msg):
    print(msg)


def configfile():
    return cold.load("firmware.device.configfile")  # at start-up and on changes only


class State:
    """The running device: its services, and what the web API sees of them."""

    def __init__(self, board):
        self.board = board
        self.version = VERSION
        self.log = log
        self.started_ms = time.ticks_ms()
        self.events = EventLog(self.uptime_s, log)
        self.events.add("boot", "digimon %s on %s: %s" % (VERSION, board.name,
                                                            board.reset_cause()))
        self.load_config()
        board.set_p1_baud(self.cfg["p1"]["baud"])
        self.serial = board.unique_id()
        self.p1 = P1Reader(board, log)
        self.store = None
        self.recorder = Recorder(None, None, log)
        self.peaks = PeakTracker(None, self.recorder)
        self.recorder.on_quarter = self.peaks.on_quarter
        self.p1.listeners.append(self.recorder.on_reading)
        sd = board.sd_path()
        if sd is not None:
            self.attach_sd(sd)
        else:
            self.events.add("sd", "no SD card (%s): history is not kept" % board.sd_error)
        self.wifi = Wifi(board, self.cfg, self.events)
        self.led = StatusLed(board, self.led_code)
        self.p1.listeners.append(self.led.on_reading)
        self.heap_low = gc.mem_free()  # the least free heap seen, see note_heap()
        self.p1.listeners.append(self.note_heap)
        self.update = cold.load("firmware.update.slots").at_start(board, self.events)  # for /about

    def load_config(self):
        """config.json (SD card, else the flash copy) -> cfg, its errors and the login."""
        config = cold.load("firmware.core.config")  # needed at start-up only
        self.config_text, self.config_where = configfile().load(self.board, log)
        if self.config_text is None:
            self.cfg, self.config_errors = config.defaults(), []
            self.events.add("config", "no config.json: first setup")
        else:
            self.cfg, self.config_errors = config.parse(self.config_text)
            for e in self.config_errors:
                self.events.add("config", "config.json (%s): %s" % (self.config_where, e))
        self.login = config.login(self.cfg)  # (user, password) or None: web.auth checks it

    def attach_sd(self, sd):
        """The SD card is there (at start-up or later): history and events go to it."""
        self.events.attach(sd)
        store = HistoryStore(sd, log)
        pending = store.recover()
        self.store = store
        self.recorder.attach(store, pending)
        self.peaks.attach(store)
        asyncio.create_task(self.peaks.rebuild())

    def sd_trouble(self):
        """Why history is not being kept (str), or None when the SD card works."""
        if self.store is None:
            return self.board.sd_error or "no SD card"
        return self.board.sd_error or self.store.error

    def check_sd(self):
        """Called every few seconds: mount the SD card again when it is missing or
        failing; restart when a card brings another config.json."""
        if self.sd_trouble() is None:
            return
        sd = self.board.sd_retry()
        if sd is None:
            if self.events.folder is not None:
                self.events.detach()
                self.events.add("sd", "SD card lost: " + str(self.sd_trouble()))
            return
        if self.store is None:
            self.events.add("sd", "SD card found")
            self.attach_sd(sd)
        else:
            self.store.error = None  # mounted again: the next write tells (no remount loop)
            if self.events.folder is None:
                self.events.attach(sd)
                self.events.add("sd", "SD card back")
        if configfile().load(self.board, log)[0] != self.config_text:
            self.restart("the SD card has another config.json")

    def p1_stale(self):
        age = self.p1.age_ms()
        if age is None:
            return self.uptime_s() * 1000 > STALE_MS
        return age > STALE_MS

    def led_code(self):
        """The Morse code the LED repeats now, or None (a blink per telegram)."""
        if self.wifi.mode == "setup":
            return "wifi"
        if self.sd_trouble():
            return "sos"
        if self.p1_stale():
            return "p1"
        return None

    def note_heap(self, *_):
        """Keep the lowest free heap seen after a telegram (with its SD writes) and
        after a request (before its garbage is collected): the heap high-water."""
        free = gc.mem_free()
        if free < self.heap_low:
            self.heap_low = free

    def uptime_s(self):
        return time.ticks_diff(time.ticks_ms(), self.started_ms) // 1000

    def wifi_ssid(self):
        return self.cfg["wifi"]["ssid"] or None

    def identify(self):
        asyncio.create_task(self.led.say("e e e e e"))

    def restart(self, why):
        """Restart in RESTART_MS (so the answer that caused it still goes out)."""
        self.events.add("restart", why)
        asyncio.create_task(self._restart())

    async def _restart(self):
        await asyncio.sleep_ms(RESTART_MS)
        self.board.reset()

    async def confirm_version(self):
        """A new version that has run CONFIRM_MS is kept (see boot.py)."""
        slots = cold.load("firmware.update.slots")
        await asyncio.sleep_ms(slots.CONFIRM_MS)
        slots.confirm(self.board, self.events, self.update)

    async def wipe(self):
        """BOOT held 20 s: forget the WiFi and the login, say "bye", restart."""
        self.events.add("wipe", "BOOT held: config.json moved to config.wiped")
        configfile().wipe(self.board)
        await self.led.say("bye")
        self.board.reset()


async def run(board):
    state = State(board)  # first: its big buffers get unfragmented heap
    gc.collect()
    from firmware.device import button, health
    from firmware.web import routes  # microdot is large: imported after the rest

    gc.collect()
    host, port = getattr(board, "http", ("0.0.0.0", 80))
    server = routes.create(state)
    server.after = state.note_heap
    gc.threshold(8192)  # collect often: garbage freed early leaves fewer holes
    log("digimon %s on %s: http://%s:%d/" % (VERSION, board.name, host, port))
    for job in (state.p1.run(), server.watchdog(), state.led.run(), state.wifi.run(),
                button.watch(board, state.wipe), health.watch(state), state.confirm_version()):
        asyncio.create_task(job)
    await server.start_server(host=host, port=port)


def main(argv=None):
    from firmware.board import load

    try:
        board = load(argv)
    except ValueError as e:
        print(e)
        return 2
    asyncio.run(run(board))
    return 0
