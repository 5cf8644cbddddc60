"""Home Assistant Core, headless, with its MQTT integration on a test's broker: run by
host_tests/test_mqtt_homeassistant.py with the Python of the venv that has Home
Assistant (build/ha). Prints one JSON object: the MQTT entities' states and registry
entries, the devices, and what HA logged as errors.

usage: python ha_run.py CONFIG_DIR BROKER_PORT UNIQUE_ID_PREFIX EXPECTED SECONDS

Only the core and what MQTT needs are set up: the default integrations (frontend and
the rest) are left out, as they need packages a headless test has no use for.
"""

import asyncio
import json
import logging
import sys
import time
from pathlib import Path

from homeassistant import bootstrap
from homeassistant.helpers import device_registry, entity_registry
from homeassistant.runner import RuntimeConfig

CONFIG = """homeassistant:
  name: test
  latitude: 50.85
  longitude: 4.35
  elevation: 0
  unit_system: metric
  time_zone: Europe/Brussels
  currency: EUR
http:
  server_host: 127.0.0.1
  server_port: %d
logger:
  default: warning
"""


class Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.lines = []

    def emit(self, record):
        self.lines.append("%s: %s" % (record.name, record.getMessage()))


async def main(folder, port, prefix, expected, seconds):
    folder = Path(folder)
    (folder / ".storage").mkdir(parents=True, exist_ok=True)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        http_port = s.getsockname()[1]
    (folder / "configuration.yaml").write_text(CONFIG % http_port)
    entry = {"entry_id": "digimontest", "version": 1, "minor_version": 1, "domain": "mqtt",
             "title": "test broker", "data": {"broker": "127.0.0.1", "port": port,
                                              "discovery": True},
             "options": {}, "pref_disable_new_entities": False,
             "pref_disable_polling": False, "source": "user", "unique_id": None,
             "disabled_by": None}
    (folder / ".storage" / "core.config_entries").write_text(json.dumps(
        {"version": 1, "minor_version": 1, "key": "core.config_entries",
         "data": {"entries": [entry]}}))
    bootstrap.DEFAULT_INTEGRATIONS.clear()
    bootstrap.CRITICAL_INTEGRATIONS.clear()  # no frontend: not recovery mode for that
    errors = Errors()
    logging.getLogger().addHandler(errors)
    hass = await bootstrap.async_setup_hass(RuntimeConfig(config_dir=str(folder),
                                                          skip_pip=True))
    await hass.async_start()
    ents = entity_registry.async_get(hass)
    end = time.monotonic() + seconds

    def ours():
        return [e for e in ents.entities.values() if (e.unique_id or "").startswith(prefix)]

    while time.monotonic() < end:
        got = ours()
        if len(got) >= expected and all(hass.states.get(e.entity_id) for e in got):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(7)  # a state message more (every 5 s) for the last entities made
    devs = device_registry.async_get(hass)
    out = {"entities": {}, "devices": [], "errors": errors.lines}
    for e in ours():
        st = hass.states.get(e.entity_id)
        out["entities"][e.unique_id] = {
            "entity_id": e.entity_id, "platform": e.platform,
            "state": st.state if st else None,
            "attributes": dict(st.attributes) if st else None,
            "device_id": e.device_id, "entity_category": str(e.entity_category or "") or None}
    for d in devs.devices.values():
        out["devices"].append({"id": d.id, "name": d.name, "model": d.model,
                               "manufacturer": d.manufacturer, "sw_version": d.sw_version,
                               "serial_number": getattr(d, "serial_number", None),
                               "configuration_url": d.configuration_url,
                               "identifiers": sorted(list(i) for i in d.identifiers)})
    await hass.async_stop()
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
                     float(sys.argv[5])))
