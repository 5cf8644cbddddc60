"""Real meters' telegrams, field by field against dsmr_parser 1.11.2.

The telegrams: ../shared/telegrams/dsmr_parser_examples.json (dsmr_parser's own test
suite) and host_tests/data/public_telegrams.json (dsmr-reader's and amshan's test
suites); each record names the dsmr_parser specification that reads it. For every
telegram, every HomeWizard field of /api/v1/data must be what dsmr_parser reads from
it, mapped onto HomeWizard's fields by expected() below. Checked twice: in the core
(framer, parser, HomeWizard body) under CPython, and end to end: the simulator replays
the telegrams over a pty (`digimon meter --replay`) to the firmware on the unix port.
"""

import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

from firmware.core import dsmr, homewizard
from host_tests.device import ROOT, wait_until

SHARED = ROOT.parent / "shared" / "telegrams" / "dsmr_parser_examples.json"
OURS = ROOT / "host_tests" / "data" / "public_telegrams.json"
METER_TZ = ZoneInfo("Europe/Amsterdam")  # how dsmr_parser reads a meter's local time


def records():
    out = json.loads(OURS.read_text())["telegrams"]
    if SHARED.exists():
        out = json.loads(SHARED.read_text())["telegrams"] + out
    return out


RECORDS = records()
IDS = [r["id"] for r in RECORDS]
# DSMR 2.2/3 meters send 9600 baud 7E1; the others 115200 8N1
SLOW = [r for r in RECORDS if r["spec"] in ("V2_2", "V3")]
FAST = [r for r in RECORDS if r["spec"] not in ("V2_2", "V3")]


def parse(rec):
    """dsmr_parser's telegram; its CRC checked where it has one. A line dsmr_parser
    cannot read is left out, as it leaves it out."""
    if rec["crc"]:
        TelegramParser.validate_checksum(rec["text"])
    spec = getattr(telegram_specifications, rec["spec"])
    return TelegramParser(spec).parse(rec["text"])


def _get(obj, name):
    """A field of a dsmr_parser telegram or M-Bus device; None when it has none."""
    try:
        value = getattr(obj, name)
    except (AttributeError, KeyError):
        return None
    return None if getattr(value, "value", 0) is None else value


def _stamp(dt):
    """A dsmr_parser (UTC) datetime as the meter wrote it: YYMMDDhhmmss, a number."""
    return int(dt.astimezone(METER_TZ).strftime("%y%m%d%H%M%S"))


def _num(obj):
    """A dsmr_parser value as JSON gives our exact decimal text back."""
    v = obj.value
    return float(v) if isinstance(v, Decimal) else int(v)


def _kw_to_w(obj):
    return int(obj.value * 1000)


def model(text):
    """HomeWizard's meter_model: the header after the maker and baud digit (XXX5) and
    an IEC 62056-21 escape (\\2)."""
    header = text.split("\r\n")[0][1:]
    return header[6:] if header[4:5] == "\\" else header[4:]


def gas_meter(tg):
    """The M-Bus device that is a gas meter (type 3) with a real reading: an id and a
    reading time after 1999. None when there is none."""
    for dev in sorted(_get(tg, "MBUS_DEVICES") or [], key=lambda d: d.channel_id):
        kind = _get(dev, "MBUS_DEVICE_TYPE") or _get(dev, "DEVICE_TYPE")
        ident = _get(dev, "MBUS_EQUIPMENT_IDENTIFIER") or _get(dev, "EQUIPMENT_IDENTIFIER_GAS")
        reading = (_get(dev, "MBUS_METER_READING") or _get(dev, "HOURLY_GAS_METER_READING")
                   or _get(dev, "GAS_METER_READING"))
        if kind is not None and int(kind.value) == 3 and ident is not None and ident.value \
                and reading is not None and reading.datetime is not None \
                and 2000 <= reading.datetime.year < 2070:
            return ident.value, reading
    return None


