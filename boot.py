"""Runs first on the board (main.py calls it on Linux): picks the app slot to run.

The app is in one of two slots in flash, app/a and app/b, and app/state.json says
which one runs: {"run": "a"} (no file: "a"). An update fills the other slot, then
writes {"run": "b", "good": "a", "tries": 0}: the new version is pending. Each start
of a pending version counts a try, and the firmware confirms itself (drops "good")
once it has run for a while. After MAX_TRIES starts without that, the good version
runs again: {"run": "a", "failed": "b"}. The state file is replaced by a rename,
which is atomic on the board's LittleFS (and on Linux).

boot.py and main.py are not part of an update: deploy puts them on the board.
"""
import gc
import json
import os
import sys

MAX_TRIES = 3


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def read_state(root):
    try:
        with open(root + "/app/state.json") as f:
            state = json.load(f)
        if isinstance(state, dict):
            return state
    except (OSError, ValueError):
        pass
    return {}


def write_state(root, state):
    path = root + "/app/state.json"
    with open(path + ".new", "w") as f:
        json.dump(state, f)
    os.rename(path + ".new", path)


def choose(root):
    """The slot to run now, or None when there is no app slot (a source tree)."""
    state = read_state(root)
    run = state.get("run", "a")
    good = state.get("good")
    if good is not None:  # a pending version: count this try, or give up on it
        tries = state.get("tries", 0)
        if tries >= MAX_TRIES or not _exists("%s/app/%s/firmware" % (root, run)):
            state, run = {"run": good, "failed": run}, good
        else:
            state["tries"] = tries + 1
        write_state(root, state)
    for slot in (run, "b" if run == "a" else "a"):
        if _exists("%s/app/%s/firmware" % (root, slot)):
            return slot
    return None


def start():
    root = os.getcwd().rstrip("/")  # the flash's root: "" on a board
    slot = choose(root)
    if slot is not None:  # main.py makes it the working folder (the board looks for
        path = "%s/app/%s" % (root, slot)  # main.py in the working folder after this)
        sys.path[:0] = [path, path + "/lib"]
    gc.collect()


if __name__ == "__main__":  # on a board, whose main.py then runs in these globals
    start()
    del _exists, read_state, write_state, choose, start  # no heap for them from now on
