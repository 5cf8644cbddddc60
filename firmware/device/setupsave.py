"""POST /setup: check the setup page's fields, merge them into config.json, save it on
the SD card and in flash (firmware.device.configfile), and restart. Loaded per request."""

import json

from firmware.core import cold
from firmware.device import RESTART_MS


def save(state, form, error):
    """One module at a time is in the heap (this runs in setup mode, with a browser's
    requests around it): the config's code to check and merge, config.json's to save."""
    text = cold.load("firmware.device.configfile").load(state.board, state.log)[0]
    config = cold.load("firmware.core.config")
    changes, errors = config.setup_form(form)
    if errors:
        body, status, headers = error(400, "not saved: " + "; ".join(errors))
        body["errors"] = errors
        return body, status, headers
    # keeps the file's other sections and keys (load() checked that it parses)
    obj = config.merge(None if text is None else json.loads(text), changes)
    text = config.pretty(obj)
    name = config.validate(obj)[0]["network"]["device_name"]
    config = obj = changes = None
    try:
        where = cold.load("firmware.device.configfile").save_everywhere(state.board, text)
    except OSError as e:
        return error(507, "config.json could not be saved: %s" % e)
    state.events.add("config", "saved from the setup page (%s)" % " and ".join(where))
    state.restart("new settings")
    return {"status": "ok", "des": "saved on the %s; restarting" % " and ".join(where),
            "url": "http://%s.local/" % name, "restart_in_s": RESTART_MS // 1000}
