"""Run the firmware on the MicroPython unix port, from the built flash tree."""

import os
import subprocess
import sys
from pathlib import Path

from digimon.build import FS, build

HEAP = "192k"  # the heap budget on the 64-bit unix port (see README: Memory)


def micropython():
    return str(Path(sys.executable).with_name("micropython"))


def command(p1, sd, http, baud=115200, heap=HEAP):
    """(argv, env, cwd) to start the firmware; paths made absolute, tree built."""
    fs = build()
    if not p1.startswith("tcp://"):
        p1 = os.path.abspath(p1)
    argv = [micropython(), "-X", "heapsize=" + heap, "main.py", "--p1", p1,
            "--http", http, "--baud", str(baud)]
    if sd:
        argv += ["--sd", os.path.abspath(sd)]
    env = dict(os.environ, MICROPYPATH=".frozen:%s:%s/lib" % (fs, fs))
    return argv, env, str(fs)


def add_arguments(p):
    p.add_argument("--p1", required=True, help="serial device (USB P1 cable, pty) or tcp://host:port")
    p.add_argument("--sd", help="directory that stands for the SD card")
    p.add_argument("--http", default="127.0.0.1:8080", help="host:port to serve on")
    p.add_argument("--baud", type=int, default=115200, choices=(115200, 9600),
                   help="9600 for DSMR 2.2/3 meters (7E1)")
    p.add_argument("--heap", default=HEAP, help="MicroPython heap size (default 192k)")


def main(args):
    argv, env, cwd = command(args.p1, args.sd, args.http, args.baud, args.heap)
    try:
        return subprocess.call(argv, env=env, cwd=cwd)
    except KeyboardInterrupt:
        return 0
