"""MicroPython side of `digimon bench`: the firmware's real P1 ingest path, measured.

usage: micropython bench_ingest.py <file of telegrams> <chunk size, at most the reader's> <mask7 0|1>
Prints one JSON line: telegrams, us per telegram, bytes allocated per telegram, heap.
"""
import gc
import json
import sys
import time

from firmware.p1.reader import CHUNK, P1Reader


class _Board:
    """Just enough of a board for P1Reader."""

    def __init__(self, mask7):
        self.p1_7e1 = mask7
        self.p1_baud = 9600 if mask7 else 115200  # set: the reader does not learn it


def feed(path, step, mask7, measure):
    """Stream the file through a fresh P1Reader in chunks; measure(reader, n) ingests."""
    reader = P1Reader(_Board(mask7), print)
    view = memoryview(reader.chunk)[:step]
    with open(path, "rb") as f:
        while True:
            n = f.readinto(view)
            if not n:
                return reader
            measure(reader, n)


def main(path, step, mask7):
    step = min(step, CHUNK)
    totals = [0, 0]  # us, bytes

    def timed(reader, n):
        t = time.ticks_us()
        reader.ingest(n)
        totals[0] += time.ticks_diff(time.ticks_us(), t)

    def counted(reader, n):
        gc.collect()
        gc.disable()
        a = gc.mem_alloc()
        reader.ingest(n)
        totals[1] += gc.mem_alloc() - a
        gc.enable()

    feed(path, step, mask7, timed)
    gc.collect()
    before = gc.mem_alloc()
    reader = feed(path, step, mask7, counted)
    got = reader.good
    print(json.dumps({"telegrams": got, "us_per_telegram": totals[0] / max(got, 1),
                      "bytes_per_telegram": totals[1] / max(got, 1),
                      "reader_heap_bytes": gc.mem_alloc() - before,
                      "counters": reader.counters()}))


main(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1")
