"""HTTP routes of the HomeWizard P1 v1 API (/api, /api/v1/*), for Home Assistant's
homewizard integration. Loaded per request (core.cold); the bodies come from
core.homewizard."""

import asyncio

from micropython import const

from firmware.core import cold
from firmware.web.reply import allowed, json_now
from firmware.web.server import error

_WAIT_TRIES = const(75)  # 1.5 s in steps of 20 ms: a telegram takes 0.1 to 0.5 s to come in
ROUTES = {"/api": "GET", "/api/v1/data": "GET", "/api/v1/telegram": "GET",
          "/api/v1/system": "GET PUT", "/api/v1/identify": "PUT"}


async def handle(request, state, app):
    refused = allowed(request, ROUTES)
    if refused:
        return refused
    reader = state.p1
    path = request.path
    if path == "/api":
        return cold.load("firmware.core.homewizard").device(state.serial, state.version)
    if path == "/api/v1/data":
        if reader.last_ms is None:
            return "{}"
        hw = cold.load("firmware.core.homewizard")
        return json_now(hw.pieces(reader.reading, state.wifi_ssid()))
    if path == "/api/v1/telegram":
        if reader.last_ms is None:
            return error(503, "no telegram received yet")
        f = reader.framer
        for _ in range(_WAIT_TRIES):  # while the next telegram comes in, wait for it
            if f.held:
                return bytes(memoryview(f.buf)[:f.held]), 200, {"Content-Type": "text/plain"}
            await asyncio.sleep_ms(20)
        return error(503, "no whole telegram just now (the last one was damaged): try again")
    if path == "/api/v1/system":
        if request.method == "PUT":
            body = request.json
            if not isinstance(body, dict) or not isinstance(body.get("cloud_enabled"), bool):
                return error(400, 'expected {"cloud_enabled": true|false}')
            if body["cloud_enabled"]:
                return error(400, "there is no cloud to enable: digimon keeps your data local")
        return {"cloud_enabled": False}
    state.identify()  # /api/v1/identify
    return {"identify": "ok"}
