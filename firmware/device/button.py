"""The BOOT button: held for HOLD_MS it calls on_hold (the wipe), once."""

import asyncio
import time

HOLD_MS = 20000
POLL_MS = 100


async def watch(board, on_hold):
    since = None
    while True:
        await asyncio.sleep_ms(POLL_MS)
        if not board.button():
            since = None
        elif since is None:
            since = time.ticks_ms()
        elif time.ticks_diff(time.ticks_ms(), since) >= HOLD_MS:
            await on_hold()
            since = None
