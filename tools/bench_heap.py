"""MicroPython side of `digimon bench`: heap use of the firmware after start-up.

Builds the same services as firmware.app.run (board, state, web app) without serving,
with sys.path relative to the app slot as on a board (see main.py), and prints one JSON
line: heap total, used and free bytes after a collection, and the qstr count.
"""
import sys

sys.path[:] = ["", "lib", ".frozen"]

import gc  # noqa: E402
import json  # noqa: E402

from firmware import app  # noqa: E402
from firmware.board.unix import Board  # noqa: E402
from firmware.core import cold  # noqa: E402

board = Board(["--p1", "/dev/null", "--sd", "/nonexistent"])
state = app.State(board)
gc.collect()
from firmware.device import health  # noqa: E402, F401  (the same order as app.run)
from firmware.web import server  # noqa: E402, F401

gc.collect()
web = cold.load("firmware.web.routes").create(state)  # noqa: F841
gc.collect()
free = gc.mem_free()
used = gc.mem_alloc()
print(json.dumps({"heap_total": free + used, "heap_used": used, "heap_free": free}))
