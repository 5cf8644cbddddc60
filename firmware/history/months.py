"""The capacity tariff over the last 13 months, for /historic/peaks: each month's peak,
what it is billed, and the 12-month average the bill uses (core.capacity has the
arithmetic). Loaded per request (core.cold).

A month's peak is the meter's where the meter has that month (1-0:1.6.0 for this one,
0-0:98.1.0 for those before), else our own: this month's from the peak tracker,
another's from its quarter files (history.answers.scan_month). A month of files is up
to 2976 of them, slow to read on a card, so what they gave for a finished month is kept
on the card in meter/months.txt, one line per month ("YYYY-MM quarter_id W", W -1: files
but no peak), and read from there the next time.
"""

from micropython import const

from firmware.core import capacity, clock, cold
from firmware.core.dsmr import SLOT, row
from firmware.core.peak import MonthPeak

_CACHE = const("/months.txt")  # in the store's root, beside the checkpoints


async def year(store, reading, own, qid, tariff, progress):
    """/historic/peaks: the 13 months that end with quarter qid's month, oldest first,
    as JSON pieces. reading: the last telegram's (None without one), own: the peak
    tracker's MonthPeak, store: the HistoryStore (None without a card)."""
    y, m = clock.month_of(qid)
    now = (y - 2000) * 12 + m - 1  # months since January 2000
    # the meter's first, before any await: the next telegram swaps the reading
    meter = {}  # yymm -> (quarter_id, W) or None (the meter saw no peak)
    this = (y - 2000) * 100 + m
    # (core.meterpeak and history.answers are loaded only when needed: a request's heap
    # is small)
    if reading is not None and (reading.has("peak_history") or reading.has("montly_power_peak")):
        mp = cold.load("firmware.core.meterpeak")
        if reading.has("peak_history"):
            for yymm, pq, w in mp.parse_history(reading.text_of("peak_history")):
                meter[yymm] = (pq, w) if pq is not None else None
        if reading.has("montly_power_peak"):
            meter[this] = mp.meter_peak(reading.values, SLOT[row("montly_power_peak")])
        mp = None
    if meter.get(this) is None and own.power >= 0 and own.month == (y, m):
        meter.pop(this, None)  # no peak of the meter's own yet: ours
    cache = {}  # yymm -> (quarter_id, W) of meter/months.txt
    if store is not None:
        try:
            with open(store.root + _CACHE) as f:
                for line in f:
                    p = line.split()  # "YYYY-MM quarter_id W"; not a line cut short
                    if len(p) != 3 or len(p[0]) != 7 or not line.endswith("\n"):
                        continue
                    try:
                        yymm = int(p[0][2:4]) * 100 + int(p[0][5:7])
                        pq, w = int(p[1]), int(p[2])
                    except ValueError:
                        continue
                    if w == -1 or (w >= 0 and clock.month_of(pq)
                                   == (2000 + yymm // 100, yymm % 100)):
                        cache[yymm] = (pq, w)
        except OSError:  # no file yet
            pass
    scan = scanned = None  # history.answers.scan_month and its MonthPeak, once needed
    new = False
    months = []  # (yymm, (quarter_id, W) or None, source or None)
    for i in range(now - 12, now + 1):
        yymm = i // 12 * 100 + i % 12 + 1
        if yymm in meter:
            months.append((yymm, meter[yymm], "meter"))
        elif yymm == this:
            months.append((yymm, own.pair() if own.month == (y, m) else None, "own"))
        elif yymm in cache:
            c = cache[yymm]
            months.append((yymm, c if c[1] >= 0 else None, "own"))
        elif store is None:
            months.append((yymm, None, None))
        else:
            if scan is None:  # months are read oldest first: offer() starts each afresh
                scan = cold.load("firmware.history.answers").scan_month
                scanned = MonthPeak()
            await scan(store, 2000 + yymm // 100, yymm % 100, scanned, progress=progress)
            if scanned.month != (2000 + yymm // 100, yymm % 100):
                months.append((yymm, None, None))  # no files of that month
                continue
            p = scanned.pair()
            months.append((yymm, p, "own"))
            # finished for good: not last month on this month's first day (its last
            # quarter's file may still come)
            if i < now - 1 or (i == now - 1 and (qid >> 8 & 0xFF) > 1):
                cache[yymm] = p or (0, -1)
                new = True
    if new:  # the file again, with the months of this answer
        try:
            with open(store.root + _CACHE, "w") as f:
                for yymm, p, source in months:
                    if yymm in cache:
                        f.write("20%02d-%02d %d %d\n" % ((yymm // 100, yymm % 100) + cache[yymm]))
        except OSError:
            pass  # read from the files again next time
    return _pieces(months, capacity.minimum_w(tariff), tariff)


def _pieces(months, floor, tariff):
    """The answer's JSON, a month per piece."""
    total = n = 0
    yield '{"months":['
    for i, (yymm, p, source) in enumerate(months):
        billed = capacity.billed_w(p[1] if p else None, floor)
        if i and source is not None:  # the 12 that end with this month, where known
            total += billed
            n += 1
        yield '%s{"month":"20%02d-%02d","peak":%s,"source":%s,"billed_w":%d}' % (
            "," if i else "", yymm // 100, yymm % 100,
            '{"quarter_id":%d,"power":%d}' % p if p else "null",
            '"%s"' % source if source else "null", billed)
    avg = (total + n // 2) // n if n else floor
    year_c = capacity.cost_cents(avg, tariff)
    month_c = capacity.cost_cents(avg, tariff, 1)
    yield ('],"average_w":%d,"average_months":%d,"minimum_w":%d,"eur_per_year":%d.%02d,'
           '"eur_this_month":%d.%02d}' % (avg, n, floor, year_c // 100, year_c % 100,
                                          month_c // 100, month_c % 100))
