"""MicroPython side of `digimon bench` and of host_tests/test_memory.py: the heap the
firmware takes after start-up, and its interned names (qstrs) once every module has
been loaded.

Builds the same services as firmware.app.run (board, state, web app) without serving,
with sys.path relative to the app slot as on a board (see main.py) and the SD card a FAT
image mounted with VfsFat, as the board mounts its card (FAT's 4 KB sector window is in
the heap there too), and prints one JSON
line: heap total, used and free bytes after a collection, the qstrs then, and the
qstrs and heap once every module of the app (the per-request ones too) has been loaded
once. MicroPython keeps a name it has interned for good, in pools that double: past
the last pool's room the next one takes a block of several KB at once.
"""
import sys

sys.path[:] = ["", "lib", ".frozen"]

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

import micropython  # noqa: E402

from firmware import app  # noqa: E402
from firmware.board.unix import Board  # noqa: E402
from firmware.core import cold  # noqa: E402


def modules(folder):
    """Every module of the app folder, as dotted names (board/esp32* need a board; the
    OBIS table's text is read once at start-up, when one 3 KB string still fits)."""
    out = []
    for entry in os.ilistdir(folder):
        name = entry[0]
        path = folder + "/" + name
        if entry[1] == 0x4000:
            out += modules(path)
        elif name.endswith(".mpy") and "esp32" not in name and name not in ("pins.mpy",
                                                                            "obis.mpy"):
            mod = path[:-4].replace("/", ".")
            out.append(mod[:-9] if mod.endswith(".__init__") else mod)
    return out


def sd_image(path, sectors=2048):
    """A fresh FAT image with a config.json that has a login, as a card would have."""
    import vfs

    from firmware.board.unixcard import ImageFile

    with open(path, "wb") as f:
        for _ in range(sectors):
            f.write(bytes(512))
    vfs.VfsFat.mkfs(ImageFile(path))
    vfs.mount(vfs.VfsFat(ImageFile(path)), "/mk")
    with open("/mk/config.json", "w") as f:
        f.write('{"wifi": {"ssid": "home", "password": "wifi-password"}}')
    vfs.umount("/mk")
    gc.collect()
    return path


board = Board(["--p1", "/dev/null", "--sd", sd_image("/tmp/digimon-bench-heap-sd.img")])
state = app.State(board)
gc.collect()
from firmware.device import health  # noqa: E402, F401  (the same order as app.run)
from firmware.web import server  # noqa: E402, F401

gc.collect()
web = cold.load("firmware.web.routes").create(state)  # noqa: F841
gc.collect()
free = gc.mem_free()
used = gc.mem_alloc()
resident = sorted(sys.modules)
print("startup", end=" ")
micropython.qstr_info()
names = modules("firmware")
for name in names:
    gc.collect()  # as before a request: per-use modules load one at a time, after a collection
    cold.load(name)
gc.collect()
print("all", end=" ")
micropython.qstr_info()
print(json.dumps({"heap_total": free + used, "heap_used": used, "heap_free": free,
                  "modules": len(names), "heap_used_all_loaded": gc.mem_alloc(),
                  "resident": resident}))
