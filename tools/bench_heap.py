"""MicroPython side of `digimon bench`: heap use of the firmware after start-up.

Builds the same services as firmware.app.run (board, state, web app) without serving,
and prints one JSON line: heap total, used and free bytes after a collection.
"""
import gc
import json

from firmware import app
from firmware.board.unix import Board

board = Board(["--p1", "/dev/null", "--sd", "/nonexistent"])
state = app.State(board)
gc.collect()
from firmware.web import routes  # noqa: E402  (the same order as app.run)

gc.collect()
server = routes.create(state)
gc.collect()
free = gc.mem_free()
used = gc.mem_alloc()
print(json.dumps({"heap_total": free + used, "heap_used": used, "heap_free": free}))
