"""The event log: what happened to the device (boots, WiFi, SD card, P1 errors, config,
updates), as JSON lines on the SD card, in a bounded ring of two files.

Lines are appended to one file; when it reaches MAX_BYTES the other file is emptied and
takes over, so the log never holds more than 2 x MAX_BYTES and always the newest
MAX_BYTES at least. Events are numbered on across restarts ("n"). Without an SD card
they wait in RAM (the newest PENDING) and go to the card when it comes back. A line cut short by a power cut is skipped on reading.
"""

import json
import os
import time

FOLDER = "/log"
FILES = ("events-a.jsonl", "events-b.jsonl")
MAX_BYTES = 16384
PENDING = 32
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


def utc_now():
    """The board clock as ISO UTC, or None while it is not set (before NTP)."""
    t = time.gmtime()
    if t[0] < 2024:
        return None
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % t[:6]


class EventLog:
    def __init__(self, uptime_s, log=print):
        self.uptime_s = uptime_s  # () -> seconds since start
        self.log = log
        self.folder = None  # the card's log folder while it is usable
        self.at = 0  # index in FILES of the file appended to
        self.n = 0  # number of the next event, counted on across restarts
        self.pending = []  # events waiting for an SD card: (t, up, kind, msg)
        self.dropped = 0  # pending events lost because there were too many

    def attach(self, sd_root):
        """The SD card is there: continue its log and write what waited in RAM."""
        folder = sd_root + FOLDER
        try:
            os.mkdir(folder)
        except OSError:
            pass  # there already
        paths = [folder + "/" + name for name in FILES]
        last = [_last_n(p, _size(p)) for p in paths]
        self.at = 0 if last[0] >= last[1] else 1
        self.folder = folder
        self.n = max(last) + 1
        waiting, self.pending = self.pending, []
        for event in waiting:
            self._write(event)
        if self.dropped:
            self.add("log", "%d events were lost while there was no SD card" % self.dropped)
            self.dropped = 0

    def detach(self):
        self.folder = None

    def add(self, kind, msg):
        """Record one event (kind: a short word such as "boot", "wifi", "sd")."""
        self.log("event %s: %s" % (kind, msg))
        event = (utc_now(), self.uptime_s(), kind, msg)
        if self.folder:
            self._write(event)
            return
        self.pending.append(event)
        if len(self.pending) > PENDING:
            self.pending.pop(0)
            self.dropped += 1

    @staticmethod
    def _line(n, event):
        t, up, kind, msg = event
        d = json.dumps
        return '{"n":%s,"t":%s,"up":%d,"kind":%s,"msg":%s}' % (d(n), d(t), up, d(kind), d(msg))

    def _write(self, event):
        if self.folder and self._append(self._line(self.n, event)):
            self.n += 1
        else:
            self.pending.append(event)

    def _append(self, line):
        path = self.folder + "/" + FILES[self.at]
        try:
            if _size(path) >= MAX_BYTES:
                self.at = 1 - self.at
                path = self.folder + "/" + FILES[self.at]
                mode = "w"
            else:
                mode = "a"
            with open(path, mode) as f:
                f.write(line + "\n")
            return True
        except OSError as e:
            self.log("events: cannot write %s: %s" % (path, e))
            self.detach()
            return False

    def lines(self):
        """Every stored event line, oldest first (for GET /events)."""
        if self.folder:
            for k in (1, 0):
                path = self.folder + "/" + FILES[(self.at + k) % 2]
                try:
                    with open(path) as f:
                        for line in f:
                            line = line.rstrip()
                            if line.startswith("{") and line.endswith("}"):
                                yield line
                except OSError:
                    pass
        for event in self.pending:  # not on the card yet: no number
            yield self._line(None, event)
