"""Quarter files on the SD card, the writing side: power-safe writes of the quarter
files and of the checkpoint (history.scan and history.recover read them back).

Layout (the original firmware's): <sd>/meter/YYYY/MM/DD/HHMM{S|W}.json, one file per
quarter. The quarter being recorded is checkpointed to <sd>/meter/current-a.json and
current-b.json in turn.

FAT has no atomic replace. A rename writes the new directory entry and then clears
the old one; in a folder of a day's quarters those are often different sectors, and
a power cut between the two writes leaves a half-renamed, unreadable entry (the
power-loss test finds such cuts). So nothing here is renamed:
- a quarter file is written once, straight to its name. A cut leaves it short, and a
  short file (or one holding another quarter) counts as missing: the quarter is
  written again from the checkpoint, which still holds it until the next checkpoint,
  a minute into the next quarter;
- the checkpoint goes to the older of two files; at start-up the newest one that
  parses wins, so a cut while writing one leaves the other, a minute older.
At start-up history.recover.recover() deletes what a cut left half written, so every
JSON file on the card parses.
"""

import os

from micropython import const

from firmware.core import clock
from firmware.files import makedirs

_ENOSPC = const(28)
_EACCES = const(13)

CHECKPOINTS = const(("current-a.json", "current-b.json"))


class HistoryStore:
    def __init__(self, sd_root, log=print):
        self.root = sd_root + "/meter"
        self.log = log
        self.writes = 0  # files written since start (quarters and checkpoints)
        self.errors = 0
        self.error = None  # the last write error, for /about
        self.checkpoint_at = 0  # index in CHECKPOINTS of the newest checkpoint
        self.full = False  # a write found the card full (until device.card finds room)
        self._made = ("", "")  # the last two folders written to (meter/ and the day's)

    def _write(self, folder, name, pieces):
        """Write folder/name from a generator of text pieces, making the folder when
        it is new; False (counted and logged) on failure."""
        path = folder + "/" + name
        opened = False
        try:
            if folder not in self._made:  # a stat per level: only for a new day
                makedirs(folder)
                self._made = (self._made[-1], folder)
            with open(path, "w") as f:
                opened = True
                for piece in pieces:
                    f.write(piece)
            self.writes += 1
            if not self.full:  # (a full card stays full until device.card finds room:
                self.error = None  # a file written over in place still fits)
            return True
        except OSError as e:
            self._made = ("", "")  # the card may have been swapped: check again
            self.errors += 1
            # FAT says ENOSPC when a file has no room to grow, EACCES when a folder has none
            if e.args and e.args[0] in (_ENOSPC, _EACCES):
                self.full = self.full or True  # ("said" once device.card has told it)
                self.error = "full (writing %s)" % path
                if opened:  # no half file left behind: it would not parse
                    try:
                        os.remove(path)
                    except OSError:
                        pass
            else:
                self.full = False
                self.error = "writing %s: %s" % (path, e)
            self.log("history: " + self.error)
            return False

    def write_quarter(self, q):
        """The finished quarter q (a core.quarter.Quarter) to its file."""
        return self._write(self.root + "/" + clock.day_dir(q.qid), clock.file_name(q.qid),
                           q.json_pieces())

    def write_checkpoint(self, q):
        """q to the older checkpoint file, so the newer one survives a cut."""
        at = 1 - self.checkpoint_at
        if self._write(self.root, CHECKPOINTS[at], q.json_pieces(True)):
            self.checkpoint_at = at
            return True
        return False

    def quarter_path(self, qid):
        return "%s/%s/%s" % (self.root, clock.day_dir(qid), clock.file_name(qid))
