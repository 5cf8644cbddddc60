"""HTTP routes of the device's own settings: the setup page (WiFi, name, address, login)
and the event log. Loaded per request (core.cold); saving is done by
firmware.device.setupsave, loaded for it."""

from firmware.core import cold
from firmware.web.reply import allowed, json_obj, json_stream
from firmware.web.server import error
from firmware.web.static import static

ROUTES = {"/setup": "GET POST", "/setup/config": "GET", "/setup/networks": "GET", "/events": "GET"}


def _config(state):
    cfg = state.cfg
    net = cfg["network"]
    return {
        "first_setup": state.config_sum is None,
        "ap_mode": state.wifi.mode == "setup",
        "wifi": {"ssid": cfg["wifi"]["ssid"], "password_set": cfg["wifi"]["password"] != ""},
        "network": {k: net[k] for k in ("device_name", "dhcp", "ip", "gateway", "subnet")},
        "web": {"user": cfg["web"]["user"], "password_set": cfg["web"]["password"] != ""},
        "config_errors": state.config_errors,
    }


def _events(state):
    yield '{"events":['
    sep = ""
    for line in state.events.lines():
        yield sep + line
        sep = ","
    yield "]}"


async def handle(request, state, app):
    refused = allowed(request, ROUTES)
    if refused:
        return refused
    path = request.path
    if path == "/setup":
        if request.method == "GET":
            return static(request, "setup.html")
        return cold.load("firmware.device.setupsave").save(state, request.json, error)
    if path == "/setup/config":
        return json_obj(_config(state))
    if path == "/setup/networks":
        app.progress()  # a scan takes a few seconds on the board
        return {"networks": [{"ssid": s, "rssi": r} for s, r in state.board.wifi_scan()]}
    return json_stream(_events(state))  # /events