def expected(rec):
    """The /api/v1/data fields HomeWizard gives for this telegram, from dsmr_parser."""
    tg = parse(rec)
    v = {}
    for name in ("EQUIPMENT_IDENTIFIER", "BELGIUM_EQUIPMENT_IDENTIFIER",
                 "LUXEMBOURG_EQUIPMENT_IDENTIFIER", "COSEM_LOGICAL_DEVICE_NAME"):
        if _get(tg, name) is not None:
            v["unique_id"] = _get(tg, name).value
            break
    if _get(tg, "P1_MESSAGE_HEADER") is not None:
        v["smr_version"] = int(tg.P1_MESSAGE_HEADER.value)
    elif _get(tg, "BELGIUM_VERSION_INFORMATION") is not None:
        version = tg.BELGIUM_VERSION_INFORMATION.value  # 50217: DSMR 5.0.2 ...
        if re.fullmatch(r"\d{5}", version):
            v["smr_version"] = int(version[:2])
    v["meter_model"] = model(rec["text"])
    plain = {"active_tariff": "ELECTRICITY_ACTIVE_TARIFF", "active_frequency_hz": "FREQUENCY",
             "any_power_fail_count": "SHORT_POWER_FAILURE_COUNT",
             "long_power_fail_count": "LONG_POWER_FAILURE_COUNT"}
    for t in "1234":
        plain["total_power_import_t%s_kwh" % t] = "ELECTRICITY_USED_TARIFF_" + t
        plain["total_power_export_t%s_kwh" % t] = "ELECTRICITY_DELIVERED_TARIFF_" + t
    for i in "123":
        plain["active_voltage_l%s_v" % i] = "INSTANTANEOUS_VOLTAGE_L" + i
        plain["active_current_l%s_a" % i] = "INSTANTANEOUS_CURRENT_L" + i
        plain["voltage_sag_l%s_count" % i] = "VOLTAGE_SAG_L%s_COUNT" % i
        plain["voltage_swell_l%s_count" % i] = "VOLTAGE_SWELL_L%s_COUNT" % i
    for key, name in plain.items():
        if _get(tg, name) is not None:
            v[key] = _num(_get(tg, name))
    for key, total, tariff in (("total_power_import_kwh", "ELECTRICITY_IMPORTED_TOTAL",
                                "ELECTRICITY_USED_TARIFF_"),
                               ("total_power_export_kwh", "ELECTRICITY_EXPORTED_TOTAL",
                                "ELECTRICITY_DELIVERED_TARIFF_")):
        if _get(tg, total) is not None:  # the meter's total, else the sum of its tariffs
            v[key] = float(_get(tg, total).value)
        else:
            tariffs = [_get(tg, tariff + t) for t in "1234"]
            if any(tariffs):
                v[key] = float(sum(t.value for t in tariffs if t is not None))
    if _get(tg, "BELGIUM_CURRENT_AVERAGE_DEMAND") is not None:
        v["active_power_average_w"] = _kw_to_w(tg.BELGIUM_CURRENT_AVERAGE_DEMAND)
    for key, plus, minus in (("active_power_w", "CURRENT_ELECTRICITY_USAGE",
                              "CURRENT_ELECTRICITY_DELIVERY"),) + tuple(
            ("active_power_l%s_w" % i, "INSTANTANEOUS_ACTIVE_POWER_L%s_POSITIVE" % i,
             "INSTANTANEOUS_ACTIVE_POWER_L%s_NEGATIVE" % i) for i in "123"):
        a, b = _get(tg, plus), _get(tg, minus)
        if a is not None or b is not None:
            v[key] = (_kw_to_w(a) if a else 0) - (_kw_to_w(b) if b else 0)
    peak = _get(tg, "BELGIUM_MAXIMUM_DEMAND_MONTH")
    if peak is not None:
        v["montly_power_peak_w"] = _kw_to_w(peak)
        v["montly_power_peak_timestamp"] = _stamp(peak.datetime)
    gas = gas_meter(tg)
    if gas is not None:
        ident, reading = gas
        v["total_gas_m3"] = float(reading.value)
        v["gas_timestamp"] = _stamp(reading.datetime)
        v["gas_unique_id"] = ident
        v["external"] = [{"unique_id": ident, "type": "gas_meter", "timestamp": v["gas_timestamp"],
                          "value": v["total_gas_m3"], "unit": "m3"}]
    return v


def ours(rec):
    """The firmware's core on this telegram: (its /api/v1/data body, the Reading)."""
    data = rec["text"].encode("ascii")
    f = dsmr.Framer()
    r = dsmr.Reading()
    chunk = bytearray(data)
    assert f.feed(chunk, 0, len(chunk)) == len(chunk) and f.ready, (f.bad, f.oversize)
    assert dsmr.Parser().parse(f.buf, f.length, r)
    return "".join(homewizard.pieces(r)), r


def test_the_records_are_what_they_say():
    assert len(RECORDS) >= 18
    for rec in RECORDS:
        text = rec["text"]
        assert text.startswith("/") and text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
        assert rec["crc"] == (not text.endswith("!\r\n")), rec["id"]
        assert rec["id"] in IDS and IDS.count(rec["id"]) == 1
        parse(rec)  # dsmr_parser reads it, with its CRC where it has one
    for rec in json.loads(OURS.read_text())["telegrams"]:
        assert set(rec["source"]) == {"repository", "path", "commit", "name"}
        assert re.fullmatch(r"[0-9a-f]{40}", rec["source"]["commit"])


@pytest.mark.parametrize("rec", RECORDS, ids=IDS)
def test_the_core_gives_dsmr_parsers_values(rec):
    body, r = ours(rec)
    assert json.loads(body) == expected(rec)


