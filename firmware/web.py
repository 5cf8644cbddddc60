"""The HTTP API and the web UI (microdot): live data, HomeWizard v1, /about."""

import asyncio
import gc
import os

from microdot import Response

from firmware import homewizard
from firmware.core.jsonout import JsonOut
from firmware.httpserver import Server

CONTENT_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript", "css": "text/css",
                 "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
                 "ico": "image/x-icon", "txt": "text/plain"}
STALE_MS = 30000
def error(status, des, headers=None):
    """The JSON error body every endpoint uses."""
    return {"status": "error", "des": des}, status, headers or {}


def status_words(state):
    """What the device is doing, in words, for /about."""
    p1 = state.p1
    age = p1.age_ms()
    if p1.error:
        words = "cannot open the P1 port: " + p1.error
    elif age is None:
        words = "waiting for the first telegram"
    elif age > STALE_MS:
        words = "no telegram for %d s: check the cable and that the P1 port is opened" % (age // 1000)
    else:
        words = "running"
    if state.board.sd_path() is None:
        words += "; no SD card: history is not kept"
    return words


def _file_exists(path):
    try:
        return os.stat(path)[0] & 0x8000 != 0
    except OSError:
        return False


def static(request, path):
    """A file from data/, gzipped when there is a .gz and the browser accepts it."""
    if ".." in path or path.startswith("/") or "\\" in path:
        return error(400, "bad path")
    name = "data/" + path
    ext = path.rpartition(".")[2]
    ctype = CONTENT_TYPES.get(ext, "application/octet-stream")
    gz = "gzip" in request.headers.get("Accept-Encoding", "")
    if gz and _file_exists(name + ".gz"):
        return Response.send_file(name, content_type=ctype, compressed=True, file_extension=".gz")
    if _file_exists(name):
        return Response.send_file(name, content_type=ctype)
    return error(404, "no such file: /" + path)


def create(state):
    """Build the microdot app for the services in `state` (see app.State)."""
    app = Server()
    guard = state.guard
    reader = state.p1
    out = JsonOut(1536)  # shared: a handler fills and copies it without yielding

    @app.before_request
    async def login_required(request):
        if state.cfg["homewizard"]["open"] and request.path.startswith("/api") \
                and request.method == "GET":
            return None
        if guard.login is None:
            return error(403, "no login configured: set web.user and web.password "
                              "in config.json on the SD card")
        if guard.check(request.headers.get("Authorization")):
            return None
        await asyncio.sleep_ms(guard.delay_ms())
        return error(401, "login required", {"WWW-Authenticate": 'Basic realm="digimon"'})

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

    @app.get("/")
    async def index(request):
        return static(request, "index.html")

    @app.get("/api")
    async def api(request):
        return homewizard.device(state.serial, state.version)

    @app.get("/api/v1/data")
    async def api_data(request):
        if reader.last_ms is None:
            return "{}"
        return homewizard.data(reader.reading, out, state.wifi_ssid())

    @app.get("/api/v1/telegram")
    async def api_telegram(request):
        if reader.last_ms is None:
            return error(503, "no telegram received yet")
        body = bytes(memoryview(reader.telegram)[:reader.telegram_len])
        return body, 200, {"Content-Type": "text/plain"}

    @app.route("/api/v1/system", methods=["GET", "PUT"])
    async def api_system(request):
        if request.method == "PUT":
            body = request.json
            if not isinstance(body, dict) or not isinstance(body.get("cloud_enabled"), bool):
                return error(400, 'expected {"cloud_enabled": true|false}')
        return {"cloud_enabled": False}  # there is no cloud to enable

    @app.put("/api/v1/identify")
    async def api_identify(request):
        state.identify()
        return {"identify": "ok"}

    @app.get("/about")
    async def about(request):
        r = reader.reading
        have = reader.last_ms is not None
        return {
            "version": state.version,
            "board": state.board.name,
            "uptime_s": state.uptime_s(),
            "status": status_words(state),
            "meter": {
                "id": r.text_of("unique_id") if have and r.has("unique_id") else None,
                "model": homewizard.meter_model(r) if have else None,
                "smr_version": homewizard.smr_version(r) if have else None,
                "crc": r.crc if have else None,
            },
            "p1": reader.counters(),
            "last_telegram_ms_ago": reader.age_ms(),
            "memory": state.board.memory(),
            "sd": {"present": state.board.sd_path() is not None, "error": state.board.sd_error},
            "http": {"refused": app.refused},
            "config_errors": state.config_errors,
        }

    @app.get("/<path:path>")  # last: the routes above come first
    async def files(request, path):
        return static(request, path)

    return app
