"""Reading the quarter history back: the month summaries, and the scan of a month of
quarter files (the month peak at start-up, other months for the UI).

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
