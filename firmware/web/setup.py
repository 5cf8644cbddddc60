"""HTTP routes of the device's own settings: the setup page (WiFi, name, address, login)
and the event log. Saving is done by firmware.device.setupsave, loaded per request."""

from firmware.core import cold
from firmware.web.server import error, json_stream
from firmware.web.static import static


def add_routes(app, state):
    board = state.board

    @app.exact("/setup", ("GET", "POST"))
    async def setup(request):
        if request.method == "GET":
            return static(request, "setup.html")
        return cold.load("firmware.device.setupsave").save(state, request.json, error)

    @app.exact("/setup/config")
    async def setup_config(request):
        cfg = state.cfg
        net = cfg["network"]
        return {
            "first_setup": state.config_text is None,
            "ap_mode": state.wifi.mode == "setup",
            "wifi": {"ssid": cfg["wifi"]["ssid"], "password_set": cfg["wifi"]["password"] != ""},
            "network": {k: net[k] for k in ("device_name", "dhcp", "ip", "gateway", "subnet")},
            "web": {"user": cfg["web"]["user"], "password_set": cfg["web"]["password"] != ""},
        }

    @app.exact("/setup/networks")
    async def setup_networks(request):
        app.progress()  # a scan takes a few seconds on the board
        return {"networks": [{"ssid": s, "rssi": r} for s, r in board.wifi_scan()]}

    @app.exact("/events")
    async def events(request):
        def pieces():
            yield '{"events":['
            sep = ""
            for line in state.events.lines():
                yield sep + line
                sep = ","
            yield "]}"

        return json_stream(pieces())
