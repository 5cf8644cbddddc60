"""Run the firmware on the MicroPython unix port, from the built flash tree.

The tree is installed into a folder that stands for the board's flash (--flash,
default build/flash), as digimon deploy would put it on a board, and the firmware
runs there: boot.py picks the app slot, so updates and roll backs work as on a board.
"""

import os
import subprocess

from digimon import runtime
from digimon.build import FS, ROOT, build
from digimon.build import built as require_built
from digimon.install import install_dir

RESET_EXIT = 3  # the firmware exits with this to restart (its board's reset())
BOARD_OPTIONS = ("flash", "flash-size", "led", "button", "wifi", "dns")  # for the unix board
PATHS = ("flash", "led", "button", "wifi")  # board options that are file names
FLASH = ROOT / "build" / "flash"


def micropython(rt=None):
    return runtime.micropython(rt)


def command(p1, sd, http, baud=115200, heap=None, board=None, built=False, rt=None):
    """(argv, env, cwd) to start the firmware; paths made absolute, the tree built
    (unless built: then build/fs as it is) and installed into the flash folder. baud
    None: the firmware learns the line settings.
    board: more unix-board options, {"flash": dir, "led": file, ...}; rt: the runtime
    ("32" or "64", see digimon.runtime) and heap its -X heapsize (default: the budget)."""
    if built:
        require_built(FS)
    else:
        build()
    board = dict(board or {})
    board["flash"] = os.path.abspath(board.get("flash") or FLASH)
    install_dir(FS, board["flash"])
    if not p1.startswith("tcp://"):
        p1 = os.path.abspath(p1)
    argv = [runtime.micropython(rt), "-X", "heapsize=" + (heap or runtime.heap(rt)), "main.py",
            "--p1", p1, "--http", http]
    if baud:  # else the firmware learns the line settings
        argv += ["--baud", str(baud)]
    if sd:
        argv += ["--sd", os.path.abspath(sd)]
    for name, value in board.items():
        if value:
            argv += ["--" + name, os.path.abspath(value) if name in PATHS else value]
    env = dict(os.environ, MICROPYPATH=".frozen")  # boot.py adds the app slot
    return argv, env, board["flash"]


def add_arguments(p):
    p.add_argument("--p1", required=True, help="serial device (USB P1 cable, pty) or tcp://host:port")
    p.add_argument("--sd", help="directory that stands for the SD card")
    p.add_argument("--http", default="127.0.0.1:8080", help="host:port to serve on")
    p.add_argument("--baud", type=int, choices=(115200, 9600),
                   help="115200 (8N1) or 9600 for DSMR 2.2/3 meters (7E1); default: learned "
                        "from the line")
    p.add_argument("--runtime", choices=("32", "64"),
                   help="32: the 32-bit MicroPython 1.28 built by `make mp32` (the default where "
                        "it is built); 64: the 64-bit wheel (it has ssl)")
    p.add_argument("--heap", help="MicroPython heap size (default: 112k on 32-bit, 160k on 64-bit)")
    p.add_argument("--built", action="store_true",
                   help="run build/fs as it is (the artifact), without building it first")
    p.add_argument("--flash", help="directory that stands for the board's flash (default "
                                   "build/flash); the built tree is installed into it")
    p.add_argument("--flash-size", help="the flash's size: bytes, NNNk or NM (default 2M)")
    p.add_argument("--led", help="file the LED's on/off changes are appended to")
    p.add_argument("--button", help="the BOOT button is held while this file exists")
    p.add_argument("--wifi", help='JSON file of the WiFi networks in range: {"ssid": "password"}')
    p.add_argument("--dns", help="host:port for the setup mode's captive-portal DNS server")


def supervise(argv, env, cwd):
    """Run the firmware; start it again each time it resets itself, as a board would."""
    while True:
        rc = subprocess.call(argv, env=env, cwd=cwd)
        if rc != RESET_EXIT:
            return rc
        print("digimon run: the firmware reset itself; starting it again", flush=True)


def main(args):
    board = {name: getattr(args, name.replace("-", "_")) for name in BOARD_OPTIONS}
    argv, env, cwd = command(args.p1, args.sd, args.http, args.baud, args.heap, board,
                             args.built, args.runtime)
    try:
        return supervise(argv, env, cwd)
    except KeyboardInterrupt:
        return 0
