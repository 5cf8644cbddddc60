"""P1 telegram encoding for the simulated meter profiles.

A profile is data: a header, a list of line templates, number formats and a few
flags.  `encode()` fills the templates from a reading (exact integers, see
meter.py) and returns the wire bytes plus the HomeWizard-style values, both
derived from the same rounded integers, so the values are exactly what was printed.
"""

import string

# -- CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final xor) ---------------


def _crc_table() -> tuple:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/ARC of data, as DSMR computes it over '/' .. '!' inclusive."""
    crc = 0
    for b in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ b) & 0xFF]
    return crc


# -- 7E1 as seen by an 8N1 reader -------------------------------------------------

# Each 7-bit byte with bit 7 set to its even-parity bit.
_EVEN_PARITY = bytes(b | 0x80 if bin(b).count("1") & 1 else b for b in range(128)) + bytes(128)


def add_parity(data: bytes) -> bytes:
    """Set bit 7 of every (ASCII) byte to its even-parity bit."""
    return data.translate(_EVEN_PARITY)


# -- profiles ---------------------------------------------------------------------

# Line templates.  {key} is filled from the reading; see KINDS for numeric keys.
_POWER_PHASES = (
    "1-0:21.7.0({pi1}*kW)", "1-0:41.7.0({pi2}*kW)", "1-0:61.7.0({pi3}*kW)",
    "1-0:22.7.0({pe1}*kW)", "1-0:42.7.0({pe2}*kW)", "1-0:62.7.0({pe3}*kW)",
)
_VOLTS = ("1-0:32.7.0({v1}*V)", "1-0:52.7.0({v2}*V)", "1-0:72.7.0({v3}*V)")
_AMPS = ("1-0:31.7.0({i1}*A)", "1-0:51.7.0({i2}*A)", "1-0:71.7.0({i3}*A)")
_REGISTERS = (
    "1-0:1.8.1({imp1}*kWh)", "1-0:1.8.2({imp2}*kWh)",
    "1-0:2.8.1({exp1}*kWh)", "1-0:2.8.2({exp2}*kWh)",
)
_NL_EVENTS = (
    "0-0:96.7.21({fail_short})", "0-0:96.7.9({fail_long})", "1-0:99.97.0({fail_log})",
    "1-0:32.32.0({sag1})", "1-0:52.32.0({sag2})", "1-0:72.32.0({sag3})",
    "1-0:32.36.0({swell1})", "1-0:52.36.0({swell2})", "1-0:72.36.0({swell3})",
)

BE_LINES = (
    "0-0:96.1.4({version})", "0-0:96.1.1({eid})", "0-0:1.0.0({ts})",
    *_REGISTERS,
    "0-0:96.14.0({tariff})",
    "1-0:1.4.0({avg}*kW)", "1-0:1.6.0({peak_ts})({peak}*kW)", "0-0:98.1.0({history})",
    "1-0:1.7.0({p_imp}*kW)", "1-0:2.7.0({p_exp}*kW)",
    *_POWER_PHASES, *_VOLTS, *_AMPS,
    "0-0:96.3.10(1)", "0-0:17.0.0(999.9*kW)", "1-0:31.4.0(999*A)", "0-0:96.13.0({msg})",
    "0-1:24.1.0(003)", "0-1:96.1.1({gas_id})", "0-1:24.4.0(1)",
    "0-1:24.2.3({gas_ts})({gas}*m3)",
)
NL5_LINES = (
    "1-3:0.2.8({version})", "0-0:1.0.0({ts})", "0-0:96.1.1({eid})",
    *_REGISTERS,
    "0-0:96.14.0({tariff})", "1-0:1.7.0({p_imp}*kW)", "1-0:2.7.0({p_exp}*kW)",
    *_NL_EVENTS,
    "0-0:96.13.0()",
    *_VOLTS, *_AMPS, *_POWER_PHASES,
    "0-1:24.1.0(003)", "0-1:96.1.0({gas_id})", "0-1:24.2.1({gas_ts})({gas}*m3)",
)
NL4_LINES = (  # like a Kaifa MA105: no voltages
    "1-3:0.2.8({version})", "0-0:1.0.0({ts})", "0-0:96.1.1({eid})",
    *_REGISTERS,
    "0-0:96.14.0({tariff})", "1-0:1.7.0({p_imp}*kW)", "1-0:2.7.0({p_exp}*kW)",
    *_NL_EVENTS,
    "0-0:96.13.1()", "0-0:96.13.0()",
    *_AMPS,
    "1-0:21.7.0({pi1}*kW)", "1-0:22.7.0({pe1}*kW)", "1-0:41.7.0({pi2}*kW)",
    "1-0:42.7.0({pe2}*kW)", "1-0:61.7.0({pi3}*kW)", "1-0:62.7.0({pe3}*kW)",
    "0-1:24.1.0(003)", "0-1:96.1.0({gas_id})", "0-1:24.2.1({gas_ts})({gas}*m3)",
)
NL5_MBUS2_LINES = tuple(  # like an Iskra AM550: an empty M-Bus channel 1, gas on 2
    line for line in NL5_LINES if not line.startswith("0-1:")) + (
    "0-1:24.1.0(003)", "0-1:96.1.0()", "0-1:24.2.1(700101010000W)(00000000)",
    "0-2:24.1.0(003)", "0-2:96.1.0({gas_id})", "0-2:24.2.1({gas_ts})({gas}*m3)",
)
_TOTALS = (
    "1-0:1.8.0({imp}*kWh)", "1-0:2.8.0({exp}*kWh)",
    "1-0:3.8.0({rimp}*kvarh)", "1-0:4.8.0({rexp}*kvarh)",
    "1-0:1.7.0({p_imp}*kW)", "1-0:2.7.0({p_exp}*kW)",
    "1-0:3.7.0(00.000*kvar)", "1-0:4.7.0(00.000*kvar)",
)
LU_LINES = (  # a Luxembourg Smarty (Sagemcom T210-D), decrypted: totals only
    "1-3:0.2.8({version})", "0-0:1.0.0({ts})", "0-0:42.0.0({eid})",
    *_TOTALS,
    "0-0:17.0.0(027.6*kVA)", "1-0:9.7.0({p_imp}*kVA)", "1-0:10.7.0({p_exp}*kVA)",
    "1-1:31.4.0(040*A)(-040*A)", "0-0:96.3.10(1)", "0-1:96.3.10(0)", "0-2:96.3.10(0)",
    "0-0:96.7.21({fail_short})",
    "1-0:32.32.0({sag1})", "1-0:52.32.0({sag2})", "1-0:72.32.0({sag3})",
    "1-0:32.36.0({swell1})", "1-0:52.36.0({swell2})", "1-0:72.36.0({swell3})",
    "0-0:96.13.0()", "0-0:96.13.2()", "0-0:96.13.3()", "0-0:96.13.4()", "0-0:96.13.5()",
    *_VOLTS, *_AMPS, *_POWER_PHASES,
)
SE_LINES = (  # a Swedish meter (like an Aidon or L+G E360): totals only, no ids, no tariffs
    "0-0:1.0.0({ts})",
    *_TOTALS,
    *_POWER_PHASES,
    "1-0:23.7.0(0000.000*kvar)", "1-0:43.7.0(0000.000*kvar)", "1-0:63.7.0(0000.000*kvar)",
    "1-0:24.7.0(0000.000*kvar)", "1-0:44.7.0(0000.000*kvar)", "1-0:64.7.0(0000.000*kvar)",
    *_VOLTS, *_AMPS,
)
NL22_LINES = (  # no timestamp, no phases, gas in the old two-line form
    "0-0:96.1.1({eid})",
    *_REGISTERS,
    "0-0:96.14.0({tariff})", "1-0:1.7.0({p_imp}*kW)", "1-0:2.7.0({p_exp}*kW)",
    "0-0:17.0.0(0999.00*kW)", "0-0:96.3.10(1)", "0-0:96.13.1()", "0-0:96.13.0()",
    "0-1:24.1.0(3)", "0-1:96.1.0({gas_id})",
    "0-1:24.3.0({gas_ts})(00)(60)(1)(0-1:24.2.1)(m3)", "({gas})",
    "0-1:24.4.0(1)",
)

# Numeric keys: reading key -> quantity.  Readings carry thousandths of the unit
# (Wh, W, mV, mA, litres) or plain counts ("n").
KINDS = {
    "imp1": "kWh", "imp2": "kWh", "exp1": "kWh", "exp2": "kWh",
    "imp": "kWh", "exp": "kWh", "rimp": "kWh", "rexp": "kWh",
    "p_imp": "kW", "p_exp": "kW", "avg": "kW", "peak": "kW",
    "pi1": "kW", "pi2": "kW", "pi3": "kW", "pe1": "kW", "pe2": "kW", "pe3": "kW",
    "v1": "V", "v2": "V", "v3": "V", "i1": "A", "i2": "A", "i3": "A",
    "gas": "m3",
    "fail_short": "n", "fail_long": "n",
    "sag1": "n", "sag2": "n", "sag3": "n", "swell1": "n", "swell2": "n", "swell3": "n",
}

# Profile keys: interval (s between telegrams), header (after '/'), version (value of
# 0-0:96.1.4 or 1-3:0.2.8), smr_version (HomeWizard), lines, crc, parity (7E1 bit 7),
# tariffs (be or nl numbering), ids (equipment id prefix, gas meter id prefix,
# length; sent as hex ASCII), gas_every (s between gas captures), gas_flag (S/W on
# the gas time), formats (quantity -> (integer digits, decimals)), spec (the
# dsmr_parser telegram specification that reads it).
PROFILES: dict[str, dict] = {
    "be": {
        "name": "Fluvius e-MUCS H (DSMR 5.0.2 framing)", "serial": "115200 8N1",
        "interval": 1, "header": "FLU5\\253769484_A", "version": "50217", "smr_version": 50,
        "lines": BE_LINES, "crc": True, "parity": False, "tariffs": "be",
        "ids": ("1SAG", "7FLO", 14), "gas_every": 300, "gas_flag": True,
        "formats": {"kWh": (6, 3), "kW": (2, 3), "V": (3, 1), "A": (3, 2), "m3": (5, 3)},
        "spec": "BELGIUM_FLUVIUS",
    },
    "nl5": {
        "name": "DSMR 5.0.2", "serial": "115200 8N1",
        "interval": 1, "header": "ISk5\\2MT382-1000", "version": "50", "smr_version": 50,
        "lines": NL5_LINES, "crc": True, "parity": False, "tariffs": "nl",
        "ids": ("E0031", "G0029", 16), "gas_every": 300, "gas_flag": True,
        "formats": {"kWh": (6, 3), "kW": (2, 3), "V": (3, 1), "A": (3, 0), "m3": (5, 3)},
        "spec": "V5",
    },
    "nl5-mbus2": {
        "name": "DSMR 5.0.2, empty M-Bus channel 1, gas meter on 2", "serial": "115200 8N1",
        "interval": 1, "header": "ISK5\\2M550E-1012", "version": "50", "smr_version": 50,
        "lines": NL5_MBUS2_LINES, "crc": True, "parity": False, "tariffs": "nl",
        "ids": ("E0043", "G0047", 16), "gas_every": 300, "gas_flag": True,
        "formats": {"kWh": (6, 3), "kW": (2, 3), "V": (3, 1), "A": (3, 0), "m3": (5, 3)},
        "spec": "V5",
    },
    "lu": {
        "name": "Luxembourg Smarty (totals only)", "serial": "115200 8N1",
        "interval": 10, "header": "Lux5\\253663629_D", "version": "42", "smr_version": 42,
        "lines": LU_LINES, "crc": True, "parity": False, "tariffs": "nl",
        "ids": ("SAG1030700", "G0047", 16), "gas_every": 300, "gas_flag": True,
        "formats": {"kWh": (6, 3), "kW": (2, 3), "V": (3, 1), "A": (3, 0)},
        "spec": "LUXEMBOURG_SMARTY",
    },
    "se": {
        "name": "Swedish (totals only)", "serial": "115200 8N1",
        "interval": 10, "header": "ELL5\\253833635_A", "version": None, "smr_version": None,
        "lines": SE_LINES, "crc": True, "parity": False, "tariffs": "nl",
        "ids": ("E0000", "G0000", 16), "gas_every": 300, "gas_flag": True,
        "formats": {"kWh": (8, 3), "kW": (4, 3), "V": (3, 1), "A": (3, 1)},
        "spec": "SWEDEN",
    },
    "nl4": {
        "name": "DSMR 4.2", "serial": "115200 8N1",
        "interval": 10, "header": "KFM5KAIFA-METER", "version": "42", "smr_version": 42,
        "lines": NL4_LINES, "crc": True, "parity": False, "tariffs": "nl",
        "ids": ("E0026", "G0025", 16), "gas_every": 3600, "gas_flag": True,
        "formats": {"kWh": (6, 3), "kW": (2, 3), "A": (3, 0), "m3": (5, 3)},
        "spec": "V4",
    },
    "nl22": {
        "name": "DSMR 2.2", "serial": "9600 7E1",
        "interval": 10, "header": "ISk5\\2ME382-1003", "version": None, "smr_version": None,
        "lines": NL22_LINES, "crc": False, "parity": True, "tariffs": "nl",
        "ids": ("E0013", "G0019", 16), "gas_every": 3600, "gas_flag": False,
        "formats": {"kWh": (5, 3), "kW": (4, 2), "m3": (5, 3)},
        "spec": "V2_2",
    },
}


def template_keys(profile: dict) -> frozenset:
    """The reading keys a profile's lines use."""
    keys: set[str] = set()
    for line in profile["lines"]:
        keys.update(name for _, name, _, _ in string.Formatter().parse(line) if name)
    return frozenset(keys)


