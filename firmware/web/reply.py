"""What the route families (web/*, loaded per request) answer with: the check that a
family takes a path and method, and JSON made in pieces, never one big string. (The
heap is fragmented: it has KBs free, but not in one piece; microdot would make a dict
into one string and then into one bytes copy of it.)"""

import json

from microdot import Response
from micropython import const

from firmware.web.server import error

_CHUNK = const(256)  # a streamed JSON answer goes out in pieces of about this size
_SMALL = const(128)  # an answer made at once: smaller pieces, as the heap has them


def allowed(request, routes):
    """None when `routes` ({path: "GET POST"}) take the request, else its 404 or 405."""
    methods = routes.get(request.path)
    if methods is None:
        return error(404, "not found: " + request.path)
    if ("GET" if request.method == "HEAD" else request.method) not in methods.split():
        return error(405, "method not allowed: %s %s" % (request.method, request.path))
    return None


def chunks(pieces, size=_CHUNK):
    """Join a generator of small strings into pieces of about `size` bytes."""
    part = []
    n = 0
    for p in pieces:
        part.append(p)
        n += len(p)
        if n >= size:
            yield "".join(part)
            part = []
            n = 0
    if part:
        yield "".join(part)


def pieces_of(obj):
    """The JSON text of obj (dicts, lists, tuples and plain values) in small pieces."""
    if isinstance(obj, dict):
        sep = "{"
        for k, v in obj.items():
            yield '%s%s:' % (sep, json.dumps(k))
            yield from pieces_of(v)
            sep = ","
        yield "{}" if sep == "{" else "}"
    elif isinstance(obj, (list, tuple)):
        sep = "["
        for v in obj:
            yield sep
            yield from pieces_of(v)
            sep = ","
        yield "[]" if sep == "[" else "]"
    else:
        yield json.dumps(obj)


def json_obj(obj):
    """A JSON answer of obj in pieces (what microdot does to a dict, without the one
    big string)."""
    return json_now(pieces_of(obj))


def json_stream(pieces):
    """A JSON answer sent in chunks as `pieces` are made (what is read from the card)."""
    return Response(chunks(pieces), headers={"Content-Type": "application/json"})


def json_now(pieces):
    """A JSON answer of live values: its chunks made at once, before anything is sent
    (a telegram that comes while it goes out would change them), no one big string."""
    return Response(iter(list(chunks(pieces, _SMALL))),
                    headers={"Content-Type": "application/json"})
