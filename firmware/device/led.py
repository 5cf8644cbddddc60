"""The status LED: Morse codes for what needs attention, else a short blink per telegram.

Codes (see README): "hi" once at start, "bye" once before a wipe; repeated while the
state lasts: "wifi" in setup mode, "sos" for SD card trouble, "p1" when no telegram
came for 30 s. A repeated code is followed by _REPEAT_GAP_MS of dark, so it reads as one
word; telegram blinks pause meanwhile.
"""

import asyncio

from micropython import const

from firmware.core import cold

UNIT_MS = const(150)  # one Morse unit: a dot
_BLINK_MS = const(40)  # the blink per telegram
_REPEAT_GAP_MS = const(3000)
POLL_MS = const(50)  # how often a new telegram or state is looked for (a blink is this late)


class StatusLed:
    def __init__(self, board, code):
        self.board = board
        self.code = code  # () -> the code to repeat now, or None
        self.lock = asyncio.Lock()  # one sender at a time
        self.telegrams = 0  # counted by on_reading; blinked for by run()

    def on_reading(self, _reading):
        """P1Reader listener: blink for this telegram."""
        self.telegrams += 1

    async def say(self, text):
        """Send text in Morse once, and a word's gap of dark after it (not at all when
        there is no heap for the Morse table: the next time it is tried again)."""
        try:
            morse = cold.load("firmware.core.morse")  # in the heap while it sends
        except MemoryError:
            await asyncio.sleep_ms(_REPEAT_GAP_MS)
            return
        async with self.lock:
            for on, n in morse.units(text):
                self.board.led(on)
                await asyncio.sleep_ms(n * UNIT_MS)
            self.board.led(False)
            await asyncio.sleep_ms(morse.WORD_GAP * UNIT_MS)

    async def run(self):
        await self.say("hi")
        seen = self.telegrams
        while True:
            code = self.code()
            if code:
                await self.say(code)
                await asyncio.sleep_ms(_REPEAT_GAP_MS)
                seen = self.telegrams
                continue
            if seen == self.telegrams:
                await asyncio.sleep_ms(POLL_MS)
                continue
            seen = self.telegrams
            async with self.lock:
                self.board.led(True)
                await asyncio.sleep_ms(_BLINK_MS)
                self.board.led(False)
