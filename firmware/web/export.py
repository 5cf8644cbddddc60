"""GET /historic/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD: the quarter files of those
days as CSV, streamed from the card (history.export). Loaded per request (core.cold)."""

from microdot import Response

from micropython import const

from firmware.core import clock, cold
from firmware.web.day import NO_CARD, parse_date
from firmware.web.reply import allowed, chunks
from firmware.web.server import error

_DAYS = const(366)  # the most days one CSV export takes


async def handle(request, state, app):
    refused = allowed(request, {"/historic/export.csv": "GET"})
    if refused:
        return refused
    store = state.store
    if store is None:
        return error(503, NO_CARD)
    try:
        return export(store, request, state, app)
    except ValueError as e:
        return error(400, str(e))


def export(store, request, state, app):
    """/historic/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD: the quarter files of those
    days (both included, at most _DAYS) as CSV, streamed (history.export)."""
    start = parse_date(request.args.get("from"), "from")
    end = parse_date(request.args.get("to"), "to")
    days = clock._days_from_civil(*end) - clock._days_from_civil(*start) + 1
    if days < 1:
        raise ValueError("from must not be after to")
    if days > _DAYS:
        raise ValueError("at most %d days in one export: %s to %s is %d days"
                         % (_DAYS, request.args["from"], request.args["to"], days))
    qid = state.recorder.q.qid
    body = cold.load("firmware.history.export").lines(
        store, start, end, clock.minutes(qid) if qid else 0x3FFFFFFF, app.progress)
    name = "digimon-%s-%s.csv" % (request.args["from"], request.args["to"])
    return Response(chunks(body), headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="%s"' % name})
