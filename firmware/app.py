"""Composition root: builds the services for a board and runs them as asyncio tasks."""

import asyncio
import gc
import time

from firmware.auth import Guard
from firmware.core import config
from firmware.p1 import P1Reader
from firmware.version import VERSION


def log(msg):
    print(msg)


def load_config(board):
    """config.json from the SD card -> (config, errors). Missing: the defaults."""
    sd = board.sd_path()
    if sd is None:
        return config.defaults(), []
    try:
        with open(sd + "/config.json") as f:
            text = f.read()
    except OSError:
        return config.defaults(), []
    return config.parse(text)


class State:
    """What the web API sees of the running device."""

    def __init__(self, board):
        self.board = board
        self.version = VERSION
        self.log = log
        self.started_ms = time.ticks_ms()
        self.cfg, self.config_errors = load_config(board)
        for e in self.config_errors:
            log("config: " + e)
        board.set_p1_baud(self.cfg["p1"]["baud"])
        self.guard = Guard(config.login(self.cfg))
        self.serial = board.unique_id()
        self.p1 = P1Reader(board, log)

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
    gc.threshold(8192)  # collect often: garbage freed early leaves fewer holes
    log("digimon %s on %s: http://%s:%d/" % (VERSION, board.name, host, port))
    asyncio.create_task(state.p1.run())
    asyncio.create_task(server.watchdog())
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
