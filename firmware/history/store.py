"""Quarter files on the SD card: power-safe writes, the checkpoint, listings, summaries.

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
At start-up recover() deletes what a cut left half written, so every JSON file on the
card parses.
"""

import json
import os

from firmware.core import clock
from firmware.files import exists, makedirs

CHECKPOINTS = ("current-a.json", "current-b.json")
SUMMARY_HEAD = 96  # bytes that hold "consumed_power_avg" at the start of a quarter file
SUMMARY_TAIL = 112  # bytes that hold our appended averages at its end


def _sorted_ints(names, width):
    """The names that are `width` digits, as sorted ints."""
    return sorted(int(n) for n in names if len(n) == width and n.isdigit())


def _number_after(buf, n, key):
    """The int after `key` (bytes, e.g. b'"x":') in buf[:n]; None when absent or null."""
    i = buf.find(key, 0, n)
    if i < 0:
        return None
    i += len(key)
    j = i
    while j < n and (buf[j] == 45 or 48 <= buf[j] <= 57):
        j += 1
    return int(bytes(buf[i:j])) if j > i else None


class HistoryStore:
    def __init__(self, sd_root, log=print):
        self.root = sd_root + "/meter"
        self.log = log
        self.writes = 0  # files written since start (quarters and checkpoints)
        self.errors = 0
        self.error = None  # the last write error, for /about
        self.checkpoint_at = 0  # index in CHECKPOINTS of the newest checkpoint
        self._scratch = bytearray(SUMMARY_TAIL)
        self._made = ("", "")  # the last two folders written to (meter/ and the day's)

    # --- writing ---

    def _write(self, folder, name, pieces):
        """Write folder/name from a generator of text pieces, making the folder when
        it is new; False (counted and logged) on failure."""
        path = folder + "/" + name
        try:
            if folder not in self._made:  # a stat per level: only for a new day
                makedirs(folder)
                self._made = (self._made[-1], folder)
            with open(path, "w") as f:
                for piece in pieces:
                    f.write(piece)
            self.writes += 1
            self.error = None
            return True
        except OSError as e:
            self._made = ("", "")  # the card may have been swapped: check again
            self.errors += 1
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

    # --- reading ---

    def _load(self, path):
        """Parsed JSON of a file, or None when it is missing or damaged."""
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _remove(self, path):
        try:
            os.remove(path)
            self.log("history: removed %s, cut short by a power cut" % path)
        except OSError:
            pass

    def recover(self):
        """After a power cut: drop a checkpoint or quarter file that was cut short.
        Returns the newest good checkpoint (a dict), or None; the next checkpoint goes
        to the other file. A quarter file cut short is always the checkpoint's quarter
        (the next checkpoint comes a minute after it is written), so nothing is lost:
        the recorder writes it again from the checkpoint."""
        best = None
        best_key = None
        for i in (0, 1):
            path = self.root + "/" + CHECKPOINTS[i]
            d = self._load(path)
            try:
                key = (clock.minutes(d["quarter_id"]), sum(d["checkpoint"]["count"]))
            except (TypeError, KeyError, ValueError):
                if exists(path):
                    self._remove(path)
                continue
            if best_key is None or key > best_key:
                best, best_key, self.checkpoint_at = d, key, i
        if best is not None:
            qid = best["quarter_id"]
            if exists(self.quarter_path(qid)) and not self.has_quarter(qid):
                self._remove(self.quarter_path(qid))
        return best

    def quarter_path(self, qid):
        return "%s/%s/%s" % (self.root, clock.day_dir(qid), clock.file_name(qid))

    def load_quarter(self, qid):
        """A quarter file's parsed JSON (ours or the original firmware's), or None
        when it is missing, cut short or holds another quarter."""
        d = self._load(self.quarter_path(qid))
        return d if isinstance(d, dict) and d.get("quarter_id") == qid else None

    def has_quarter(self, qid):
        return self.load_quarter(qid) is not None

    def summary(self, qid):
        """(consumed W, produced W, energy-based W) averages of a quarter file, each
        None when the file lacks it; None when there is no readable file. Reads only
        the head and the tail of the file: a day's 96 files are read quickly."""
        buf = self._scratch
        try:
            with open(self.quarter_path(qid), "rb") as f:
                n = f.readinto(memoryview(buf)[:SUMMARY_HEAD])
                if _number_after(buf, n, b'"quarter_id":') != qid:
                    return None
                consumed = _number_after(buf, n, b'"consumed_power_avg":')
                size = f.seek(0, 2)
                f.seek(max(0, size - SUMMARY_TAIL))
                n = f.readinto(buf)
        except (OSError, ValueError):
            return None
        if n < 1 or buf[n - 1] != 0x7D:  # '}': a file cut short has no end
            return None
        return (consumed, _number_after(buf, n, b'"produced_power_avg":'),
                _number_after(buf, n, b'"consumed_energy_avg":'))

    # --- listings (directory order on FAT is arbitrary: always sorted here) ---

    def _names(self, sub):
        try:
            return os.listdir(self.root + sub)
        except OSError:
            return []

    def years(self):
        return _sorted_ints(self._names(""), 4)

    def months(self, year):
        return _sorted_ints(self._names("/%04d" % year), 2)

    def days(self, year, month):
        return _sorted_ints(self._names("/%04d/%02d" % (year, month)), 2)

    def quarters(self, year, month, day):
        """Quarter ids of a day in time order (02:00 S before 02:00 W in autumn)."""
        yymmdd = (year - 2000) * 10000 + month * 100 + day
        ids = []
        for name in self._names("/%04d/%02d/%02d" % (year, month, day)):
            qid = clock.parse_file_name(yymmdd, name)
            if qid is not None:
                ids.append(qid)
        ids.sort(key=clock.minutes)
        return ids
