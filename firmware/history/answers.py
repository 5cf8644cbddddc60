"""Reading the quarter history back: the bodies of the history and month-peak
requests, and the scan of a month of quarter files.

Used by requests people make now and then, and once at start-up, so it is loaded
with core.cold and takes heap only while it works.
"""

import asyncio

from firmware.core import clock
from firmware.core.dsmr import SLOT, row
from firmware.core.peak import MonthPeak
from firmware.history.peaks import offer


def int_arg(args, name, lo, hi):
    """An int query argument in lo..hi; raises ValueError with a clear message."""
    text = args.get(name)
    if text is None:
        raise ValueError("Need a %s argument" % name)
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise ValueError("%s must be a number from %d to %d" % (name, lo, hi))
    return int(text)


def _day(parts):
    """['YYYY', 'MM', 'DD'] -> (y, m, d), or None when it is not a day."""
    if [len(p) for p in parts] != [4, 2, 2] or not "".join(parts).isdigit():
        return None
    y, m, d = int(parts[0]), int(parts[1]), int(parts[2])
    return (y, m, d) if 2000 <= y <= 2099 and 1 <= m <= 12 and 1 <= d <= 31 else None


def parse_date(text):
    """'YYYY-MM-DD' -> (y, m, d); raises ValueError."""
    day = _day((text or "").split("-"))
    if day is None:
        raise ValueError("date must be YYYY-MM-DD")
    return day


def is_quarter_file(path):
    """True for 'YYYY/MM/DD/HHMM{S|W}.json' and nothing else (no '..', no other
    names: only quarter files are served from the card)."""
    parts = path.split("/")
    day = _day(parts[:3]) if len(parts) == 4 else None
    return day is not None and clock.parse_file_name(
        (day[0] - 2000) * 10000 + day[1] * 100 + day[2], parts[3]) is not None


def listing(store, what, args):
    """/historic/years|months|days|quarters as the original firmware, sorted."""
    if what == "years":
        return {"years": store.years()}
    y = int_arg(args, "year", 2000, 2099)
    if what == "months":
        return {"year": y, "months": store.months(y)}
    m = int_arg(args, "month", 1, 12)
    if what == "days":
        return {"year": y, "month": m, "days": store.days(y, m)}
    d = int_arg(args, "day", 1, 31)
    return {"year": y, "month": m, "day": d, "quarters": store.quarters(y, m, d)}


async def scan_month(store, year, month, peak, before=None, progress=None):
    """Offer the quarter files of a month to `peak` (a MonthPeak), in time order, up
    to (not including) minute `before`. Yields after every file, so the P1 reader
    keeps up while a month of files is read from the card."""
    for day in store.days(year, month):
        for qid in store.quarters(year, month, day):
            if before is not None and clock.minutes(qid) >= before:
                return
            s = store.summary(qid)
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
    p = MonthPeak()
    sep = ""
    for qid in store.quarters(y, m, d):
        s = store.summary(qid)
        if s is not None:
            offer(p, qid, s[0], s[1], s[2])
            yield ('%s{"quarter_id":%d,"consumed_power_avg":%s,"produced_power_avg":%s,'
                   '"consumed_energy_avg":%s}' % (sep, qid, _n(s[0]), _n(s[1]), _n(s[2])))
            sep = ","
        progress()
    top = p.pair()
    yield '],"peak":%s,"wh":%d,"export_wh":%d}' % (
        "null" if top is None else '{"quarter_id":%d,"power":%d}' % top,
        p.day_wh[d], p.day_export_wh[d])


def month_peak(state):
    """/current/month/peak: the original's {"peak", "memory"}, plus our own peak and
    the meter's side by side (a disagreement shows) and the meter's 0-0:98.1.0."""
    from firmware.core import cold

    mp = cold.load("firmware.core.meterpeak")
    r = state.p1.reading
    have = state.p1.last_ms is not None
    meter = None
    history = []
    if have and r.has("montly_power_peak"):
        meter = mp.meter_peak(r.values, SLOT[row("montly_power_peak")])
    if have and r.has("peak_history"):
        for stamp, qid, w in mp.parse_history(r.text_of("peak_history")):
            history.append({"month": "20%02d-%02d" % (stamp // 10000, stamp // 100 % 100),
                            "quarter_id": qid, "power": w})
    own = state.peaks.month
    res = mp.compare(own, meter)
    if res["meter"] is not None:  # the meter's figure is the one on the bill
        res["peak"], res["source"] = res["meter"], "meter"
    elif res["own"] is not None:
        res["peak"], res["source"] = res["own"], own.source
    else:
        res["source"] = None
    res["meter_history"] = history
    res["rebuilt"] = state.peaks.rebuilt
    res["tariff"] = state.cfg["tariff"]  # for the UI's cost estimate
    mem = state.board.memory()
    res["memory"] = {"size_heap": mem["heap_total"], "free_heap": mem["heap_free"]}
    return res
