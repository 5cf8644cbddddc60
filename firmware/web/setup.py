"""HTTP routes of the device's own settings: the setup page (WiFi, name, address, login)
and the event log. Loaded per request (core.cold); saving is done by
firmware.device.setupsave, loaded for it, with nothing else of the web's in the heap
(the reply helpers and static files are loaded for the other routes only)."""

from firmware.core import cold
from firmware.web.server import error

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
    path = request.path
    if path == "/setup" and request.method == "POST":  # first, with the least in the heap:
        return cold.load("firmware.device.setupsave").save(state, request.json, error)
    reply = cold.load("firmware.web.reply")  # (not for the save: first setup's peak)
    refused = reply.allowed(request, ROUTES)
    if refused:
        return refused
    if path == "/setup":
        return cold.load("firmware.web.static").static(request, "setup.html")
    if path == "/setup/config":
        return reply.json_obj(_config(state))
    if path == "/setup/networks":
        app.progress()  # a scan takes a few seconds on the board
        return {"networks": [{"ssid": s, "rssi": r} for s, r in state.board.wifi_scan()]}
    return reply.json_stream(_events(state))  # /events
