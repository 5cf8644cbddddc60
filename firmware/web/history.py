"""HTTP routes of the quarter history and the month peak: the original firmware's
endpoints, plus day and month summaries so the UI never fetches 96 files. The work is
done in firmware.history.answers, loaded per request (core.cold)."""

import json

from microdot import Response

from firmware.core import cold
from firmware.web.server import error, json_stream


def quarter_pieces(q):
    """The quarter being recorded as JSON pieces; {} before its first telegram."""
    if q.qid and q.telegrams:
        yield from q.json_pieces()
    else:
        yield "{}"


def live_pieces(state):
    """/current/live: the last telegram's power, how old it is, the SD card's state
    and the quarter so far (as /current/quarter), in one poll for the live view."""
    p1 = state.p1
    r = p1.reading
    have = p1.last_ms is not None

    def watts(name):
        return r.get(name) if have and r.has(name) else None

    trouble = state.sd_trouble()
    second = state.recorder.second
    yield '{"age_ms":%s,"power_w":%s,"export_w":%s,"second":%s,' % (
        json.dumps(p1.age_ms()), json.dumps(watts("power_import_kw")),
        json.dumps(watts("power_export_kw")), json.dumps(second if second >= 0 else None))
    yield '"p1_error":%s,"sd":%s,"sd_error":%s,"quarter":' % (
        json.dumps(p1.error), json.dumps(state.store is not None),
        json.dumps(trouble))
    yield from quarter_pieces(state.recorder.q)
    yield "}"


def add_routes(app, state):
    def historic():
        return cold.load("firmware.history.answers")

    @app.exact("/current/quarter")
    async def current_quarter(request):
        return json_stream(quarter_pieces(state.recorder.q))

    @app.exact("/current/live")
    async def live(request):
        return json_stream(live_pieces(state))

    @app.exact("/current/month/peak")
    async def month_peak(request):
        return historic().month_peak(state)

    @app.get("/meter/<path:path>")
    async def quarter_file(request, path):
        store = state.store
        if store is None:
            return error(503, "no SD card: history is not kept")
        if not historic().is_quarter_file(path):
            return error(400, "not a quarter file: expected /meter/YYYY/MM/DD/HHMM{S|W}.json")
        try:
            return Response.send_file(store.root + "/" + path, content_type="application/json")
        except OSError:
            return error(404, "no quarter file /meter/" + path)

    @app.get("/historic/<what>")
    async def history(request, what):
        store = state.store
        if store is None:
            return error(503, "no SD card: history is not kept")
        h = historic()
        try:
            if what == "day":
                y, m, d = h.parse_date(request.args.get("date"))
                return json_stream(h.day(store, y, m, d, app.progress))
            if what == "month":
                y = h.int_arg(request.args, "year", 2000, 2099)
                m = h.int_arg(request.args, "month", 1, 12)
                return await h.month(store, state.peaks, y, m, app.progress)
            if what in ("years", "months", "days", "quarters"):
                return h.listing(store, what, request.args)
        except ValueError as e:
            return error(400, str(e))
        return error(404, "not found: " + request.path)
