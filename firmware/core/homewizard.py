"""HomeWizard P1 v1 API bodies (/api, /api/v1/data) from the live reading.

Numbers are written from the scaled ints as exact decimals: the board's floats are
single precision and would garble a register like 012345.678 kWh. Every number is a
valid JSON number (no leading zeros: 090212160000 is written 90212160000). The body is
made piece by piece (pieces()), so it takes no buffer of its own.
"""

from micropython import const

from firmware.core.dsmr import DEC, EXPORT, IMPORT, SLOT, meter_model, row, smr_version, total

# The tables are single strings, read a word at a time (words()): loaded per request,
# as one string each they take a third of the heap that tuples of names would.
# Fields whose HomeWizard key is our field name, written with the field's decimals
_PLAIN = const(
    "active_tariff total_power_import_t1_kwh total_power_import_t2_kwh "
    "total_power_import_t3_kwh total_power_import_t4_kwh total_power_export_t1_kwh "
    "total_power_export_t2_kwh total_power_export_t3_kwh total_power_export_t4_kwh "
    "active_voltage_l1_v active_voltage_l2_v active_voltage_l3_v active_current_l1_a "
    "active_current_l2_a active_current_l3_a active_frequency_hz voltage_sag_l1_count "
    "voltage_sag_l2_count voltage_sag_l3_count voltage_swell_l1_count "
    "voltage_swell_l2_count voltage_swell_l3_count any_power_fail_count "
    "long_power_fail_count")
# HomeWizard key, import field, export field: net W = import - export
_NET = const(
    "active_power_w power_import_kw power_export_kw "
    "active_power_l1_w power_import_l1_kw power_export_l1_kw "
    "active_power_l2_w power_import_l2_kw power_export_l2_kw "
    "active_power_l3_w power_import_l3_kw power_export_l3_kw")
# (HomeWizard key, energy rows): the meter's total register, else the sum of its tariffs
TOTALS = (("total_power_import_kwh", IMPORT), ("total_power_export_kwh", EXPORT))
_POW10 = (1, 10, 100, 1000)


def decimal(v, dec):
    """Scaled int -> exact decimal text: decimal(12345678, 3) == '12345.678'."""
    if dec <= 0:
        return str(v)
    p = _POW10[dec]
    sign = "-" if v < 0 else ""
    v = -v if v < 0 else v
    frac = str(v % p)
    return "%s%d.%s%s" % (sign, v // p, "0" * (dec - len(frac)), frac)


def words(text):
    """The space-separated words of text, one at a time."""
    i = 0
    while i < len(text):
        j = text.find(" ", i)
        if j < 0:
            j = len(text)
        yield text[i:j]
        i = j + 1


def _value(r, name):
    """(int value, decimals of our field) of a present field, else None."""
    i = row(name)
    if not r.present[i]:
        return None
    return r.values[SLOT[i]], DEC[i]


def _stamp(r, name):
    """YYMMDDhhmmss as a JSON number, HomeWizard style, from a TS / TSNUM field: the
    date without leading zeros (2009-02-12 16:00 -> 90212160000)."""
    s = SLOT[row(name)]
    return "%d%06d" % (r.values[s], r.values[s + 1])


def gas(r):
    """(field, id field) of the gas meter's reading, or None."""
    for field in ("gas", "gas_be", "gas_22"):
        if r.has(field):
            for id_field in ("gas_unique_id", "gas_unique_id_be"):
                if r.has(id_field):
                    return field, id_field
            return field, None
    return None


def _string(text):
    """A JSON string of meter text (ids, models, the WiFi name)."""
    for c in text:
        if c < " " or c == '"' or c == "\\":
            break
    else:
        return '"%s"' % text
    out = ['"']
    for c in text:
        out.append("\\u%04x" % ord(c) if c < " " else "\\" + c if c in '"\\' else c)
    out.append('"')
    return "".join(out)


def pieces(r, wifi_ssid=None, wifi_strength=None):
    """The /api/v1/data JSON object for Reading r, as a generator of small strings
    (one field each): no body is ever built whole in the heap."""
    sep = "{"
    for key, text in _fields(r, wifi_ssid, wifi_strength):
        yield '%s"%s":%s' % (sep, key, text)
        sep = ","
    yield "{}" if sep == "{" else "}"


def _fields(r, wifi_ssid, wifi_strength):
    """(HomeWizard key, JSON value text) of every field the reading has."""
    if r.has("unique_id"):
        yield "unique_id", _string(r.text_of("unique_id"))
    v = smr_version(r)
    if v is not None:
        yield "smr_version", str(v)
    if r.header_len:
        yield "meter_model", _string(meter_model(r))
    if wifi_ssid is not None:
        yield "wifi_ssid", _string(wifi_ssid)
    if wifi_strength is not None:
        yield "wifi_strength", str(wifi_strength)
    for name in words(_PLAIN):
        val = _value(r, name)
        if val is not None:
            yield name, decimal(val[0], val[1])
    val = _value(r, "active_power_average_kw")  # kW, its scaled int is W
    if val is not None:
        yield "active_power_average_w", str(val[0])
    for key, rows in TOTALS:
        wh = total(r, rows)
        if wh >= 0:
            yield key, decimal(wh, 3)
    net = words(_NET)
    for key in net:
        a = _value(r, next(net))
        b = _value(r, next(net))
        if a is not None or b is not None:
            yield key, str((a[0] if a else 0) - (b[0] if b else 0))
    if r.has("montly_power_peak"):
        yield "montly_power_peak_w", str(r.get("montly_power_peak", 3))
        yield "montly_power_peak_timestamp", _stamp(r, "montly_power_peak")
    g = gas(r)
    if g:
        field, id_field = g
        value = decimal(r.get(field, 3), 3)
        stamp = _stamp(r, field)
        yield "total_gas_m3", value
        yield "gas_timestamp", stamp
        gid = "null"
        if id_field:
            gid = _string(r.text_of(id_field))
            yield "gas_unique_id", gid
        yield "external", ('[{"unique_id":%s,"type":"gas_meter","timestamp":%s,"value":%s,'
                           '"unit":"m3"}]' % (gid, stamp, value))


def device(serial, version):
    """The /api JSON object."""
    return {"product_type": "HWE-P1", "product_name": "P1 Meter", "serial": serial,
            "firmware_version": version, "api_version": "v1"}
