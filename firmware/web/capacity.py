"""HTTP route of the capacity tariff over the year: /historic/peaks, the last 13 months'
peaks, what each is billed, the 12-month average and its cost (history.months). A
family of its own, so that while it reads months of quarter files the heap holds only
what it needs. Loaded per request (core.cold)."""

from firmware.core import cold
from firmware.web.reply import allowed, json_stream
from firmware.web.server import error

ROUTES = {"/historic/peaks": "GET"}


async def handle(request, state, app):
    """Also without an SD card: the meter has the months it has."""
    refused = allowed(request, ROUTES)
    if refused:
        return refused
    qid = state.recorder.q.qid
    if not qid:
        return error(503, "no telegram with the meter's time yet: the month is not known")
    p1 = state.p1
    return json_stream(await cold.load("firmware.history.months").year(
        state.store, p1.reading if p1.last_ms is not None else None, state.peaks.month, qid,
        state.cfg["tariff"], app.progress))
