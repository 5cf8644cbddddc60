"""What the route families (web/*, loaded per request) answer with: the check that a
family takes a path and method, and JSON made in pieces, never one big string."""

from microdot import Response
from micropython import const

from firmware.web.server import error

_CHUNK = const(512)  # a JSON answer goes out in pieces of about this size


def allowed(request, routes):
    """None when `routes` ({path: "GET POST"}) take the request, else its 404 or 405."""
    methods = routes.get(request.path)
    if methods is None:
        return error(404, "not found: " + request.path)
    if ("GET" if request.method == "HEAD" else request.method) not in methods.split():
        return error(405, "method not allowed: %s %s" % (request.method, request.path))
    return None


def chunks(pieces):
    """Join a generator of small strings into pieces of about _CHUNK bytes."""
    part = []
    n = 0
    for p in pieces:
        part.append(p)
        n += len(p)
        if n >= _CHUNK:
            yield "".join(part)
            part = []
            n = 0
    if part:
        yield "".join(part)


def json_stream(pieces):
    """A JSON answer sent in chunks as `pieces` are made (what is read from the card)."""
    return Response(chunks(pieces), headers={"Content-Type": "application/json"})


def json_now(pieces):
    """A JSON answer of live values: its chunks made at once, before anything is sent
    (a telegram that comes while it goes out would change them), no one big string."""
    return Response(iter(list(chunks(pieces))), headers={"Content-Type": "application/json"})
