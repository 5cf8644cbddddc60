"""Power cuts on a FAT SD card, under MicroPython.

The SD card is a FAT image on a block device that stops writing after N block
writes: the power went at that moment. For each N the recorder runs from a fresh
image over a stretch of readings (one a second, across a quarter, day and month
boundary) until the power goes; then the image is mounted again as it was left, a new
recorder starts on it (recovery) and the readings go on from the next second.

Checked for every N:
  - after start-up (recovery), every file on the card is JSON that parses, and a
    quarter file holds its own quarter;
  - every quarter file written in the end equals the one of a run without a cut,
    except for the slots of at most the last minute before the cut (and the slot of
    the cut itself).

usage: micropython host_tests/mp_power_loss.py [step]   (prints one JSON line)
"""
import json
import os
import sys
import vfs

from firmware.core import clock
from firmware.history.store import HistoryStore
from firmware.history.recorder import Recorder
from host_tests.core.test_recorder import reading

BLOCK = 512
BLOCKS = 2048  # a 1 MB card
MOUNT = "/sd"
START_S = (23 * 60 + 42) * 60  # 30 Nov 23:42:00 W ...
SECONDS = 22 * 60  # ... to 1 Dec 00:04:00: a quarter, a day and a month boundary


class CutPower:
    """A RAM block device that drops every write after the first `budget`."""

    def __init__(self, image, budget=-1):
        self.image = image
        self.budget = budget
        self.writes = 0
        self.dead = False

    def readblocks(self, n, buf):
        buf[:] = memoryview(self.image)[n * BLOCK:n * BLOCK + len(buf)]

    def writeblocks(self, n, buf):
        if self.budget >= 0 and self.writes >= self.budget:
            self.dead = True
            return
        self.writes += 1
        self.image[n * BLOCK:n * BLOCK + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:
            return BLOCKS
        if op == 5:
            return BLOCK
        return 0


def at(s):
    """Reading for second s of the run (power varies so slots differ)."""
    day = 261130
    if s >= 24 * 3600:
        s -= 24 * 3600
        day = 261201
    hhmmss = s // 3600 * 10000 + s // 60 % 60 * 100 + s % 60
    w = 400 + (s * 37) % 3000
    return reading(day, hhmmss, 0, w, 0, 800000 + s)


def mount(dev):
    try:
        vfs.umount(MOUNT)
    except OSError:
        pass
    vfs.mount(vfs.VfsFat(dev), MOUNT)


def run(dev, first, last):
    """Feed seconds [first, last) until the power goes; returns the last second fed."""
    rec = Recorder(HistoryStore(MOUNT), log=lambda m: None)
    s = first
    while s < last:
        rec.on_reading(at(START_S + s))
        if dev.dead:
            return s
        s += 1
    return s


def files(path, out):
    """All files under path: {path: text}."""
    try:
        names = os.listdir(path)
    except OSError:
        return out  # not made before the cut
    for name in names:
        p = path + "/" + name
        if os.stat(p)[0] & 0x4000:
            files(p, out)
        else:
            with open(p) as f:
                out[p] = f.read()
    return out


def quarters(texts):
    """{path: parsed} of the quarter files; raises on a damaged one."""
    out = {}
    for p, text in texts.items():
        name = p.rsplit("/", 1)[1]
        if not name.endswith(".json"):
            raise ValueError("stray file " + p)
        d = json.loads(text)  # a ValueError here is a damaged file
        if name == "current.json" or name.startswith("current"):
            continue
        y, m, dd = p.split("/")[3:6]
        qid = clock.parse_file_name((int(y) - 2000) * 10000 + int(m) * 100 + int(dd), name)
        if d["quarter_id"] != qid:
            raise ValueError("%s holds quarter %x" % (p, d["quarter_id"]))
        out[p] = d
    return out


def second_of(path, i):
    """Second of the run (from 30 Nov 00:00) at which slot i of a quarter file starts."""
    day, name = path.split("/")[5:7]
    return ((24 * 3600 if day == "01" else 0) + int(name[:2]) * 3600 + int(name[2:4]) * 60
            + i * 5)


def fresh():
    """A formatted card whose day folder already holds the day's quarters up to 23:30,
    so new directory entries land in a later sector than the first ones."""
    image = bytearray(BLOCK * BLOCKS)
    dev = CutPower(image)
    vfs.VfsFat.mkfs(dev)
    mount(dev)
    day = MOUNT + "/meter/2026/11/30"
    path = ""
    for part in day.split("/")[2:]:
        path += "/" + part
        os.mkdir(MOUNT + path)
    for q in range(94):
        qid = clock.quarter_id(261130, q // 4 * 10000 + q % 4 * 1500, 0)
        with open(day + "/" + clock.file_name(qid), "w") as f:
            f.write('{"quarter_id":%d,"consumed_power_avg":100,"interval_secs":5,'
                    '"consumed_power_interval_avgs":[100],"produced_power_interval_avgs":[0]}'
                    % qid)
    vfs.umount(MOUNT)
    return image


def main():
    step = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    blank = fresh()
    # the run without a cut
    image = bytearray(blank)
    dev = CutPower(image)
    mount(dev)
    run(dev, 0, SECONDS)
    ref = quarters(files(MOUNT + "/meter", {}))
    total = dev.writes
    failures = []
    worst = 0
    cuts = 0
    half_written = 0
    for budget in range(0, total, step):
        image = bytearray(blank)
        dev = CutPower(image, budget)
        mount(dev)
        cut = run(dev, 0, SECONDS)
        if not dev.dead:
            continue
        cuts += 1
        dev = CutPower(image)  # power back: the card as the cut left it
        mount(dev)
        try:
            quarters(files(MOUNT + "/meter", {}))
        except (ValueError, KeyError):
            half_written += 1  # the cut left a file short: recovery must clean it up
        try:
            Recorder(HistoryStore(MOUNT), log=lambda m: None)  # start-up: recovery
            quarters(files(MOUNT + "/meter", {}))  # nothing damaged left
            run(dev, cut + 1, SECONDS)
            got = quarters(files(MOUNT + "/meter", {}))
        except Exception as e:
            failures.append("N=%d (cut at second %d): %r" % (budget, cut, e))
            continue
        # only the last minute before the cut may be missing
        for p, d in ref.items():
            g = got.get(p)
            if g is None:
                failures.append("N=%d: %s missing" % (budget, p))
                continue
            for k in ("consumed_power_interval_avgs", "produced_power_interval_avgs"):
                a, b = d[k], g[k]
                for i in range(max(len(a), len(b))):
                    x = a[i] if i < len(a) else None
                    y = b[i] if i < len(b) else None
                    if x != y:
                        lost = START_S + cut - second_of(p, i)
                        if not 0 <= lost < 60 + 5:
                            failures.append("N=%d: %s slot %d differs (cut at %d)"
                                            % (budget, p, i, cut))
                            break
                        worst = max(worst, lost)
        extra = [p for p in got if p not in ref]
        if extra:
            failures.append("N=%d: unexpected %s" % (budget, extra))
    print(json.dumps({"block_writes": total, "cuts": cuts, "half_written": half_written, "worst_lost_s": worst,
                      "failures": failures[:20], "failed": len(failures)}))


main()
