"""The HTTP API and the web UI (microdot): live data, HomeWizard v1, /about.

Handlers of requests that come now and then load their module per request
(core.cold), so its code is in the heap only while it answers.
"""

import asyncio
import gc
import os

from microdot import Response

from firmware.core import cold
from firmware.core.jsonout import JsonOut
from firmware.httpserver import Server

CONTENT_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript", "css": "text/css",
                 "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
                 "ico": "image/x-icon", "txt": "text/plain"}


def error(status, des, headers=None):
    """The JSON error body every endpoint uses."""
    return {"status": "error", "des": des}, status, headers or {}


def _file_exists(path):
    try:
        return os.stat(path)[0] & 0x8000 != 0
    except OSError:
        return False


def static(request, path):
    """A file from data/. The build stores text files gzipped only (flash is small),
    so they go out gzipped; a client that takes no gzip gets them only from a source
    tree that still has the plain file."""
    if ".." in path or path.startswith("/") or "\\" in path:
        return error(400, "bad path")
    name = "data/" + path
    ext = path.rpartition(".")[2]
    ctype = CONTENT_TYPES.get(ext, "application/octet-stream")
    gz = _file_exists(name + ".gz")
    if gz and "gzip" in request.headers.get("Accept-Encoding", ""):
        return Response.send_file(name, content_type=ctype, compressed=True, file_extension=".gz")
    if _file_exists(name):
        return Response.send_file(name, content_type=ctype)
    if gz:
        return error(406, "/%s is stored gzipped: ask with Accept-Encoding: gzip" % path)
    return error(404, "no such file: /" + path)


def cors_preflight(request):
    """Headers for a browser's OPTIONS check before a cross-origin request with a
    login (the UI's development mode). No credentials mode: the browser's stored
    login is never sent to this device on another site's behalf."""
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization",
            "Access-Control-Allow-Methods": "GET", "Access-Control-Max-Age": "600"}


UPDATE_ROUTES = (("/update", ("GET", "POST")), ("/update/firmware", ("POST",)),
                 ("/update/identity", ("GET",)))  # firmware.webupdate, loaded per request
MAX_UPLOAD = 4 * 1024 * 1024  # no flash is bigger; firmware.ota says when it does not fit

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
    guard = state.guard
    reader = state.p1
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

    @app.exact("/api")
    async def api(request):
        return cold.load("firmware.homewizard").device(state.serial, state.version)

    @app.exact("/api/v1/data")
    async def api_data(request):
        if reader.last_ms is None:
            return "{}"
        hw = cold.load("firmware.homewizard")  # a few ms per poll, 7 KB less heap
        return hw.data(reader.reading, out, state.wifi_ssid())

    @app.exact("/api/v1/telegram")
    async def api_telegram(request):
        if reader.last_ms is None:
            return error(503, "no telegram received yet")
        body = bytes(memoryview(reader.telegram)[:reader.telegram_len])
        return body, 200, {"Content-Type": "text/plain"}

    @app.exact("/api/v1/system", ("GET", "PUT"))
    async def api_system(request):
        if request.method == "PUT":
            body = request.json
            if not isinstance(body, dict) or not isinstance(body.get("cloud_enabled"), bool):
                return error(400, 'expected {"cloud_enabled": true|false}')
        return {"cloud_enabled": False}  # there is no cloud to enable

    @app.exact("/api/v1/identify", ("PUT",))
    async def api_identify(request):
        state.identify()
        return {"identify": "ok"}

    @app.exact("/about")
    async def about(request):
        return cold.load("firmware.about").body(state, app)

    from firmware import webhistory

    webhistory.add_routes(app, state, error)
    from firmware import websetup

    websetup.add_routes(app, state, error, static, webhistory.json_stream)

    async def update(request):
        return await cold.load("firmware.webupdate").handle(request, state, app, error, static)

    for path, methods in UPDATE_ROUTES:
        app.exact(path, methods)(update)
        app.big_bodies[path] = MAX_UPLOAD

    @app.get("/<path:path>")  # last: the routes above come first
    async def files(request, path):
        return static(request, path)

    return app
