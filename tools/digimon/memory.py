"""The firmware's memory on the board stand-in: the heap after start-up and the names
MicroPython interns (qstrs), measured by tools/bench_heap.py on the 32-bit interpreter,
with the budgets they must keep to (host_tests/test_memory.py checks them).

Budgets, for the 32-bit MicroPython 1.28 at the board's 112k heap (DESIGN §5):
- STARTUP_MAX: the heap in use after start-up. At run time the rest is a few KB more
  (tasks, the SD card's objects, names of what was loaded per request), and the largest
  request needs about 10 KB on top: 112 KB less that must leave 8 KB free.
- QSTR_MAX: interned names once every module has been loaded. MicroPython keeps them in
  pools that double; on this build the pool after 1248 names is a block of 9 KB taken at
  once, which the heap cannot spare: stay well below it.
"""

import json
import re
import subprocess

from digimon import runtime
from digimon.build import SLOT, build

STARTUP_MAX = 88 * 1024
QSTR_MAX = 1200
_QSTR = re.compile(r"(\w+) qstr pool: n_pool=(\d+), n_qstr=(\d+), n_str_data_bytes=(\d+), "
                   r"n_total_bytes=(\d+)")


def measure(heap=None, rt=None, fs=None):
    """Run tools/bench_heap.py on the built tree: {"heap_used", "heap_free", ...,
    "qstrs": {"startup": {...}, "all": {...}}}."""
    fs = fs or build()
    out = subprocess.run(
        [runtime.micropython(rt), "-X", "heapsize=" + (heap or runtime.heap(rt)),
         str(runtime.ROOT / "tools" / "bench_heap.py")],
        cwd=fs / SLOT, env={"MICROPYPATH": ".frozen"}, capture_output=True, text=True,
        timeout=120)
    if out.returncode:
        raise RuntimeError("bench_heap.py failed:\n%s%s" % (out.stdout, out.stderr))
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["qstrs"] = {m.group(1): {"pools": int(m.group(2)), "count": int(m.group(3)),
                                 "chars": int(m.group(4)), "bytes": int(m.group(5))}
                    for m in _QSTR.finditer(out.stdout)}
    return res
