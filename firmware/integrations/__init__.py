"""Other systems: MQTT to a broker with Home Assistant discovery (mqtt resident,
mqttlink and discovery loaded per use), and the Fluksometer's minute of points for its
local API (flukso)."""
