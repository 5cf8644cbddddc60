"""HTTP routes of the HomeWizard P1 v1 API (/api, /api/v1/*), for Home Assistant's
homewizard integration. The bodies come from core.homewizard, loaded per request."""

from firmware.core import cold
from firmware.web.server import error


def add_routes(app, state, out):
    reader = state.p1

    @app.exact("/api")
    async def api(request):
        return cold.load("firmware.core.homewizard").device(state.serial, state.version)

    @app.exact("/api/v1/data")
    async def api_data(request):
        if reader.last_ms is None:
            return "{}"
        hw = cold.load("firmware.core.homewizard")  # a few ms per poll, 7 KB less heap
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
