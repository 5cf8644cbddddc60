"""HTTP routes of updates: the upload page, app bundles (POST /update, the raw body)
and MicroPython images (POST /update/firmware). firmware.ota does the installing,
loaded per request."""

from firmware.app import RESTART_MS
from firmware.core import cold

MAX_UPLOAD = 4 * 1024 * 1024  # no flash is bigger; ota says when it does not fit


def add_routes(app, state, error, static):
    for path in ("/update", "/update/firmware"):
        app.big_bodies[path] = MAX_UPLOAD

    async def answer(job, request):
        status, what = await getattr(cold.load("firmware.ota"), job)(
            state, request, app.progress)
        if status != 200:
            state.events.add("update", "refused (%d): %s" % (status, what))
            return error(status, what)
        return {"status": "ok", "version": what, "restart_in_ms": RESTART_MS}

    @app.exact("/update", ("GET", "POST"))
    async def update(request):
        if request.method == "GET":
            return static(request, "update.html")
        return await answer("install_app", request)

    @app.exact("/update/firmware", ("POST",))
    async def update_firmware(request):
        return await answer("install_firmware", request)

    @app.exact("/update/identity")  # as the original firmware's OTA page had
    async def update_identity(request):
        return {"id": state.serial, "hardware": state.board.name}
