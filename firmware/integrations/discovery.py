"""Home Assistant MQTT discovery: one device, and a sensor for each value of the state
message that the meter sends, each with its device class, state class and unit (the
energy registers total_increasing kWh, for the Energy dashboard; gas m³). Published
retained under <discovery_prefix>/sensor/digimon_<serial>/<key>/config when the
connection is made and when Home Assistant says it is online. Loaded per use
(core.cold) for a tick of its own by integrations.mqtt.
"""

import asyncio

from micropython import const

from firmware.core import cold
from firmware.integrations.mqtt import send, text

# What each kind of value is to Home Assistant (abbreviated discovery keys)
_KINDS = const((
    "",
    ',"dev_cla":"energy","unit_of_meas":"kWh","stat_cla":"total_increasing"',
    ',"dev_cla":"power","unit_of_meas":"W","stat_cla":"measurement"',
    ',"dev_cla":"voltage","unit_of_meas":"V","stat_cla":"measurement"',
    ',"dev_cla":"current","unit_of_meas":"A","stat_cla":"measurement"',
    ',"dev_cla":"frequency","unit_of_meas":"Hz","stat_cla":"measurement"',
    ',"dev_cla":"gas","unit_of_meas":"m\\u00b3","stat_cla":"total_increasing"',
    ',"ent_cat":"diagnostic"',
    ',"stat_cla":"total_increasing","ent_cat":"diagnostic"',
))
# key of the state message, kind (the index in _KINDS), name; a row with a count n
# after the name stands for n rows, '#' in it numbered 1..n. One string (rows end with
# ';'), read a row at a time: it takes less heap than a tuple of them.
_SENSORS = const(
    "active_tariff 0 Tariff;"
    "total_power_import_kwh 1 Energy import;"
    "total_power_import_t#_kwh 1 Energy import tariff # 4;"
    "total_power_export_kwh 1 Energy export;"
    "total_power_export_t#_kwh 1 Energy export tariff # 4;"
    "active_power_w 2 Power;"
    "active_power_l#_w 2 Power L# 3;"
    "active_voltage_l#_v 3 Voltage L# 3;"
    "active_current_l#_a 4 Current L# 3;"
    "active_frequency_hz 5 Frequency;"
    "voltage_sag_l#_count 8 Voltage sags L# 3;"
    "voltage_swell_l#_count 8 Voltage swells L# 3;"
    "any_power_fail_count 8 Power failures;"
    "long_power_fail_count 8 Long power failures;"
    "active_power_average_w 2 Quarter average (meter);"
    "montly_power_peak_w 2 Month peak (meter);"
    "total_gas_m3 6 Gas;"
    "quarter_average_w 2 Quarter average;"
    "quarter_projected_w 2 Quarter projected;"
    "month_peak_w 2 Month peak;"
    "unique_id 7 Meter id;"
    "smr_version 7 DSMR version;"
    "meter_model 7 Meter model;"
    "gas_unique_id 7 Gas meter id;"
    "wifi_ssid 7 WiFi network;")
_OURS = const(("quarter_average_w", "quarter_projected_w", "month_peak_w"))
_WORK_MS = const(5000)  # to send them all


async def run(m, state):
    """The tick: every sensor's config, then the next tick at the interval."""
    try:
        await asyncio.wait_for_ms(configs(m, state, m.keys), _WORK_MS)
    except Exception as e:  # noqa: BLE001  (lost: the next tick connects again)
        return cold.load("firmware.integrations.mqttconnect").lost(m, state, e)
    m.keys = None
    m.discover = False
    m.delay_ms = m.cfg["interval_s"] * 1000


async def configs(m, state, keys):
    """Every sensor's config, retained: of our own values and of the /api/v1/data keys
    the state message had (keys: their hashes)."""
    cfg = m.cfg
    serial = state.serial
    ip = state.wifi.ip
    url = ',"cu":"http://%s:%d/"' % (ip, getattr(state.board, "http", ("", 80))[1]) if ip else ""
    head = ('"~":"%s/%s","stat_t":"~/state","avty_t":"~/status","dev":{"ids":["digimon_%s"],'
            '"name":"%s","mf":"digimon","mdl":"P1 monitor (%s)","sw":"%s","sn":"%s"%s}' % (
                cfg["prefix"], serial, serial, state.cfg["network"]["device_name"],
                state.board.name, state.version, serial, url))
    node = "%s/sensor/digimon_%s/" % (cfg["discovery_prefix"], serial)
    at = 0
    while at < len(_SENSORS):
        end = _SENSORS.find(";", at)
        key, kind, name = _SENSORS[at:end].split(" ", 2)
        at = end + 1
        n = 1
        if "#" in key:
            name, n = name.rsplit(" ", 1)
            n = int(n)
        for i in range(1, n + 1):
            k = key.replace("#", str(i))
            if hash(k) in keys or k in _OURS:
                await send(m, "%s%s/config" % (node, k), text, (
                    '{"name":"%s","uniq_id":"digimon_%s_%s","val_tpl":"{{value_json.%s}}",%s%s}'
                    % (name.replace("#", str(i)), serial, k, k, head, _KINDS[int(kind)])),
                    True)
    await send(m, "%s/binary_sensor/digimon_%s/sd/config" % (cfg["discovery_prefix"], serial),
               text, '{"name":"SD card","uniq_id":"digimon_%s_sd","dev_cla":"problem",'
               '"ent_cat":"diagnostic","val_tpl":"{{\'OFF\' if value_json.sd else \'ON\'}}",%s}'
               % (serial, head), True)
    state.note_heap("MQTT discovery")  # (this module in the heap)
