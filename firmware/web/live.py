"""HTTP routes of the live values the web UI polls: /current/live and
/current/quarter, the quarter being recorded in the quarter file's format. Loaded per
request (core.cold)."""

import json

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


async def handle(request, state, app):
    refused = allowed(request, ROUTES)
    if refused:
        return refused
    if request.path == "/current/quarter":
        return json_now(quarter_pieces(state.recorder.q))
    return json_now(live_pieces(state))
