"""The login's rarer answers (web.routes checks a good login itself): setup mode with
its captive-portal redirect, first setup, no login configured, the HomeWizard API
closed, and a wrong login, answered after a delay. Loaded for them (core.cold)."""

import asyncio

from microdot import Response

from firmware.web.server import error

# open in first setup (no config.json yet): the setup page, what it needs, and /about
# (which says why the device is not set up)
_SETUP_OPEN = ("/setup", "/setup/config", "/setup/networks", "/style.css", "/about")


def captive_redirect(request, state):
    """In setup mode a phone's connectivity check (any other host name) is sent to the
    setup page, so the phone opens it by itself; None for requests to this device."""
    wifi = state.wifi
    host = request.headers.get("Host")
    name = state.cfg["network"]["device_name"]
    if host is None or host in (wifi.ap, wifi.ap.partition(":")[0], name, name + ".local",
                                wifi.ip):
        return None
    return Response.redirect("http://%s/setup" % wifi.ap)


async def refuse(request, state, guard):
    """A request whose login was checked and is missing or wrong."""
    if request.path.startswith("/api") and "Authorization" not in request.headers:
        # as a HomeWizard meter with its local API off: Home Assistant says so
        return error(403, 'the HomeWizard API is off: set "homewizard": {"open": true} in '
                          'config.json, or send the login')
    await asyncio.sleep_ms(guard.delay_ms())
    return error(401, "login required", {"WWW-Authenticate": 'Basic realm="digimon"'})


async def setup(request, state, guard):
    """Setup mode (the access point is open) or no login configured."""
    if state.wifi.mode == "setup":
        captive = captive_redirect(request, state)
        if captive is not None:
            return captive
    if guard.login is None:
        if state.config_sum is not None:
            return error(403, "no login configured: set web.user and web.password in "
                              "config.json on the SD card, or hold BOOT for 20 s to "
                              "start the setup again")
        if request.path in _SETUP_OPEN:  # first setup
            return None
        if request.path == "/":
            return Response.redirect("/setup")
        return error(403, "not set up yet: open /setup")
    if guard.check(request.headers.get("Authorization")):  # setup mode with a config
        request.g.login = True
        return None
    return await refuse(request, state, guard)
