"""Composition root: builds the services for a board and runs them as asyncio tasks."""

import asyncio
import gc
import time

from firmware.auth import Guard
from firmware.core import cold
from firmware.history import HistoryStore
from firmware.p1 import P1Reader
from firmware.peaks import PeakTracker
from firmware.recorder import Recorder
from firmware.version import VERSION


def log(msg):
    print(msg)


def load_config(board):
    """config.json from the SD card -> (config, errors, login). Missing: the defaults."""
    config = cold.load("firmware.core.config")  # needed at start-up only
    cfg, errors = config.defaults(), []
    sd = board.sd_path()
    if sd is not None:
        try:
            with open(sd + "/config.json") as f:
                cfg, errors = config.parse(f.read())
        except OSError:
            pass
    return cfg, errors, config.login(cfg)


class State:
    """What the web API sees of the running device."""

    def __init__(self, board):
        self.board = board
        self.version = VERSION
        self.log = log
        self.started_ms = time.ticks_ms()
        self.cfg, self.config_errors, login = load_config(board)
        for e in self.config_errors:
            log("config: " + e)
        board.set_p1_baud(self.cfg["p1"]["baud"])
        self.guard = Guard(login)
        self.serial = board.unique_id()
        self.p1 = P1Reader(board, log)
        sd = board.sd_path()
        self.store = None if sd is None else HistoryStore(sd, log)
        self.recorder = Recorder(self.store, None, log)
        self.peaks = PeakTracker(self.store, self.recorder)
        self.recorder.on_quarter = self.peaks.on_quarter
        self.p1.listeners.append(self.recorder.on_reading)
        self.heap_low = gc.mem_free()  # the least free heap seen, see note_heap()
        self.p1.listeners.append(self.note_heap)

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
        asyncio.create_task(self._blink(10))

    async def _blink(self, n):
        for i in range(n * 2):
            self.board.led(i % 2 == 0)
            await asyncio.sleep_ms(250)


async def run(board):
    state = State(board)  # first: its big buffers get unfragmented heap
    gc.collect()
    from firmware import web  # microdot is large: imported after them

    gc.collect()
    host, port = getattr(board, "http", ("0.0.0.0", 80))
    server = web.create(state)
    server.after = state.note_heap
    gc.threshold(8192)  # collect often: garbage freed early leaves fewer holes
    log("digimon %s on %s: http://%s:%d/" % (VERSION, board.name, host, port))
    asyncio.create_task(state.p1.run())
    asyncio.create_task(server.watchdog())
    if not state.peaks.rebuilt:
        asyncio.create_task(state.peaks.rebuild())
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
