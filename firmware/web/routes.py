"""The microdot app: the login on every route, the error answers, CORS for the UI's
development mode, and the route families of the other web/ modules.

Each family's module is loaded per request (core.cold), so its code is in the heap only
while it answers: the resident part of the web side is this file, the server and the
login check.
"""

import gc

from micropython import const

from firmware.core import cold
from firmware.web.auth import Guard
from firmware.web.server import Server, error


def cors_preflight(request):
    """Headers for a browser's OPTIONS check before a cross-origin request with a
    login (the UI's development mode). No credentials mode: the browser's stored
    login is never sent to this device on another site's behalf."""
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization",
            "Access-Control-Allow-Methods": "GET", "Access-Control-Max-Age": "600"}


_MAX_UPLOAD = const(4 * 1024 * 1024)  # no flash is bigger; update.ota says when it does not fit
# The route families: (path prefix, the module whose handle(request, state, app)
# answers, and says 404 or 405 to what it does not take). The first match counts.
_FAMILIES = const((
    ("/api", "firmware.web.homewizard"),
    ("/current/month/peak", "firmware.web.peak"),
    ("/current/", "firmware.web.live"),
    ("/about", "firmware.web.about"),
    ("/setup", "firmware.web.setup"),
    ("/events", "firmware.web.setup"),
    ("/update", "firmware.web.update"),
    ("/historic/peaks", "firmware.web.capacity"),
    ("/historic/export.csv", "firmware.web.export"),
    ("/historic/days", "firmware.web.history"),  # (before /historic/day, its prefix)
    ("/historic/day", "firmware.web.day"),
    ("/historic/", "firmware.web.history"),
    ("/meter/", "firmware.web.meterfile"),
    ("/sensor/", "firmware.web.flukso"),
))

# writes a HomeWizard meter with its local API on takes without a login
_OPEN_WRITES = const(("/api/v1/identify", "/api/v1/system"))

def create(state):
    """Build the microdot app for the services in `state` (see app.State)."""
    app = Server()
    guard = Guard(state.login)

    app.options_handler = cors_preflight

    async def login_required(request):
        # The usual cases here; the rest (setup mode, first setup, no login configured,
        # the HomeWizard API closed, a wrong login) in web.gate, loaded for them.
        if request.path.startswith("/api") and state.cfg["homewizard"]["open"] \
                and (request.method == "GET" or request.path in _OPEN_WRITES):
            return None  # as a HomeWizard meter with its local API on: no login
        if state.wifi.mode != "setup" and guard.login is not None:
            if guard.check(request.headers.get("Authorization")):
                request.g.login = True
                return None
            return await cold.load("firmware.web.gate").refuse(request, state, guard)
        return await cold.load("firmware.web.gate").setup(request, state, guard)

    async def cross_origin(request, response):
        # The UI's development mode reads the device from a page on another host and
        # sends the login itself. Another site may read an answer only when the
        # request carried the login (never an open /api), or to learn it was wrong.
        if getattr(request.g, "login", False) or response.status_code == 401:
            response.headers["Access-Control-Allow-Origin"] = "*"
        state.note_heap(request.path)  # the answer made: the heap at its fullest for it

    async def out_of_memory(request, exc):
        app.memory_errors += 1
        gc.collect()
        return error(503, "busy: out of memory, try again", {"Retry-After": "1"})

    async def crashed(request, exc):
        state.log("http: %s %s failed: %r" % (request.method, request.path, exc))
        return error(500, "internal error: %s" % exc)

    async def family(request):
        return await cold.load(request.g.family).handle(request, state, app)

    async def files(request):  # the web UI: "/" is its index.html
        path = request.path[1:] or "index.html"
        return cold.load("firmware.web.static").static(request, path)

    app.before_request_handlers.append(login_required)
    app.after_request_handlers.append(cross_origin)
    app.error_handlers[MemoryError] = out_of_memory
    app.error_handlers[Exception] = crashed
    app.families = _FAMILIES
    app.family = family
    app.fallback = files
    for path in ("/update", "/update/firmware"):
        app.big_bodies[path] = _MAX_UPLOAD
    return app
