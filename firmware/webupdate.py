"""HTTP routes of updates: the upload page, app bundles (POST /update, the raw body)
and MicroPython images (POST /update/firmware). Loaded per request (core.cold), as
firmware.ota, which does the installing."""

from firmware.app import RESTART_MS
from firmware.core import cold


async def handle(request, state, app, error, static):
    path = request.path
    if path == "/update/identity":  # as the original firmware's OTA page had
        return {"id": state.serial, "hardware": state.board.name}
    if request.method == "GET":
        return static(request, "update.html")
    job = "install_app" if path == "/update" else "install_firmware"
    status, what = await getattr(cold.load("firmware.ota"), job)(state, request, app.progress)
    if status != 200:
        state.events.add("update", "refused (%d): %s" % (status, what))
        return error(status, what)
    return {"status": "ok", "version": what, "restart_in_ms": RESTART_MS}
