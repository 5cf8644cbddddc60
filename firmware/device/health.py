"""Once a second: feed the watchdog; every few seconds: look after the SD card; and
report P1 trouble (silence, CRC errors, oversize telegrams) to the event log."""

import asyncio

WATCHDOG_MS = 30000  # the event loop stuck this long: the board restarts
SD_CHECK_S = 5
P1_REPORT_S = 600  # CRC and oversize counts go to the event log at most this often


async def watch(state):
    board = state.board
    board.watchdog(WATCHDOG_MS)
    p1 = state.p1
    ticks = 0
    stale = False
    seen = (0, 0)  # CRC errors and oversize telegrams reported so far
    while True:
        await asyncio.sleep_ms(1000)
        board.watchdog_feed()
        ticks += 1
        if ticks % SD_CHECK_S == 0:
            state.check_sd()
        if state.p1_stale() != stale:
            stale = not stale
            if stale:
                state.events.add("p1", "no telegram for 30 s: check the cable, and that "
                                       "the P1 port is opened")
            else:
                state.events.add("p1", "telegrams again")
        if ticks % P1_REPORT_S == 0:
            now = (p1.framer.bad, p1.framer.oversize)
            if now != seen:
                state.events.add("p1", "%d CRC errors and %d oversize telegrams in %d min "
                                 "(%d and %d since start)" % (
                                     now[0] - seen[0], now[1] - seen[1], P1_REPORT_S // 60,
                                     now[0], now[1]))
                seen = now