def test_the_cases_the_records_cover():
    """The cases that broke before, each in a real meter's telegram."""
    by_id = {r["id"]: r for r in RECORDS}
    if "TELEGRAM_V3" in by_id:  # a 2009 gas reading: 90212160000, not 090212160000
        assert expected(by_id["TELEGRAM_V3"])["gas_timestamp"] == 90212160000
        assert '"gas_timestamp":90212160000' in ours(by_id["TELEGRAM_V3"])[0]
    if "TELEGRAM_V5_TWO_MBUS" in by_id:  # an empty M-Bus channel 1, the gas meter on 2
        assert expected(by_id["TELEGRAM_V5_TWO_MBUS"])["total_gas_m3"] == 246.138
    lux = expected(by_id["DSMR_READER_LUXEMBOURG_SMARTY"])  # totals only
    assert lux["total_power_import_kwh"] == 5675.956 and "total_power_import_t1_kwh" not in lux
    sweden = expected(by_id["AMSHAN_EXAMPLE_DATA_C"])
    assert sweden["total_power_import_kwh"] == 1605.055 and "unique_id" not in sweden
    bus2 = expected(by_id["DSMR_READER_ISKRA_DSMR5_BUS2"])
    assert bus2["gas_unique_id"] == "12345678901234567890123456789012"
    two = expected(by_id["DSMR_READER_FLUVIUS_MULTIPLE_GAS_DEVICES"])  # two real: the first
    assert two["total_gas_m3"] == 734.607


# ---- end to end: the firmware on the unix port, the telegrams replayed over a pty ----


def replayed(device, tmp_path, recs, parity=False, baud=115200):
    """Start the firmware with the simulator replaying recs; returns the device."""
    path = tmp_path / ("replay-%d.json" % len(recs))
    path.write_text(json.dumps({"telegrams": recs}))
    extra = ["--replay", str(path), "--interval", "0.8"] + (["--parity"] if parity else [])
    return device(extra=extra, speed=1, baud=baud)


def check_each(dev, recs):
    """Follow the replay: as each telegram is the current one (/api/v1/telegram),
    /api/v1/data must be what dsmr_parser reads from it."""
    for rec in recs:
        want = rec["text"].encode("ascii")
        got = {}

        def current():
            status, _, tel = dev.request("/api/v1/telegram")
            if status != 200 or tel != want:
                return False
            data = dev.json("/api/v1/data")
            status, _, tel = dev.request("/api/v1/telegram")
            got["data"] = data
            return tel == want  # the same telegram still: the data is its own

        wait_until(current, 10 + 1.0 * len(recs), lambda: "telegram %s\n%s" % (
            rec["id"], dev.output()[-3000:]))
        data = got["data"]
        data.pop("wifi_ssid", None)
        data.pop("wifi_strength", None)
        assert data == expected(rec), rec["id"]


@pytest.mark.skipif(not SLOW, reason="no DSMR 2.2/3 telegrams (../shared is not there)")
def test_dsmr22_and_3_meters_end_to_end(device, tmp_path):
    """9600 baud 7E1 (even parity in bit 7), no CRC."""
    check_each(replayed(device, tmp_path, SLOW, parity=True, baud=9600), SLOW)


def test_crc_meters_end_to_end(device, tmp_path):
    dev = replayed(device, tmp_path, FAST)
    check_each(dev, FAST)
    about = dev.json("/about")["p1"]
    assert about["telegrams"] >= len(FAST) and about["crc_errors"] == 0
    for path in ("/api", "/current/live", "/current/quarter", "/current/month/peak"):
        dev.json(path)  # valid JSON (CPython's json.loads) after all of them


@pytest.mark.parametrize("profile", ["lu", "se", "nl5-mbus2"])
def test_the_simulated_meters_end_to_end(device, profile):
    """The simulator's Luxembourg Smarty and Swedish meter (totals only) and its DSMR 5
    meter with an empty M-Bus channel 1: /api/v1/data is what dsmr_parser reads from
    the telegram (/api/v1/telegram), and the quarter's energy average comes from the
    registers the meter sends."""
    from digimon.telegram import PROFILES

    dev = device(profile=profile, speed=10, start="2026-11-21T10:00:05")
    got = {}

    def whole():
        status, _, tel = dev.request("/api/v1/telegram")
        got["data"] = dev.json("/api/v1/data")
        again = dev.request("/api/v1/telegram")[2]
        got["text"] = tel.decode("ascii")
        return status == 200 and tel == again

    wait_until(whole, 20, lambda: "a telegram\n" + dev.output())
    rec = {"id": profile, "spec": PROFILES[profile]["spec"], "crc": True, "text": got["text"]}
    data = got["data"]
    data.pop("wifi_ssid", None)
    assert data == expected(rec)
    if profile != "nl5-mbus2":
        assert "total_power_import_t1_kwh" not in data and data["total_power_import_kwh"] > 0
    else:
        assert data["total_gas_m3"] > 0 and data["gas_unique_id"]
    wait_until(lambda: dev.json("/current/quarter").get("consumed_energy_avg") is not None, 20,
               "an energy average from the registers")
