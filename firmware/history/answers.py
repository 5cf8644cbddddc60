"""Reading the quarter history back: the day and month summaries, and the scan of a
month of quarter files (the month peak at start-up, other months for the UI).

Used by requests people make now and then, and once at start-up, so it is loaded
with core.cold and takes heap only while it works.
"""

import asyncio

from firmware.core import clock
from firmware.core.peak import MonthPeak
from firmware.history import scan
from firmware.history.peaks import offer


async def scan_month(store, year, month, peak, before=None, progress=None):
    """Offer the quarter files of a month to `peak` (a MonthPeak), in time order, up
    to (not including) minute `before`. Yields after every file, so the P1 reader
    keeps up while a month of files is read from the card."""
    buf = bytearray(scan.SUMMARY_TAIL)
    for day in scan.days(store, year, month):
        for qid in scan.quarters(store, year, month, day):
            if before is not None and clock.minutes(qid) >= before:
                return
            s = scan.summary(store, qid, buf)
            if s is not None:
                offer(peak, qid, s[0], s[1], s[2])
            if progress is not None:
                progress()
            await asyncio.sleep_ms(0)


async def month(store, tracker, y, m, progress):
    """/historic/month: each day's peak and energy, and the month peak. This month's
    come from RAM; another month's are read from its files."""
    p = tracker.month
    if p.month != (y, m) or not tracker.rebuilt:
        p = MonthPeak()
        await scan_month(store, y, m, p, progress=progress)
    return {"year": y, "month": m, "days": p.days(), "peak": p.to_json_obj(),
            "source": p.source if p.power >= 0 else None}


def _n(v):
    return "null" if v is None else str(v)


def day(store, y, m, d, progress):
    """/historic/day body: the day's quarter averages in time order, its peak and
    energy. A plain generator, one quarter per piece (MicroPython has no async
    generators): the server awaits the socket between pieces, so the P1 reader keeps
    up while the files are read."""
    yield '{"date":"%04d-%02d-%02d","quarters":[' % (y, m, d)
    top = None  # (quarter_id, W): in time order, so on equal power the earlier one stays
    wh = export_wh = 0
    sep = ""
    buf = bytearray(scan.SUMMARY_TAIL)
    for qid in scan.quarters(store, y, m, d):
        s = scan.summary(store, qid, buf)
        if s is not None:
            power = s[2] if s[2] is not None else s[0]  # as peaks.offer() counts it
            wh += (power or 0) // 4
            export_wh += -(s[1] or 0) // 4
            if power is not None and power >= 0 and (top is None or power > top[1]):
                top = (qid, power)
            yield ('%s{"quarter_id":%d,"consumed_power_avg":%s,"produced_power_avg":%s,'
                   '"consumed_energy_avg":%s}' % (sep, qid, _n(s[0]), _n(s[1]), _n(s[2])))
            sep = ","
        progress()
    yield '],"peak":%s,"wh":%d,"export_wh":%d}' % (
        "null" if top is None else '{"quarter_id":%d,"power":%d}' % top, wh, export_wh)
