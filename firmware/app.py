"""Composition root: the running device (State) and its start (run); the steps that
build the services and start them are firmware.startup's, loaded once for them."""

import asyncio
import gc
import time

from micropython import const

from firmware.core import cold
from firmware.device import RESTART_MS

_STALE_MS = const(30000)  # no telegram for this long: the LED and /about say so


def log(msg):
    print(msg)


class State:
    """The running device: its services, and what the web API sees of them."""

    def __init__(self, board):
        cold.load("firmware.startup").build(self, board)

    @property
    def memory_errors(self):
        """MemoryErrors met and survived outside HTTP (the P1 reader, the history, the
        web server's start, the once-a-second checks, the event log, MQTT's ticks)."""
        return (self.p1.memory_errors + self.recorder.memory_errors + self.memory_errors_web
                + self.health_memory_errors + self.events.memory_errors
                + (self.mqtt.memory_errors if self.mqtt else 0))

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

    def note_heap(self, at="the card"):
        """Keep the least free heap seen after a collection, and `at`: what held the
        most then (a request's path, MQTT). After each telegram that wrote to the card
        (note_write), with each answer made (its module loaded), in MQTT's ticks."""
        gc.collect()
        free = gc.mem_free()
        if free < self.heap_low:
            self.heap_low = free
            self.heap_low_at = at

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
    it fits (under memory pressure it may not: the rest goes on without it). The steps
    are firmware.startup's, loaded for them: its code is not kept."""
    state = State(board)  # first: its big buffers get unfragmented heap
    web, host, port = await cold.load("firmware.startup").start(state, board)
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
