"""The P1 line settings, learned from the line when nothing sets them.

DSMR 4/5 and e-MUCS meters send at 115200 baud 8N1, DSMR 2.2/3 meters at 9600 7E1.
When neither config.json's p1.baud nor the board sets the line, the reader starts with
what worked the last time (a small file in flash) or 115200 (start()). When no valid
telegram has come in a while (the reader's _LEARN_MS), watch() tries the other
setting, and goes on alternating until one works. What worked is written to flash.
Loaded per use (core.cold): at start-up, and from then until a telegram comes.
"""

import asyncio
import time

from micropython import const

_LOOK_MS = const(1000)
_FILE = const("/p1baud")  # in flash: 115200 or 9600


def _stored(board):
    """The setting that worked last time, 0 when there is none."""
    try:
        with open(board.flash_path() + _FILE) as f:
            return int(f.read())
    except (OSError, TypeError, ValueError):  # none yet, no flash, or not a number
        return 0


def _set(reader, baud):
    reader.board.set_p1_baud(baud)
    f = reader.framer
    f.mask7 = reader.board.p1_7e1
    f.crc_required = False  # another line: it has not sent a CRC yet
    f.state = 0  # wait for the next '/'


def start(reader):
    """The line as it worked last time (or 115200); the reader learns from here."""
    _set(reader, 9600 if _stored(reader.board) == 9600 else 115200)
    reader.line = "learning"


async def watch(reader, wait_ms):
    """While no valid telegram comes, try the other setting every wait_ms; then keep
    the one that works in flash."""
    board = reader.board
    while not reader.good:
        baud = 9600 if board.p1_baud == 115200 else 115200
        reader.log("p1: no valid telegram at %d baud in %d s: trying %d" % (
            board.p1_baud, wait_ms // 1000, baud))
        _set(reader, baud)
        if reader.task is not None:
            reader.task.cancel()  # stop its read: it opens the line again
        since = time.ticks_ms()
        while not reader.good and time.ticks_diff(time.ticks_ms(), since) < wait_ms:
            await asyncio.sleep_ms(_LOOK_MS)
    reader.line = "learned"
    if board.p1_baud != _stored(board) and board.flash_path() is not None:
        try:
            with open(board.flash_path() + _FILE, "w") as f:
                f.write(str(board.p1_baud))
        except OSError as e:
            reader.log("p1: cannot keep the line setting in flash: %s" % e)
