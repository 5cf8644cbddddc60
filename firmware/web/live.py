"""HTTP routes of the live values the web UI polls: /current/live and
/current/quarter, the quarter being recorded in the quarter file's format. Loaded per
request (core.cold)."""

import json

from firmware.core import cold
from firmware.web.reply import allowed, json_now

ROUTES = {"/current/live": "GET", "/current/quarter": "GET"}


def quarter_pieces(q):
    """The quarter being recorded as JSON pieces; {} before its first telegram."""
    if q.qid and q.telegrams:
        yield from q.json_pieces()
    else:
        yield "{}"


def live_pieces(state):
    """/current/live: the last telegram's power, how old it is, the SD card's state
    and the quarter so far (as /current/quarter), in one poll for the live view; with
    the capacity tariff's figures (core.capacity): the projected quarter average, the
    month peak it is held to (at least the billed minimum) and the headroom, the
    average power the rest of the quarter may use without a new peak, until when."""
    p1 = state.p1
    r = p1.reading
    have = p1.last_ms is not None

    def watts(name):
        return r.get(name) if have and r.has(name) else None

    trouble = state.sd_trouble()
    rec = state.recorder
    second = rec.second if not rec.next_qid else -1  # -1: a quarter is still being closed
    power = watts("power_import_kw")
    yield '{"age_ms":%s,"power_w":%s,"export_w":%s,"second":%s,' % (
        json.dumps(p1.age_ms()), json.dumps(power),
        json.dumps(watts("power_export_kw")), json.dumps(second if second >= 0 else None))
    cap = cold.load("firmware.core.capacity")
    q = rec.q
    limit = cap.billed_w(cap.month_peak_w(r if have else None, state.peaks.month, q.qid),
                         cap.minimum_w(state.cfg["tariff"]))
    yield '"projected_w":%s,"limit_w":%d,"headroom_w":%s,"headroom_until":%s,' % (
        json.dumps(q.projected_w(second, power)), limit,
        json.dumps(cap.headroom_w(q, second, limit)),
        json.dumps(cap.quarter_end(q.qid) if q.qid else None))
    yield '"p1_error":%s,"sd":%s,"sd_error":%s,"quarter":' % (
        json.dumps(p1.error), json.dumps(state.store is not None),
        json.dumps(trouble))
    yield from quarter_pieces(state.recorder.q)
    yield "}"


async def handle(request, state, app):
    refused = allowed(request, ROUTES)
    if refused:
        return refused
    if request.path == "/current/quarter":
        return json_now(quarter_pieces(state.recorder.q))
    return json_now(live_pieces(state))
