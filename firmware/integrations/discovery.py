"""Home Assistant MQTT discovery: one device, and a sensor for each value of the state
message that the meter sends, each with its device class, state class and unit (the
energy registers total_increasing kWh, for the Energy dashboard; gas m³). Published
retained under <discovery_prefix>/sensor/digimon_<serial>/<key>/config when the
connection is made and when Home Assistant says it is online. Loaded per use
(core.cold) by integrations.mqttlink.
"""

from micropython import const

from firmware.core import cold

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
# key of the state message, kind (the index in _KINDS), name
_SENSORS = const((
    "active_tariff 0 Tariff",
    "total_power_import_kwh 1 Energy import",
    "total_power_import_t1_kwh 1 Energy import tariff 1",
    "total_power_import_t2_kwh 1 Energy import tariff 2",
    "total_power_import_t3_kwh 1 Energy import tariff 3",
    "total_power_import_t4_kwh 1 Energy import tariff 4",
    "total_power_export_kwh 1 Energy export",
    "total_power_export_t1_kwh 1 Energy export tariff 1",
    "total_power_export_t2_kwh 1 Energy export tariff 2",
    "total_power_export_t3_kwh 1 Energy export tariff 3",
    "total_power_export_t4_kwh 1 Energy export tariff 4",
    "active_power_w 2 Power",
    "active_power_l1_w 2 Power L1",
    "active_power_l2_w 2 Power L2",
    "active_power_l3_w 2 Power L3",
    "active_voltage_l1_v 3 Voltage L1",
    "active_voltage_l2_v 3 Voltage L2",
    "active_voltage_l3_v 3 Voltage L3",
    "active_current_l1_a 4 Current L1",
    "active_current_l2_a 4 Current L2",
    "active_current_l3_a 4 Current L3",
    "active_frequency_hz 5 Frequency",
    "voltage_sag_l1_count 8 Voltage sags L1",
    "voltage_sag_l2_count 8 Voltage sags L2",
    "voltage_sag_l3_count 8 Voltage sags L3",
    "voltage_swell_l1_count 8 Voltage swells L1",
    "voltage_swell_l2_count 8 Voltage swells L2",
    "voltage_swell_l3_count 8 Voltage swells L3",
    "any_power_fail_count 8 Power failures",
    "long_power_fail_count 8 Long power failures",
    "active_power_average_w 2 Quarter average (meter)",
    "montly_power_peak_w 2 Month peak (meter)",
    "total_gas_m3 6 Gas",
    "quarter_average_w 2 Quarter average",
    "quarter_projected_w 2 Quarter projected",
    "month_peak_w 2 Month peak",
    "unique_id 7 Meter id",
    "smr_version 7 DSMR version",
    "meter_model 7 Meter model",
    "gas_unique_id 7 Gas meter id",
    "wifi_ssid 7 WiFi network",
))
_OURS = const(("quarter_average_w", "quarter_projected_w", "month_peak_w"))


def _keys(r, ssid):
    """The keys of the state message's /api/v1/data part for this reading."""
    keys = set(_OURS)
    for p in cold.load("firmware.core.homewizard").pieces(r, ssid):
        if len(p) > 2:
            keys.add(p[2:p.find('"', 2)])
    return keys


async def run(m, state, send):
    """Every sensor's config, retained; send is mqttlink.send."""
    cfg = m.cfg
    serial = state.serial
    keys = _keys(state.p1.reading, state.wifi_ssid())
    ip = state.wifi.ip
    url = ',"cu":"http://%s:%d/"' % (ip, getattr(state.board, "http", ("", 80))[1]) if ip else ""
    head = ('"~":"%s/%s","stat_t":"~/state","avty_t":"~/status","dev":{"ids":["digimon_%s"],'
            '"name":"%s","mf":"digimon","mdl":"P1 monitor (%s)","sw":"%s","sn":"%s"%s}' % (
                cfg["prefix"], serial, serial, state.cfg["network"]["device_name"],
                state.board.name, state.version, serial, url))
    node = "%s/sensor/digimon_%s/" % (cfg["discovery_prefix"], serial)
    for row in _SENSORS:
        key, kind, name = row.split(" ", 2)
        if key in keys:
            await send(m, node + key + "/config", (
                '{"name":"%s","uniq_id":"digimon_%s_%s","val_tpl":"{{value_json.%s}}",%s%s}'
                % (name, serial, key, key, head, _KINDS[int(kind)]),), True)
    await send(m, "%s/binary_sensor/digimon_%s/sd/config" % (cfg["discovery_prefix"], serial), (
        '{"name":"SD card","uniq_id":"digimon_%s_sd","dev_cla":"problem","ent_cat":"diagnostic",'
        '"val_tpl":"{{\'OFF\' if value_json.sd else \'ON\'}}",%s}' % (serial, head),), True)
