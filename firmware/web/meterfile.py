"""GET /meter/YYYY/MM/DD/HHMM{S|W}.json: a quarter file as stored, as the original
firmware served them. Loaded per request (core.cold)."""

from microdot import Response

from firmware.core import clock
from firmware.web.day import NO_CARD, _day
from firmware.web.server import error


def is_quarter_file(path):
    """True for 'YYYY/MM/DD/HHMM{S|W}.json' and nothing else (no '..', no other
    names: only quarter files are served from the card)."""
    parts = path.split("/")
    day = _day(parts[:3]) if len(parts) == 4 else None
    return day is not None and clock.parse_file_name(
        (day[0] - 2000) * 10000 + day[1] * 100 + day[2], parts[3]) is not None


async def handle(request, state, app):
    """GET /meter/YYYY/MM/DD/HHMM{S|W}.json: a quarter file as stored."""
    if request.method not in ("GET", "HEAD"):
        return error(405, "method not allowed: %s %s" % (request.method, request.path))
    store = state.store
    if store is None:
        return error(503, NO_CARD)
    path = request.path[len("/meter/"):]
    if not is_quarter_file(path):
        return error(400, "not a quarter file: expected /meter/YYYY/MM/DD/HHMM{S|W}.json")
    try:
        return Response.send_file(store.root + "/" + path, content_type="application/json")
    except OSError:
        return error(404, "no quarter file /meter/" + path)
