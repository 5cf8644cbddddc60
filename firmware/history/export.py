"""The quarter files as CSV, for /historic/export.csv: one row per quarter file from
the first day to the last, in time order (on the autumn day 0200S, 0215S, ... before
0200W), read from the card while the answer goes out, so it is never whole in RAM.
Loaded per request (core.cold).

Columns: start (ISO 8601 local time with its UTC offset), quarter_id, then the
quarter's averages in W as its file has them; an empty cell is null (a file of the
original firmware has no energy-based average).
"""

from firmware.core import clock
from firmware.history import scan

HEAD = "start,quarter_id,consumed_power_avg,produced_power_avg,consumed_energy_avg\r\n"


def lines(store, start, end, before, progress):
    """The CSV text in pieces, a line each: the days start..end ((y, m, d), both
    included); quarters from minute `before` on (the one being recorded) are left
    out."""
    yield HEAD
    buf = bytearray(scan.SUMMARY_TAIL)
    y, m = start[0], start[1]
    while (y, m) <= (end[0], end[1]):
        for d in scan.days(store, y, m):
            if not start <= (y, m, d) <= end:
                continue
            for qid in scan.quarters(store, y, m, d):
                if clock.minutes(qid) >= before:
                    return
                s = scan.summary(store, qid, buf)
                progress()
                if s is None:
                    continue  # cut short or not a quarter file
                _y, _m, _d, hh, mm, dst = clock.split_id(qid)
                yield "%04d-%02d-%02dT%02d:%02d:00+0%d:00,%d,%s,%s,%s\r\n" % (
                    y, m, d, hh, mm, 1 + dst, qid, "" if s[0] is None else s[0],
                    "" if s[1] is None else s[1], "" if s[2] is None else s[2])
        m += 1
        if m > 12:
            y, m = y + 1, 1
