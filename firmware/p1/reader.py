"""P1 reader: board stream -> Framer -> Parser -> the live reading.

Holds the last good telegram and its values, the counters, and tells listeners
(quarter recorder, publishers) about every new reading.
"""

import asyncio
import time

from firmware.core.dsmr import MAX_TELEGRAM, Framer, Parser, Reading

CHUNK = 512
RETRY_MS = 1000


class P1Reader:
    def __init__(self, board, log=print):
        self.board = board
        self.log = log
        self.framer = Framer(MAX_TELEGRAM, mask7=board.p1_7e1)
        self.parser = Parser()
        self.reading = Reading()  # the last good telegram's values
        self._scratch = Reading()
        self.telegram = bytearray(MAX_TELEGRAM)  # the last good raw telegram
        self.telegram_len = 0
        self.chunk = bytearray(CHUNK)
        self.rejected = 0  # framed with a good CRC but unusable (no timestamp)
        self.last_ms = None  # ticks_ms of the last good telegram
        self.listeners = []
        self.error = None  # why the P1 source is not open, for /about

    @property
    def good(self):
        return self.framer.good - self.rejected

    def counters(self):
        f = self.framer
        return {"telegrams": self.good, "crc_errors": f.bad, "oversize": f.oversize,
                "rejected": self.rejected, "field_errors": self.parser.field_errors}

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
                if self.parser.parse(f.buf, f.length, self._scratch):
                    self.telegram_len = f.length
                    self.telegram = f.swap(self.telegram)
                    self.reading, self._scratch = self._scratch, self.reading
                    self.last_ms = time.ticks_ms()
                    got += 1
                    for fn in self.listeners:
                        fn(self.reading)
                else:
                    self.rejected += 1
                    f.done()
        return got

    async def run(self):
        board = self.board
        while True:
            try:
                stream = await board.p1_open()
                board.p1_request(True)
                self.error = None
                while True:
                    n = await stream.readinto(self.chunk)
                    if not n:
                        raise OSError("P1 source closed")
                    self.ingest(n)
            except (OSError, ValueError) as e:
                if self.error != str(e):
                    self.error = str(e)
                    self.log("p1: %s; retrying" % e)
            board.p1_request(False)
            board.p1_close()
            await asyncio.sleep_ms(RETRY_MS)
