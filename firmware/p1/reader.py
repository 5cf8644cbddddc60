"""P1 reader: board stream -> Framer -> Parser -> the live reading.

Holds the last good reading (the framer's buffer still holds its telegram until the
next one begins), the counters, and tells listeners (quarter recorder, publishers)
about every new reading. When nothing sets the line (config.json's p1.baud, the
board), p1.line learns it.
"""

import asyncio
import gc
import time

from micropython import const

from firmware.core import cold
from firmware.core.dsmr import MAX_TELEGRAM, Framer, Parser, Reading

CHUNK = const(256)
_RETRY_MS = const(1000)
_LEARN_MS = const(25000)  # no valid telegram this long: other line settings (p1.line)


async def _learn(reader):
    """Learning the line settings: each _LEARN_MS without a valid telegram, p1.line
    tries the other ones; it keeps the ones that work."""
    while True:
        await asyncio.sleep_ms(_LEARN_MS)  # a DSMR 4 or 2.2 meter sends every 10 s
        try:
            if cold.load("firmware.p1.line").step(reader):
                return
        except MemoryError:  # again in a while
            gc.collect()


class P1Reader:
    def __init__(self, board, log=print):
        self.board = board
        self.log = log
        self.framer = Framer(MAX_TELEGRAM, mask7=board.p1_7e1)
        self.parser = Parser()
        # the last good telegram's values, parsed in place (parsing never yields, so no
        # request sees it half made); a telegram that turns out unusable leaves it empty
        self.reading = Reading()
        self.chunk = bytearray(CHUNK)
        self.rejected = 0  # framed with a good CRC but unusable (no timestamp)
        self.last_ms = None  # ticks_ms of the last good telegram
        self.listeners = []
        self.error = None  # why the P1 source is not open, for /about
        self.memory_errors = 0  # MemoryErrors met (and survived) by the listeners
        self.task = None  # the run() task while the line is open (p1.line stops its read)
        self.line = "configured"  # the line settings: configured, learning or learned
        if board.p1_baud is None:
            cold.load("firmware.p1.line").start(self)
            gc.collect()  # (its code, gone already)
            asyncio.create_task(_learn(self))

    @property
    def good(self):
        return self.framer.good - self.rejected

    def counters(self):
        f = self.framer
        return {"telegrams": self.good, "crc_errors": f.bad, "oversize": f.oversize,
                "rejected": self.rejected, "field_errors": self.parser.field_errors,
                "baud": self.board.p1_baud, "line": self.line}

    def age_ms(self):
        """Milliseconds since the last good telegram, None if there was none."""
        if self.last_ms is None:
            return None
        return time.ticks_diff(time.ticks_ms(), self.last_ms)

    def ingest(self, n):
        """Frame and parse self.chunk[0:n]; returns the number of new readings."""
        f = self.framer
        pos = 0
        got = 0
        while pos < n:
            pos = f.feed(self.chunk, pos, n)
            if f.ready:
                if self.parser.parse(f.buf, f.length, self.reading):
                    self.reading.keep()
                    f.done()
                    self.last_ms = time.ticks_ms()
                    got += 1
                    for fn in self.listeners:
                        try:  # a listener without memory must not cost the others
                            fn(self.reading)  # their telegram, nor the rest of the chunk
                        except MemoryError:
                            self.memory_errors += 1
                            gc.collect()
                else:
                    self.rejected += 1
                    self.reading.clear()  # nothing of it is shown
                    f.held = 0
                    f.done()
        return got

    async def run(self):
        board = self.board
        while True:
            try:
                stream = await board.p1_open()
                board.p1_request(True)
                self.error = None
                self.task = asyncio.current_task()
                while True:
                    n = await stream.readinto(self.chunk)
                    if not n:
                        raise OSError("P1 source closed")
                    try:
                        self.ingest(n)
                    except MemoryError:  # not one small object free: the telegram
                        self.memory_errors += 1  # being framed is lost, the next one is read
                        gc.collect()
            except (OSError, ValueError, MemoryError) as e:  # (no heap to open it: later)
                if self.error != str(e):
                    self.error = str(e)
                    self.log("p1: %s; retrying" % e)
            except asyncio.CancelledError:  # p1.line set the line anew: open it again
                pass
            self.task = None
            board.p1_request(False)
            board.p1_close()
            await asyncio.sleep_ms(_RETRY_MS)
