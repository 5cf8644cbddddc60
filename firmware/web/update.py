"""HTTP routes of updates: the upload page, app bundles (POST /update, the raw body)
and MicroPython images (POST /update/firmware). Loaded per request (core.cold), as
firmware.update.ota, which does the installing."""

from firmware.core import cold
from firmware.device import RESTART_MS
from firmware.web.reply import allowed
from firmware.web.server import error
from firmware.web.static import static

ROUTES = {"/update": "GET POST", "/update/firmware": "POST", "/update/identity": "GET"}


async def handle(request, state, app):
    refused = allowed(request, ROUTES)
    if refused:
        return refused
    path = request.path
    if path == "/update/identity":  # as the original firmware's OTA page had
        return {"id": state.serial, "hardware": state.board.name}
    if request.method == "GET":
        return static(request, "update.html")
    job = "install_app" if path == "/update" else "install_firmware"
    status, what = await getattr(cold.load("firmware.update.ota"), job)(state, request, app.progress)
    if status != 200:
        state.events.add("update", "refused (%d): %s" % (status, what))
        return error(status, what)
    return {"status": "ok", "version": what, "restart_in_ms": RESTART_MS}
