"""POST /setup: check the setup page's fields, merge them into config.json, save it on
the SD card and in flash (firmware.device.configfile), and restart. Loaded per request."""

import json

from firmware.core import cold
from firmware.device import RESTART_MS


def save(state, form, error):
    config = cold.load("firmware.core.config")
    changes, errors = config.setup_form(form)
    if errors:
        body, status, headers = error(400, "not saved: " + "; ".join(errors))
        body["errors"] = errors
        return body, status, headers
    obj = None
    if state.config_text is not None:
        try:
            obj = json.loads(state.config_text)  # keeps its other sections and keys
        except ValueError:
            pass  # a broken file: kept as config.bak by the save
    obj = config.merge(obj, changes)
    text = config.pretty(obj)
    try:
        where = cold.load("firmware.device.configfile").save_everywhere(state.board, text)
    except OSError as e:
        return error(507, "config.json could not be saved: %s" % e)
    state.events.add("config", "saved from the setup page (%s)" % " and ".join(where))
    state.restart("new settings")
    name = config.validate(obj)[0]["network"]["device_name"]
    return {"status": "ok", "des": "saved on the %s; restarting" % " and ".join(where),
            "url": "http://%s.local/" % name, "restart_in_s": RESTART_MS // 1000}
