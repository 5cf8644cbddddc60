"""GET /historic/day?date=YYYY-MM-DD: the day's quarter averages, its peak and energy,
streamed from the card, so the UI never fetches 96 files; and the date arguments the
other history routes share. The UI's Day view polls it: it is a module of its own, so
the listings and the month (web.history) are not in the heap while a day goes out.
Loaded per request (core.cold), as history.scan, which reads the card."""

from firmware.core import clock, cold
from firmware.web.reply import allowed, json_stream
from firmware.web.server import error

NO_CARD = "no SD card: history is not kept"


def _day(parts):
    """['YYYY', 'MM', 'DD'] -> (y, m, d), or None when it is not a day."""
    if [len(p) for p in parts] != [4, 2, 2] or not "".join(parts).isdigit():
        return None
    y, m, d = int(parts[0]), int(parts[1]), int(parts[2])
    return (y, m, d) if 2000 <= y <= 2099 and 1 <= m <= 12 and 1 <= d <= 31 else None


def parse_date(text, name="date"):
    """'YYYY-MM-DD' -> (y, m, d), a day that exists; raises ValueError."""
    day = _day((text or "").split("-"))
    if day is None:
        raise ValueError("%s must be YYYY-MM-DD" % name)
    y, m, d = day
    if d > clock._days_from_civil(y + m // 12, m % 12 + 1, 1) - clock._days_from_civil(y, m, 1):
        raise ValueError("%s: there is no %s" % (name, text))
    return day


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
    scan = cold.load("firmware.history.scan")
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


async def handle(request, state, app):
    refused = allowed(request, {"/historic/day": "GET"})
    if refused:
        return refused
    if state.store is None:
        return error(503, NO_CARD)
    try:
        y, m, d = parse_date(request.args.get("date"))
    except ValueError as e:
        return error(400, str(e))
    return json_stream(day(state.store, y, m, d, app.progress))
