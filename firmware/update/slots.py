"""The app slots in flash, the firmware's side (boot.py picks the slot at start and
explains the state file): which slot runs, the other one for an update, the switch
to it, and confirming a new version once it has run for device.CONFIRM_MS.

read() and write() repeat boot.py's few lines on purpose: boot.py changes only with a
deploy and the firmware with every update, so neither imports the other."""

import json
import os

from micropython import const

_MAX_TRIES = const(3)  # boot.py's: starts of a new version before it is rolled back


def root(board):
    """The flash's root folder ("" on a board), or None without a flash."""
    flash = board.flash_path()
    return None if flash is None else flash.rstrip("/")


def running():
    """The slot this firmware runs from ("a" or "b"), None from a source tree."""
    folder, _, slot = os.getcwd().rpartition("/")
    return slot if folder.endswith("/app") and slot in ("a", "b") else None


def other(slot):
    return "b" if slot == "a" else "a"


def folder(root, slot):
    return "%s/app/%s" % (root, slot)


def read(root):
    try:
        with open(root + "/app/state.json") as f:
            state = json.load(f)
        if isinstance(state, dict):
            return state
    except (OSError, ValueError):
        pass
    return {}


def write(root, state):
    """Replace app/state.json in one step (a rename: atomic on LittleFS)."""
    path = root + "/app/state.json"
    with open(path + ".new", "w") as f:
        json.dump(state, f)
    os.rename(path + ".new", path)


def version_in(root, slot):
    """The version in a slot's MANIFEST, or None."""
    try:
        with open(folder(root, slot) + "/MANIFEST") as f:
            f.readline()
            return f.readline().strip().partition(" ")[2] or None
    except OSError:
        return None


def at_start(board, events):
    """/about's "update" (the slot that runs, whether it is on trial); a roll back that
    boot.py did goes to the event log once, and its version is kept in the state."""
    r = root(board)
    slot = running()
    if r is None or slot is None:
        return {"slot": None}
    state = read(r)
    failed = state.get("failed")
    if failed is not None:
        version = version_in(r, failed) or failed
        events.add("update", "version %s failed to start %d times: back to %s" % (
            version, _MAX_TRIES, version_in(r, state["run"])))
        state = {"run": state["run"], "rolled_back": version}
        write(r, state)
    pending = state.get("good") is not None
    return {"slot": slot, "pending": pending, "tries": state.get("tries") if pending else None,
            "rolled_back": state.get("rolled_back")}


def confirm(board, events, update):
    """The running version has run device.CONFIRM_MS: keep it (and a new MicroPython);
    update is at_start()'s answer, kept up to date."""
    board.firmware_ok()
    r = root(board)
    slot = running()
    if r is None or slot is None:
        return
    state = read(r)
    if state.get("good") is not None and state.get("run") == slot:
        write(r, {"run": slot})
        events.add("update", "version %s confirmed" % version_in(r, slot))
    update["pending"], update["tries"] = False, None


def switch(root, new, current):
    """Run slot `new` from the next start on, on trial (boot.py counts its starts)."""
    write(root, {"run": new, "good": current, "tries": 0})
