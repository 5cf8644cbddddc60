"""The event log's files on the SD card, for device.events: <sd>/log/events-a.jsonl and
events-b.jsonl, one JSON object per line. Loaded per event (core.cold).

Lines are appended to one file; when it reaches MAX_BYTES the other file is emptied and
takes over, so the log never holds more than 2 x MAX_BYTES and always the newest
MAX_BYTES at least. A line cut short by a power cut is skipped on reading.
"""

import json
import os

FOLDER = "/log"
FILES = ("events-a.jsonl", "events-b.jsonl")
MAX_BYTES = 16384
TAIL = 256  # bytes read from a file's end to find its last event number


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def _last_n(path, size):
    """The "n" of the last whole line in path, or -1."""
    if size <= 0:
        return -1
    try:
        with open(path, "rb") as f:
            f.seek(max(0, size - TAIL))
            tail = f.read(TAIL)
    except OSError:
        return -1
    for line in reversed(tail.split(b"\n")):
        try:
            return json.loads(line)["n"]
        except (ValueError, KeyError, TypeError):
            pass
    return -1


def attach(log, sd_root):
    """Continue the card's log (its files, its numbers); write what waited in RAM."""
    folder = sd_root + FOLDER
    try:
        os.mkdir(folder)
    except OSError:
        pass  # there already
    last = [_last_n(p, _size(p)) for p in (folder + "/" + name for name in FILES)]
    log.at = 0 if last[0] >= last[1] else 1
    log.folder = folder
    log.n = max(last) + 1
    waiting, log.pending = log.pending, []
    for event in waiting:
        write(log, event)
    if log.dropped:
        log.add("log", "%d events were lost while there was no SD card" % log.dropped)
        log.dropped = 0


def _line(n, event):
    t, up, kind, msg = event
    if t is not None:
        t = "%04d-%02d-%02dT%02d:%02d:%02dZ" % t
    d = json.dumps
    return '{"n":%s,"t":%s,"up":%d,"kind":%s,"msg":%s}' % (d(n), d(t), up, d(kind), d(msg))


def write(log, event):
    """Append one event to the card, or keep it in RAM when that fails."""
    if log.folder and _append(log, _line(log.n, event)):
        log.n += 1
    else:
        log.pending.append(event)


def _append(log, line):
    path = log.folder + "/" + FILES[log.at]
    try:
        if _size(path) >= MAX_BYTES:
            log.at = 1 - log.at
            path = log.folder + "/" + FILES[log.at]
            mode = "w"
        else:
            mode = "a"
        with open(path, mode) as f:
            f.write(line + "\n")
        return True
    except OSError as e:
        log.log("events: cannot write %s: %s" % (path, e))
        log.detach()
        return False


def lines(log):
    """Every stored event line, oldest first."""
    if log.folder:
        for k in (1, 0):
            path = log.folder + "/" + FILES[(log.at + k) % 2]
            try:
                with open(path) as f:
                    for line in f:
                        line = line.rstrip()
                        if line.startswith("{") and line.endswith("}"):
                            yield line
            except OSError:
                pass
    for event in log.pending:  # not on the card yet: no number
        yield _line(None, event)
