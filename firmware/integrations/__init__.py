"""Other systems: MQTT to a broker with Home Assistant discovery (mqtt: the session
and its task, resident while MQTT is on; mqttlink, mqttconnect and discovery loaded
per use) and the Fluksometer's local API (flukso: its minute of points, kept once the
API has been asked; web.flukso answers)."""
