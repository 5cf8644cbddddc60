"""The microdot app: the login on every route, the error answers, CORS for the UI's
development mode, and the route families of the other web/ modules.

Handlers of requests that come now and then load their module per request
(core.cold), so its code is in the heap only while it answers.
"""

import asyncio
import gc

from microdot import Response

from firmware.core import cold
from firmware.core.jsonout import JsonOut
from firmware.web.auth import Guard
from firmware.web.server import Server, error
from firmware.web.static import static


def cors_preflight(request):
    """Headers for a browser's OPTIONS check before a cross-origin request with a
    login (the UI's development mode). No credentials mode: the browser's stored
    login is never sent to this device on another site's behalf."""
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization",
            "Access-Control-Allow-Methods": "GET", "Access-Control-Max-Age": "600"}


MAX_UPLOAD = 4 * 1024 * 1024  # no flash is bigger; firmware.update.ota says when it does not fit
# Route families of rare requests, loaded per request (core.cold): (path, methods, the
# module in web/ whose handle() answers, the largest body it takes (read as a stream)).
PER_REQUEST = (
    ("/setup", ("GET", "POST"), "setup", None),
    ("/setup/config", ("GET",), "setup", None),
    ("/setup/networks", ("GET",), "setup", None),
    ("/events", ("GET",), "setup", None),
    ("/update", ("GET", "POST"), "update", MAX_UPLOAD),
    ("/update/firmware", ("POST",), "update", MAX_UPLOAD),
    ("/update/identity", ("GET",), "update", None),
)

# open in first setup (no config.json yet): the setup page and what it needs
SETUP_OPEN = ("/setup", "/setup/config", "/setup/networks", "/style.css")


def captive_redirect(request, state):
    """In setup mode a phone's connectivity check (any other host name) is sent to the
    setup page, so the phone opens it by itself; None for requests to this device."""
    wifi = state.wifi
    if wifi.mode != "setup":
        return None
    host = request.headers.get("Host")
    name = state.cfg["network"]["device_name"]
    if host is None or host in (wifi.ap, wifi.ap.partition(":")[0], name, name + ".local",
                                wifi.ip):
        return None
    return Response.redirect("http://%s/setup" % wifi.ap)


def create(state):
    """Build the microdot app for the services in `state` (see app.State)."""
    app = Server()
    guard = Guard(state.login)
    out = JsonOut(1536)  # shared: a handler fills and copies it without yielding

    app.options_handler = cors_preflight

    @app.before_request
    async def login_required(request):
        captive = captive_redirect(request, state)
        if captive is not None:
            return captive
        if state.cfg["homewizard"]["open"] and request.path.startswith("/api") \
                and request.method == "GET":
            return None
        if guard.login is None:
            if state.config_text is not None:
                return error(403, "no login configured: set web.user and web.password in "
                                  "config.json on the SD card, or hold BOOT for 20 s to "
                                  "start the setup again")
            if request.path in SETUP_OPEN:  # first setup
                return None
            if request.path == "/":
                return Response.redirect("/setup")
            return error(403, "not set up yet: open /setup")
        if guard.check(request.headers.get("Authorization")):
            request.g.login = True
            return None
        await asyncio.sleep_ms(guard.delay_ms())
        return error(401, "login required", {"WWW-Authenticate": 'Basic realm="digimon"'})

    @app.after_request
    async def cross_origin(request, response):
        # The UI's development mode reads the device from a page on another host and
        # sends the login itself. Another site may read an answer only when the
        # request carried the login (never an open /api), or to learn it was wrong.
        if getattr(request.g, "login", False) or response.status_code == 401:
            response.headers["Access-Control-Allow-Origin"] = "*"

    @app.errorhandler(404)
    async def not_found(request):
        return error(404, "not found: " + request.path)

    @app.errorhandler(405)
    async def not_allowed(request):
        return error(405, "method not allowed: %s %s" % (request.method, request.path))

    @app.errorhandler(413)
    async def too_large(request):
        return error(413, "request too large")

    @app.errorhandler(400)
    async def bad_request(request):
        return error(400, "bad request")

    @app.errorhandler(MemoryError)
    async def out_of_memory(request, exc):
        gc.collect()
        return error(503, "busy: out of memory, try again", {"Retry-After": "1"})

    @app.errorhandler(Exception)
    async def crashed(request, exc):
        state.log("http: %s %s failed: %r" % (request.method, request.path, exc))
        return error(500, "internal error: %s" % exc)

    @app.exact("/")
    async def index(request):
        return static(request, "index.html")

    @app.exact("/about")
    async def about(request):
        return cold.load("firmware.web.about").body(state, app)

    from firmware.web import history, homewizard

    homewizard.add_routes(app, state, out)
    history.add_routes(app, state)
    family = {}

    async def per_request(request):
        return await cold.load("firmware.web." + family[request.path]).handle(request, state, app)

    for path, methods, module, body in PER_REQUEST:
        app.exact(path, methods)(per_request)
        family[path] = module
        if body:
            app.big_bodies[path] = body

    @app.get("/<path:path>")  # last: the routes above come first
    async def files(request, path):
        return static(request, path)

    return app
