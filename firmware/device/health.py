"""Once a second: feed the watchdog, watch the BOOT button (held HOLD_S: the wipe), and
confirm a new version once it has run CONFIRM_MS (see boot.py); every few seconds: look
after the SD card; and report P1 trouble (silence, CRC errors, oversize telegrams) to
the event log."""

import asyncio

from micropython import const

from firmware.core import cold
from firmware.device import CONFIRM_MS

_WATCHDOG_MS = const(30000)  # the event loop stuck this long: the board restarts
HOLD_S = const(20)  # BOOT held this long: config.json is wiped
_SD_CHECK_S = const(5)
_P1_REPORT_S = const(600)  # CRC and oversize counts go to the event log at most this often


async def watch(state):
    board = state.board
    board.watchdog(_WATCHDOG_MS)
    p1 = state.p1
    ticks = 0
    held = 0  # seconds BOOT has been held
    confirmed = False
    stale = False
    seen = (0, 0)  # CRC errors and oversize telegrams reported so far
    while True:
        await asyncio.sleep_ms(1000)
        board.watchdog_feed()
        ticks += 1
        held = held + 1 if board.button() else 0
        try:  # no heap for one of these now: the next second tries again, the watchdog is fed
            if held >= HOLD_S:
                await cold.load("firmware.device.configfile").wipe_now(state)
            if not confirmed and ticks >= CONFIRM_MS // 1000:
                cold.load("firmware.update.slots").confirm(board, state.events, state.update)
                confirmed = True
            if ticks % _SD_CHECK_S == 0:
                state.check_sd()
            if state.p1_stale() != stale:
                state.events.add("p1", "telegrams again" if stale else
                                 "no telegram for 30 s: check the cable, and that the P1 "
                                 "port is opened")
                stale = not stale
            if ticks % _P1_REPORT_S == 0:
                now = (p1.framer.bad, p1.framer.oversize)
                if now != seen:
                    state.events.add("p1", "%d CRC errors and %d oversize telegrams in %d min "
                                     "(%d and %d since start)" % (
                                         now[0] - seen[0], now[1] - seen[1],
                                         _P1_REPORT_S // 60, now[0], now[1]))
                    seen = now
        except MemoryError:
            state.health_memory_errors += 1
