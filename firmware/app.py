"""Composition root: builds the services for a board and runs them as asyncio tasks."""

import asyncio
import gc
import time

from micropython import const

from firmware.core import cold
from firmware.device import RESTART_MS
from firmware.device.events import EventLog
from firmware.device.led import StatusLed
from firmware.device.wifi import Wifi
from firmware.history.peaks import PeakTracker
from firmware.history.recorder import Recorder
from firmware.history.store import HistoryStore  # noqa: F401  (kept: device.card makes one)
from firmware.p1.reader import P1Reader
from firmware.version import VERSION

_STALE_MS = const(30000)  # no telegram for this long: the LED and /about say so
# heap the web server takes (34 KB on the 32-bit port: microdot and the server 27, the
# routes 5, the per-use modules' names 2) and the least a request is served with
# (web.server.MIN_FREE): with less free it does not start (the P1 reader and the history
# go on without it)
_WEB_NEEDS = const(40 * 1024)


def log(msg):
    print(msg)


class State:
    """The running device: its services, and what the web API sees of them."""

    def __init__(self, board):
        self.board = board
        self.version = VERSION
        self.log = log
        self.started_ms = time.ticks_ms()
        self.memory_errors_web = 0  # tries to start the web server that found no heap
        self.health_memory_errors = 0  # once-a-second checks that found no heap
        self.events = EventLog(self.uptime_s, log)
        self.events.add("boot", "digimon %s on %s: %s" % (VERSION, board.name,
                                                            board.reset_cause()))
        # cfg, config_errors, config_where, config_sum and login, from config.json
        cold.load("firmware.device.configfile").start(self)
        if self.cfg["p1"]["baud"]:  # an override: else the board's default, or what the
            board.set_p1_baud(self.cfg["p1"]["baud"])  # P1 reader learns from the line
        self.serial = board.unique_id()
        self.p1 = P1Reader(board, log)
        self.store = None
        self.recorder = Recorder(None, None, log)
        self.peaks = PeakTracker(None, self.recorder)
        self.recorder.on_quarter = self.peaks.on_quarter
        self.p1.listeners.append(self.recorder.on_reading)
        self.mqtt = None  # MQTT's session (integrations.mqtt) when config.json has a host
        if self.cfg["mqtt"]["host"]:
            self.mqtt = cold.load("firmware.integrations.mqttconnect").start(self)
        else:
            del self.cfg["mqtt"]  # off: its settings take no heap
        sd = board.sd_path()
        if sd is not None:
            cold.load("firmware.device.card").attach(self, sd)
        else:
            self.events.add("sd", "no SD card (%s): history is not kept" % board.sd_error)
        self.wifi = Wifi(board, self.cfg, self.events)
        self.led = StatusLed(board, self.led_code)
        self.p1.listeners.append(self.led.on_reading)
        self.writes_seen = 0
        self.p1.listeners.append(self.note_write)
        self.update = cold.load("firmware.update.slots").at_start(board, self.events)  # for /about
        gc.collect()
        self.heap_low = gc.mem_free()  # the least free heap seen, see note_heap()

    @property
    def memory_errors(self):
        """MemoryErrors met and survived outside HTTP (the P1 reader, the history, the
        web server's start)."""
        return (self.p1.memory_errors + self.recorder.memory_errors + self.memory_errors_web
                + self.health_memory_errors)

    def sd_trouble(self):
        """Why history is not being kept (str), or None when the SD card works."""
        if self.store is None:
            return self.board.sd_error or "no SD card"
        return self.board.sd_error or self.store.error

    def check_sd(self):
        """Called every few seconds: when the SD card is missing or failing, mount it
        again (device.card)."""
        if self.sd_trouble() is not None:
            cold.load("firmware.device.card").check(self)

    def p1_stale(self):
        age = self.p1.age_ms()
        if age is None:
            return self.uptime_s() * 1000 > _STALE_MS
        return age > _STALE_MS

    def led_code(self):
        """The Morse code the LED repeats now, or None (a blink per telegram)."""
        if self.wifi.mode == "setup":
            return "wifi"
        if self.sd_trouble():
            return "sos"
        if self.p1_stale():
            return "p1"
        return None

    def note_write(self, _reading):
        """P1Reader listener: after a telegram that had the history write to the card
        (a quarter file or a checkpoint), the heap at its fullest for a telegram."""
        store = self.store
        if store is not None and store.writes != self.writes_seen:
            self.writes_seen = store.writes
            self.note_heap()

    def note_heap(self, *_):
        """Keep the least free heap seen after a collection: after each telegram that
        wrote to the card (note_write) and with each answer made (its module loaded)."""
        gc.collect()
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


async def run(board):
    """The P1 reader and the history first, with their heap; then the web server, when
    it fits (under memory pressure it may not: the rest goes on without it)."""
    state = State(board)  # first: its big buffers get unfragmented heap
    asyncio.StreamReader, asyncio.Lock, asyncio.wait_for_ms  # noqa: B018  (asyncio loads
    gc.collect()  # these on first use: now, while there is heap, not in a task later)
    from firmware.device import health

    for job in (state.p1.run(), state.led.run(), state.wifi.run(), health.watch(state)):
        asyncio.create_task(job)
    gc.threshold(8192)  # collect often: garbage freed early leaves fewer holes
    host, port = getattr(board, "http", ("0.0.0.0", 80))
    while True:
        try:
            gc.collect()
            if gc.mem_free() < _WEB_NEEDS:  # a try that cannot succeed would leave holes
                raise MemoryError
            from firmware.web import server  # noqa: F401  (microdot, after the rest: the
            # routes' families import it per request, so it stays; routes only makes the app)
            web = cold.load("firmware.web.routes").create(state)
            break
        except MemoryError:
            cold.forget("firmware.web.server")
            state.memory_errors_web += 1
            if state.memory_errors_web == 1:
                state.events.add("memory", "no heap for the web server: the P1 reader and "
                                           "the history go on; trying again every minute")
            gc.collect()
            await asyncio.sleep_ms(60000)
    # every module loaded per use later, once now (not the boards' own, not the table
    # that dsmr read at import, not the update installer: it restarts the device)
    skip = ("firmware.board", "firmware.core.obis", "firmware.update.ota")
    if state.mqtt is None:  # MQTT off: none of its names
        skip += ("firmware.integrations.mqtt", "firmware.integrations.discovery")
    cold.warm_up("firmware", skip)
    log("digimon %s on %s: http://%s:%d/" % (VERSION, board.name, host, port))
    asyncio.create_task(web.watchdog())
    if state.mqtt is not None:  # its ticks and the requests take turns: one big job at a time
        state.one_at_a_time = web.one_at_a_time
        asyncio.create_task(state.mqtt.run(state))
    await web.serve(host, port)


def main(argv=None):
    from firmware.board import load

    try:
        board = load(argv)
    except ValueError as e:
        print(e)
        return 2
    asyncio.run(run(board))
    return 0
