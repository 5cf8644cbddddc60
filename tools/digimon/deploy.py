"""`digimon deploy --port /dev/ttyACM0`: copy the built tree to a board over USB with
mpremote, only the files that changed (install.plan decides what to copy and remove).

Two mpremote runs: the first asks the board for the sha256 of its files, the second
makes the folders, copies, removes, drops the app's empty folders and resets the board.
Both `resume` the session: no soft reset (Ctrl-D would end the unix port's REPL, and a
board needs none); mpremote's Ctrl-C stops the firmware and gives the raw REPL.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path, PurePosixPath

from digimon.build import FS, build, built
from digimon.install import plan, tree_hashes

TIMEOUT = 600  # seconds for one mpremote run; a whole tree takes well under that
MAX_CHARS = 8000  # about this many characters of arguments per mpremote run

# Runs on the board (cwd: the flash's root): prints {path: sha256} of boot.py, main.py
# and every file under app/, as one JSON line.
HASH_SCRIPT = """\
import os, sys, hashlib, binascii, json
if sys.platform == "esp32":
    # Ctrl-C stopped the firmware, and with it the feeding of its 30 s hardware
    # watchdog: allow 10 minutes for the copy (the reset at the end starts afresh).
    try:
        import machine
        machine.WDT(timeout=600000)
    except Exception:
        pass
buf = bytearray(512)
def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(memoryview(buf)[:n])
    return binascii.hexlify(h.digest()).decode()
def walk(folder, found):
    for entry in os.ilistdir(folder):
        path = folder + "/" + entry[0]
        if entry[1] == 0x4000:
            walk(path, found)
        else:
            found[path] = sha(path)
found = {}
names = os.listdir()
for name in ("boot.py", "main.py"):
    if name in names:
        found[name] = sha(name)
if "app" in names:
    walk("app", found)
print(json.dumps(found))
"""

MAKEDIRS_SCRIPT = """\
import os
for d in %r:
    try:
        os.mkdir(d)
    except OSError:
        pass
"""

# Removes the folders under app/ left empty (an old slot), deepest first.
PRUNE_SCRIPT = """\
import os
def prune(folder):
    for entry in list(os.ilistdir(folder)):
        if entry[1] == 0x4000:
            prune(folder + "/" + entry[0])
    if folder != "app" and not os.listdir(folder):
        os.rmdir(folder)
if "app" in os.listdir():
    prune("app")
"""


class DeployError(Exception):
    pass


def mpremote(port, args, cwd, capture):
    """Run `mpremote connect PORT resume ARGS...`; its stdout when capture (else it
    shows as it goes)."""
    cmd = [str(Path(sys.executable).with_name("mpremote")), "connect", port, "resume", *args]
    try:
        out = subprocess.run(cmd, cwd=cwd, capture_output=capture, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise DeployError("mpremote did not finish in %d s on %s" % (TIMEOUT, port)) from None
    if out.returncode:
        text = (out.stdout or "") + (out.stderr or "")
        print(text, end="")
        if "failed to access" in text or "no device found" in text:
            raise DeployError("cannot open %s: is the board plugged in, and are you in the "
                              "dialout group?" % port)
        raise DeployError("mpremote failed on %s (exit status %d)" % (port, out.returncode))
    return out.stdout


def board_hashes(port, tree):
    """{path: sha256} of boot.py, main.py and app/** on the board."""
    out = mpremote(port, ["exec", HASH_SCRIPT], tree, capture=True)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        print(out, end="")
        raise DeployError("no file list from the board on %s" % port)
    return json.loads(lines[-1])


def commands(copy, remove, reset):
    """The mpremote commands (each a list of arguments) that copy and remove."""
    folders = sorted({str(parent) for path in copy
                      for parent in PurePosixPath(path).parents if str(parent) != "."})
    cmds = [["exec", MAKEDIRS_SCRIPT % folders]] if folders else []
    # -f: the plan already says these differ, skip mpremote's own sha256 check
    cmds += [["fs", "cp", "-f", path, ":" + path] for path in copy]
    cmds += [["fs", "rm", ":" + path] for path in remove]
    if remove:
        cmds.append(["exec", PRUNE_SCRIPT])
    if reset:
        cmds.append(["reset"])
    return cmds


def runs(cmds):
    """Chain commands with "+" into mpremote runs of about MAX_CHARS characters each."""
    chained, run = [], []
    for cmd in cmds:
        if run and sum(len(a) + 1 for a in run + cmd) > MAX_CHARS:
            chained.append(run)
            run = []
        run += (["+"] if run else []) + cmd
    return chained + [run] if run else chained


def show(copy, remove):
    for verb, paths in (("copy", copy), ("remove", remove)):
        if not paths:
            print("nothing to " + verb)
            continue
        print("%s %d file%s:" % (verb, len(paths), "" if len(paths) == 1 else "s"))
        for path in paths:
            print("  " + path)


def deploy(port, tree, reset=True):
    """Put tree `tree` onto the board on `port`; returns (copied, removed)."""
    copy, remove = plan(tree_hashes(tree), board_hashes(port, tree))
    show(copy, remove)
    sys.stdout.flush()  # before mpremote's own output
    try:
        for args in runs(commands(copy, remove, reset)):
            mpremote(port, args, tree, capture=False)  # its output shows the progress
    except DeployError as e:
        raise DeployError("%s: the copy stopped half way; run deploy again" % e) from None
    return copy, remove


def add_arguments(p):
    p.add_argument("--port", required=True, help="the board's serial port, e.g. /dev/ttyACM0")
    p.add_argument("--built", action="store_true",
                   help="deploy build/fs as it is (the artifact), without building it first")
    p.add_argument("--no-reset", action="store_true",
                   help="leave the board at the REPL afterwards instead of resetting it")
    p.add_argument("--tree", help=argparse.SUPPRESS)  # another built tree (tests)


def main(args):
    if args.tree:
        tree = Path(args.tree)
    else:
        tree = FS if args.built else build()
    built(tree)
    try:
        copy, remove = deploy(args.port, tree, reset=not args.no_reset)
    except DeployError as e:
        print("digimon deploy: %s" % e, file=sys.stderr)
        return 1
    print("%s: %d copied, %d removed%s" % (args.port, len(copy), len(remove),
                                           "" if args.no_reset else ", reset"))
    return 0
