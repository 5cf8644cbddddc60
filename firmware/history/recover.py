"""Quarter files on the SD card after a power cut: the checkpoint to resume from,
and a quarter file read back whole (is it there, and whole?). Used at start-up, when
a card comes back (device.card) and at the first telegram after start-up, so loaded
per use (core.cold); history.store writes.
"""

import json
import os

from firmware.core import clock
from firmware.files import exists
from firmware.history.store import CHECKPOINTS


def _load(path):
    """Parsed JSON of a file, or None when it is missing or damaged."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _remove(store, path):
    try:
        os.remove(path)
        store.log("history: removed %s, cut short by a power cut" % path)
    except OSError:
        pass


def recover(store):
    """After a power cut: drop a checkpoint or quarter file that was cut short.
    Returns the newest good checkpoint (a dict), or None; the next checkpoint goes
    to the other file. A quarter file cut short is always the checkpoint's quarter
    (the next checkpoint comes a minute after it is written), so nothing is lost:
    the recorder writes it again from the checkpoint."""
    best = None
    best_key = None
    for i in (0, 1):
        path = store.root + "/" + CHECKPOINTS[i]
        d = _load(path)
        try:
            key = (clock.minutes(d["quarter_id"]), sum(d["checkpoint"]["count"]))
        except (TypeError, KeyError, ValueError):
            if exists(path):
                _remove(store, path)
            continue
        if best_key is None or key > best_key:
            best, best_key, store.checkpoint_at = d, key, i
    if best is not None:
        qid = best["quarter_id"]
        path = store.quarter_path(qid)
        if exists(path) and not has_quarter(store, qid):
            _remove(store, path)
    return best


def load_quarter(store, qid):
    """A quarter file's parsed JSON (ours or the original firmware's), or None
    when it is missing, cut short or holds another quarter."""
    d = _load(store.quarter_path(qid))
    return d if isinstance(d, dict) and d.get("quarter_id") == qid else None


def has_quarter(store, qid):
    return load_quarter(store, qid) is not None
