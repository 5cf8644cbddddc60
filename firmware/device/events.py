"""The event log: what happened to the device (boots, WiFi, SD card, P1 errors, config,
updates), as JSON lines on the SD card, in a bounded ring of two files
(device.eventfile writes and reads them, loaded per event: events are rare).

Events are numbered on across restarts ("n"). Without an SD card they wait in RAM (the
newest PENDING) and go to the card when it comes back.
"""

import time

from micropython import const

from firmware.core import cold

PENDING = const(32)


def _file():
    return cold.load("firmware.device.eventfile")


class EventLog:
    def __init__(self, uptime_s, log=print):
        self.uptime_s = uptime_s  # () -> seconds since start
        self.log = log
        self.folder = None  # the card's log folder while it is usable
        self.at = 0  # which of the two files is appended to
        self.n = 0  # number of the next event, counted on across restarts
        self.pending = []  # events waiting for an SD card: (t, up, kind, msg)
        self.dropped = 0  # pending events lost because there were too many
        self.memory_errors = 0  # events not written for want of heap (kept pending)

    def attach(self, sd_root):
        """The SD card is there: continue its log and write what waited in RAM."""
        _file().attach(self, sd_root)

    def detach(self):
        self.folder = None

    def add(self, kind, msg):
        """Record one event (kind: a short word such as "boot", "wifi", "sd")."""
        self.log("event %s: %s" % (kind, msg))
        t = time.gmtime()
        event = (t[:6] if t[0] >= 2024 else None, self.uptime_s(), kind, msg)  # None: no clock
        if self.folder:
            try:
                _file().write(self, event)
                return
            except MemoryError:  # the log never stops what it logs: the event waits in RAM
                self.memory_errors += 1
        self.pending.append(event)
        if len(self.pending) > PENDING:
            self.pending.pop(0)
            self.dropped += 1

    def lines(self):
        """Every stored event line, oldest first (for GET /events)."""
        return _file().lines(self)