for _p in PROFILES.values():
    _p["keys"] = template_keys(_p)


def power_step(profile: dict) -> int:
    """Resolution in W of the profile's kW fields (1 W for 3 decimals)."""
    return 10 ** (3 - profile["formats"]["kW"][1])


def model_of(header: str) -> str:
    """Meter model from the header (stored without the '/'): drop the XXXZ prefix
    and a leading IEC 62056-21 '\\X' escape.  'FLU5\\253769484_A' -> '53769484_A'."""
    model = header[4:]
    return model[2:] if model.startswith("\\") else model


# -- numbers ------------------------------------------------------------------------


def number(milli: int, digits: int, decimals: int) -> tuple:
    """Render thousandths as a fixed-point field; return (text, counts of the last
    printed digit).  Rounds half up (energy registers arrive already truncated)."""
    div = 10 ** (3 - decimals)
    counts = (milli + div // 2) // div
    if decimals == 0:
        return f"{counts:0{digits}d}", counts
    scale = 10 ** decimals
    return f"{counts // scale:0{digits}d}.{counts % scale:0{decimals}d}", counts


def _field(kind: str, milli: int, formats: dict) -> tuple:
    """(text, value as logged) for a numeric reading key: kW are logged as int W,
    counts and integer fields as int, the rest as float in the printed unit."""
    if kind == "n":
        return f"{milli:05d}", milli
    digits, decimals = formats[kind]
    text, counts = number(milli, digits, decimals)
    if kind == "kW":
        return text, counts * 10 ** (3 - decimals)
    return text, counts / 10 ** decimals if decimals else counts


def history_text(history: list, formats: dict) -> str:
    """The 0-0:98.1.0 payload for [(month_ts, peak_ts, W), ...] (oldest first)."""
    parts = [str(len(history)), ")(1-0:1.6.0)(1-0:1.6.0"]
    for month_ts, peak_ts, watts in history:
        parts.append(f")({month_ts})({peak_ts})({_field('kW', watts, formats)[0]}*kW")
    return "".join(parts)


def _ts_int(ts: str) -> int:
    return int(ts[:12])


# -- encoding -------------------------------------------------------------------------


def encode(profile_name: str, reading: dict) -> tuple:
    """Wire bytes and HomeWizard P1 v1 values for one telegram.

    `reading` holds every key the profile's lines use: thousandths for the numeric
    KINDS, strings for the rest (ts, eid, gas_ts, ...), tariff as int, history as a
    list.  Wire bytes include the CRC line (or bare '!' for DSMR 2.2) and the 7E1
    parity bit where the profile has one."""
    profile = PROFILES[profile_name]
    formats = profile["formats"]
    text = {}
    num = {}
    for key in profile["keys"]:
        kind = KINDS.get(key)
        if kind is not None:
            text[key], num[key] = _field(kind, reading[key], formats)
        elif key == "tariff":
            text[key] = f"{reading[key]:04d}"
        elif key == "history":
            text[key] = history_text(reading[key], formats)
        elif key == "version":
            text[key] = profile["version"]
        else:
            text[key] = reading[key]
    body = "\r\n".join(line.format_map(text) for line in profile["lines"])
    frame = f"/{profile['header']}\r\n\r\n{body}\r\n!".encode("ascii")
    if profile["crc"]:
        wire = frame + b"%04X\r\n" % crc16(frame)
    else:
        wire = frame + b"\r\n"
    if profile["parity"]:
        wire = add_parity(wire)
    return wire, _values(profile, reading, text, num)


# HomeWizard field <- reading key, copied when the profile prints that key.
_HW_COPY = (
    ("total_power_import_t1_kwh", "imp1"), ("total_power_import_t2_kwh", "imp2"),
    ("total_power_export_t1_kwh", "exp1"), ("total_power_export_t2_kwh", "exp2"),
    ("total_power_import_kwh", "imp"), ("total_power_export_kwh", "exp"),
    ("active_voltage_l1_v", "v1"), ("active_voltage_l2_v", "v2"), ("active_voltage_l3_v", "v3"),
    ("active_current_l1_a", "i1"), ("active_current_l2_a", "i2"), ("active_current_l3_a", "i3"),
    ("voltage_sag_l1_count", "sag1"), ("voltage_sag_l2_count", "sag2"),
    ("voltage_sag_l3_count", "sag3"), ("voltage_swell_l1_count", "swell1"),
    ("voltage_swell_l2_count", "swell2"), ("voltage_swell_l3_count", "swell3"),
    ("any_power_fail_count", "fail_short"), ("long_power_fail_count", "fail_long"),
    ("active_power_average_w", "avg"), ("montly_power_peak_w", "peak"),
    ("total_gas_m3", "gas"),
    ("power_import_w", "p_imp"), ("power_export_w", "p_exp"),
)


def _values(profile: dict, reading: dict, text: dict, num: dict) -> dict:
    keys = profile["keys"]
    v = {"header": profile["header"], "meter_model": model_of(profile["header"])}
    if profile["smr_version"]:
        v["smr_version"] = profile["smr_version"]
    if "eid" in keys:
        v["unique_id"] = reading["eid"]
    v["timestamp"] = reading["ts"] if "ts" in keys else None
    if "tariff" in keys:
        v["active_tariff"] = reading["tariff"]
    for hw, key in _HW_COPY:
        if key in keys:
            v[hw] = num[key]
    if "imp1" in keys:  # the totals are the tariffs' sum (a meter that sends them: _HW_COPY)
        v["total_power_import_kwh"] = (reading["imp1"] + reading["imp2"]) / 1000
        v["total_power_export_kwh"] = (reading["exp1"] + reading["exp2"]) / 1000
    v["active_power_w"] = num["p_imp"] - num["p_exp"]
    for i in "123":
        if "pi" + i in keys:
            v[f"active_power_l{i}_w"] = num["pi" + i] - num["pe" + i]
    if "peak_ts" in keys:
        v["montly_power_peak_timestamp"] = _ts_int(reading["peak_ts"])
    if "gas_ts" in keys:
        v["gas_timestamp"] = _ts_int(reading["gas_ts"])
        v["gas_unique_id"] = reading["gas_id"]
    return v


# -- corruption ------------------------------------------------------------------------


def corrupt(wire: bytes, rng, crc: bool = True) -> bytes:
    """Damage a telegram so that a CRC-checking reader must reject it: flip one bit
    between '/' and '!' (never creating or destroying a '/' or '!'), or truncate it
    before the '!'.  Without a CRC (DSMR 2.2) only truncation is detectable."""
    end = wire.rindex(b"!")
    if crc and rng.random() < 0.5:
        data = bytearray(wire)
        while True:
            pos = rng.randrange(1, end)
            flipped = data[pos] ^ (1 << rng.randrange(7))
            if data[pos] not in b"/!" and flipped not in b"/!":
                data[pos] = flipped
                return bytes(data)
    return wire[:rng.randrange(1, end)]
