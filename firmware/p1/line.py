"""The P1 line settings, learned from the line when nothing sets them.

DSMR 4/5 and e-MUCS meters send at 115200 baud 8N1, DSMR 2.2/3 meters at 9600 7E1.
When neither config.json's p1.baud nor the board sets the line, the reader starts with
what worked the last time (a small file in flash) or 115200 (start()). Each time a
while (the reader's _LEARN_MS) has passed without a valid telegram, step() tries the
other setting; once one works, it is written to flash and learning ends. Loaded per
use (core.cold): none of it stays in the heap.
"""

from micropython import const

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


def step(reader):
    """A while has passed: True when a valid telegram came (the setting is kept in
    flash), else the other setting is tried (False)."""
    board = reader.board
    if not reader.good:
        baud = 9600 if board.p1_baud == 115200 else 115200
        reader.log("p1: no valid telegram at %d baud: trying %d" % (board.p1_baud, baud))
        _set(reader, baud)
        if reader.task is not None:
            reader.task.cancel()  # stop its read: it opens the line again
        return False
    reader.line = "learned"
    if board.p1_baud != _stored(board) and board.flash_path() is not None:
        try:
            with open(board.flash_path() + _FILE, "w") as f:
                f.write(str(board.p1_baud))
        except OSError as e:
            reader.log("p1: cannot keep the line setting in flash: %s" % e)
    return True
