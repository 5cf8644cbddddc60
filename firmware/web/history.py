"""HTTP routes of the quarter history: the original firmware's /historic/* listings,
plus the month summary so the UI never fetches a month of files (the day's is
web.day's, the quarter files themselves web.meterfile's, the CSV export web.export's,
/historic/peaks web.capacity's). Loaded per request (core.cold), as history.scan and
answers, which read the card."""

from firmware.core import cold
from firmware.web.day import NO_CARD
from firmware.web.reply import allowed, json_obj
from firmware.web.server import error

ROUTES = {"/historic/years": "GET", "/historic/months": "GET",
          "/historic/days": "GET", "/historic/quarters": "GET", "/historic/month": "GET"}


def int_arg(args, name, lo, hi):
    """An int query argument in lo..hi; raises ValueError with a clear message."""
    text = args.get(name)
    if text is None:
        raise ValueError("Need a %s argument" % name)
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise ValueError("%s must be a number from %d to %d" % (name, lo, hi))
    return int(text)


def listing(store, what, args):
    """/historic/years|months|days|quarters as the original firmware, sorted."""
    scan = cold.load("firmware.history.scan")
    if what == "years":
        return {"years": scan.years(store)}
    y = int_arg(args, "year", 2000, 2099)
    if what == "months":
        return {"year": y, "months": scan.months(store, y)}
    m = int_arg(args, "month", 1, 12)
    if what == "days":
        return {"year": y, "month": m, "days": scan.days(store, y, m)}
    d = int_arg(args, "day", 1, 31)
    return {"year": y, "month": m, "day": d, "quarters": scan.quarters(store, y, m, d)}


async def handle(request, state, app):
    refused = allowed(request, ROUTES)
    if refused:
        return refused
    what = request.path[len("/historic/"):]
    store = state.store
    if store is None:
        return error(503, NO_CARD)
    args = request.args
    try:
        if what == "month":
            y = int_arg(args, "year", 2000, 2099)
            m = int_arg(args, "month", 1, 12)
            return json_obj(await cold.load("firmware.history.answers").month(
                store, state.peaks, y, m, app.progress))
        return json_obj(listing(store, what, args))
    except ValueError as e:
        return error(400, str(e))
