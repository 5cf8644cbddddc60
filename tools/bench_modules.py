"""MicroPython side of the per-module table of `digimon bench` (tools/digimon/memory.py):
what each module takes on the heap once imported (its code, constants and the names it
adds), on the 32-bit interpreter.

argv: the resident modules in an order where each comes after what it imports at module
level, "--", then the modules loaded per use. Each resident module is imported and kept;
each per-use one is then loaded with core.cold (as the firmware loads it) and let go.
The qstr pools are grown first, so that no pool's block lands on one module's figure.
Prints one JSON line: {"resident": [[name, bytes, [other modules it brought]]...],
"per_use": [[name, bytes]...]}.
"""
import sys

sys.path[:] = ["", "lib", ".frozen"]

import gc  # noqa: E402
import json  # noqa: E402

args = sys.argv[1:]
cut = args.index("--")


class _Names:
    pass


names = _Names()
for i in range(3000):  # names enough for every module's, in pools made now
    setattr(names, "_q%d" % i, 0)
del names


def used():
    gc.collect()
    return gc.mem_alloc()


resident = []
for name in args[:cut]:
    known = set(sys.modules)
    a = used()
    __import__(name)
    resident.append([name, used() - a, sorted(n for n in sys.modules if n not in known
                                              and n != name)])

from firmware.core import cold  # noqa: E402

per_use = []
for name in args[cut + 1:]:
    a = used()
    try:
        mod = cold.load(name)
        per_use.append([name, used() - a])
    except ImportError as e:  # a module of another board
        per_use.append([name, None, str(e)])
    mod = None
print(json.dumps({"resident": resident, "per_use": per_use}))
