"""Quarter files on the SD card: atomic writes, the checkpoint, listings.

Layout (the original firmware's): <sd>/meter/YYYY/MM/DD/HHMM{S|W}.json, one file per
quarter. The quarter being recorded is checkpointed to <sd>/meter/current.json.

Every file is written as <name>.tmp, closed, and only then renamed over <name>; FAT
cannot rename onto an existing file, so the old one is removed just before. A power
cut therefore leaves either the old file, or the new one, or a complete .tmp without
the file, which recover() finishes. A .tmp that does not parse is a write that was
cut short and is dropped.
"""

import json
import os

from firmware.core import clock

CHECKPOINT = "current.json"


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _makedirs(path):
    """Make path and the folders above it that are missing."""
    parts = path.split("/")
    at = parts[0]  # "" for an absolute path
    if at and not _exists(at):
        os.mkdir(at)
    for part in parts[1:]:
        at += "/" + part
        if not _exists(at):
            os.mkdir(at)


def _sorted_ints(names, width):
    """The names that are `width` digits, as sorted ints."""
    return sorted(int(n) for n in names if len(n) == width and n.isdigit())


class HistoryStore:
    def __init__(self, sd_root, log=print):
        self.root = sd_root + "/meter"
        self.log = log
        self.writes = 0  # files written since start (quarters and checkpoints)
        self.errors = 0
        self.error = None  # the last write error, for /about

    # --- writing ---

    def _write(self, path, write_json):
        """Write a file atomically; write_json(out) produces its text in pieces."""
        tmp = path + ".tmp"
        try:
            with open(tmp, "w") as f:
                write_json(f.write)
            if _exists(path):
                os.remove(path)
            os.rename(tmp, path)
            self.writes += 1
            self.error = None
            return True
        except OSError as e:
            self.errors += 1
            self.error = "writing %s: %s" % (path, e)
            self.log("history: " + self.error)
            return False

    def write_quarter(self, q):
        """The finished quarter q (a core.quarter.Quarter) to its file."""
        d = self.root + "/" + clock.day_dir(q.qid)
        try:
            _makedirs(d)
        except OSError as e:
            self.errors += 1
            self.error = "making %s: %s" % (d, e)
            return False
        return self._write(d + "/" + clock.file_name(q.qid), q.write_json)

    def write_checkpoint(self, q):
        try:
            _makedirs(self.root)
        except OSError:
            pass
        return self._write(self.root + "/" + CHECKPOINT,
                           lambda out: q.write_json(out, checkpoint=True))

    # --- reading ---

    def _load(self, path):
        """Parsed JSON of a file, or None when it is missing or damaged."""
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _finish_tmp(self, path):
        """A .tmp left by a cut-off write of path: keep it if it is complete and the
        file is missing, else drop it."""
        tmp = path + ".tmp"
        if not _exists(tmp):
            return
        if self._load(tmp) is not None and not _exists(path):
            os.rename(tmp, path)
        else:
            os.remove(tmp)

    def recover(self):
        """After a power cut: finish or drop a half-done checkpoint write."""
        self._finish_tmp(self.root + "/" + CHECKPOINT)

    def load_checkpoint(self):
        d = self._load(self.root + "/" + CHECKPOINT)
        return d if isinstance(d, dict) and "quarter_id" in d else None

    def quarter_path(self, qid):
        return "%s/%s/%s" % (self.root, clock.day_dir(qid), clock.file_name(qid))

    def has_quarter(self, qid):
        return _exists(self.quarter_path(qid))

    def load_quarter(self, qid):
        """A quarter file's parsed JSON (ours or the original firmware's), or None."""
        return self._load(self.quarter_path(qid))

    def repair_quarter(self, qid):
        """A .tmp left by a cut-off quarter write: keep it if complete, else drop it."""
        self._finish_tmp(self.quarter_path(qid))

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
