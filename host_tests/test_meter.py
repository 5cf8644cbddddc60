"""Tests of the meter simulator (tools/digimon/meter.py) under CPython.

Telegrams are checked against an independent parser (dsmr_parser), and the JSON
log values against what dsmr_parser reads from the same telegram."""

import json
import os
import re
import select
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dsmr_parser import telegram_specifications as specs
from dsmr_parser.exceptions import InvalidChecksumError, ParseError
from dsmr_parser.parsers import TelegramParser

TOOLS = Path(__file__).resolve().parent.parent / "tools"
sys.path.insert(0, str(TOOLS))

from digimon.household import Household  # noqa: E402
from digimon.meter import Meter, local, parse_start  # noqa: E402
from digimon.telegram import PROFILES, crc16  # noqa: E402

TZ = ZoneInfo("Europe/Brussels")
SPECS = {name: getattr(specs, p["spec"]) for name, p in PROFILES.items()}
PARSERS = {name: TelegramParser(spec) for name, spec in SPECS.items()}
FRAME = re.compile(rb"/[^/]*?!(?:[0-9A-F]{4})?\r\n")
MAIN = ("import argparse, sys; from digimon import meter; p = argparse.ArgumentParser(); "
        "meter.add_arguments(p); sys.exit(meter.main(p.parse_args(sys.argv[1:])))")


def run(profile, start, n, seed=0, messages=False):
    meter = Meter(profile, start, seed=seed, messages=messages)
    return [meter.next_telegram() for _ in range(n)]


def strip_parity(profile, wire):
    """nl22 bytes carry an even-parity bit 7: check it, then mask it off."""
    if not PROFILES[profile]["parity"]:
        return wire
    assert all(bin(b).count("1") % 2 == 0 for b in wire)
    return bytes(b & 0x7F for b in wire)


def parse(profile, wire):
    return PARSERS[profile].parse(strip_parity(profile, wire).decode("ascii"), throw_ex=True)


def kw_to_w(obj):
    return int(obj.value * 1000)


def stamp_int(dt):
    """A parsed (UTC) timestamp as local YYMMDDhhmmss."""
    return int(dt.astimezone(TZ).strftime("%y%m%d%H%M%S"))


def expected_values(profile, tg):
    """HomeWizard v1 values computed from dsmr_parser's reading of a telegram."""
    v = {}
    if profile == "be":
        v["unique_id"] = tg.BELGIUM_EQUIPMENT_IDENTIFIER.value
        v["smr_version"] = int(tg.BELGIUM_VERSION_INFORMATION.value[:2])
        v["active_power_average_w"] = kw_to_w(tg.BELGIUM_CURRENT_AVERAGE_DEMAND)
        v["montly_power_peak_w"] = kw_to_w(tg.BELGIUM_MAXIMUM_DEMAND_MONTH)
        v["montly_power_peak_timestamp"] = stamp_int(tg.BELGIUM_MAXIMUM_DEMAND_MONTH.datetime)
    elif profile == "lu":
        v["unique_id"] = tg.LUXEMBOURG_EQUIPMENT_IDENTIFIER.value
    elif profile != "se":
        v["unique_id"] = tg.EQUIPMENT_IDENTIFIER.value
    if profile in ("nl5", "nl5-mbus2", "nl4", "lu"):
        v["smr_version"] = int(tg.P1_MESSAGE_HEADER.value)
        v["any_power_fail_count"] = tg.SHORT_POWER_FAILURE_COUNT.value
        for i in "123":
            v[f"voltage_sag_l{i}_count"] = getattr(tg, f"VOLTAGE_SAG_L{i}_COUNT").value
            v[f"voltage_swell_l{i}_count"] = getattr(tg, f"VOLTAGE_SWELL_L{i}_COUNT").value
    if profile in ("nl5", "nl5-mbus2", "nl4"):
        v["long_power_fail_count"] = tg.LONG_POWER_FAILURE_COUNT.value
    if profile in ("lu", "se"):  # totals only
        v["total_power_import_kwh"] = float(tg.ELECTRICITY_IMPORTED_TOTAL.value)
        v["total_power_export_kwh"] = float(tg.ELECTRICITY_EXPORTED_TOTAL.value)
    else:
        v["active_tariff"] = int(tg.ELECTRICITY_ACTIVE_TARIFF.value)
        registers = {
            "import_t1": tg.ELECTRICITY_USED_TARIFF_1, "import_t2": tg.ELECTRICITY_USED_TARIFF_2,
            "export_t1": tg.ELECTRICITY_DELIVERED_TARIFF_1,
            "export_t2": tg.ELECTRICITY_DELIVERED_TARIFF_2,
        }
        for name, obj in registers.items():
            v[f"total_power_{name}_kwh"] = float(obj.value)
        v["total_power_import_kwh"] = float(registers["import_t1"].value
                                            + registers["import_t2"].value)
        v["total_power_export_kwh"] = float(registers["export_t1"].value
                                            + registers["export_t2"].value)
    v["power_import_w"] = kw_to_w(tg.CURRENT_ELECTRICITY_USAGE)
    v["power_export_w"] = kw_to_w(tg.CURRENT_ELECTRICITY_DELIVERY)
    v["active_power_w"] = v["power_import_w"] - v["power_export_w"]
    if profile != "nl22":
        for i in "123":
            plus = getattr(tg, f"INSTANTANEOUS_ACTIVE_POWER_L{i}_POSITIVE")
            minus = getattr(tg, f"INSTANTANEOUS_ACTIVE_POWER_L{i}_NEGATIVE")
            v[f"active_power_l{i}_w"] = kw_to_w(plus) - kw_to_w(minus)
            current = getattr(tg, f"INSTANTANEOUS_CURRENT_L{i}").value
            decimals = PROFILES[profile]["formats"]["A"][1]
            v[f"active_current_l{i}_a"] = float(current) if decimals else int(current)
            if profile != "nl4":
                v[f"active_voltage_l{i}_v"] = float(getattr(tg, f"INSTANTANEOUS_VOLTAGE_L{i}").value)
    if profile in ("lu", "se"):
        return v
    if profile in ("be", "nl5", "nl5-mbus2"):
        gas = tg.get_mbus_device_by_channel(2 if profile == "nl5-mbus2" else 1)
        reading, gas_id = gas.MBUS_METER_READING, gas.MBUS_EQUIPMENT_IDENTIFIER.value
    elif profile == "nl4":
        reading, gas_id = tg.HOURLY_GAS_METER_READING, tg.EQUIPMENT_IDENTIFIER_GAS.value
    else:
        reading, gas_id = tg.GAS_METER_READING, tg.EQUIPMENT_IDENTIFIER_GAS.value
    v["total_gas_m3"] = float(reading.value)
    v["gas_timestamp"] = stamp_int(reading.datetime)
    v["gas_unique_id"] = gas_id
    return v


def check_telegram(profile, wire, entry):
    """wire parses (with a valid CRC) and the log entry matches it exactly."""
    tg = parse(profile, wire)
    text = strip_parity(profile, wire).decode("ascii")
    values = dict(entry["values"])
    header = values.pop("header")
    assert text.startswith(f"/{header}\r\n\r\n")
    assert header.endswith(values.pop("meter_model"))
    timestamp = values.pop("timestamp")
    if profile == "nl22":
        assert timestamp is None and "0-0:1.0.0" not in text
        assert text.endswith("!\r\n")
    else:
        assert f"0-0:1.0.0({timestamp})" in text
        assert tg.P1_MESSAGE_TIMESTAMP.value == datetime.fromisoformat(entry["t"])
        body, crc = text.rsplit("!", 1)
        assert int(crc, 16) == crc16((body + "!").encode())
    assert values == expected_values(profile, tg)
    assert len(wire) < 4096
    return tg


# -- encoding ---------------------------------------------------------------------


def test_crc16_arc_check_value():
    assert crc16(b"123456789") == 0xBB3D


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("start", ["2026-06-10T12:00:00", "2026-01-12T19:07:33"])
def test_telegrams_parse_and_log_matches(profile, start):
    interval = PROFILES[profile]["interval"]
    for wire, entry in run(profile, start, 3600 // interval // 30, seed=7)[::4]:
        check_telegram(profile, wire, entry)


def test_header_and_lines_end_in_crlf():
    for profile in PROFILES:
        wire, _ = run(profile, "2026-02-03T04:05:06", 1)[0]
        text = strip_parity(profile, wire).decode("ascii")
        assert text.startswith("/") and "\n" not in text.replace("\r\n", "")
        assert text.endswith("\r\n")


def test_belgian_history_and_peak_lines():
    wire, entry = run("be", "2026-05-20T08:00:00", 1, seed=4)[0]
    tg = parse("be", wire)
    history = tg.BELGIUM_MAXIMUM_DEMAND_13_MONTHS
    assert len(history) == 12
    months = [local(int(h.datetime.timestamp())) for h in history]
    assert [(m.year, m.month, m.day, m.hour) for m in months][-1] == (2026, 5, 1, 0)
    assert months == sorted(months)  # oldest first
    for h, m in zip(history, months):
        assert h.occurred < h.datetime  # the peak lies in the month before the stamp
        assert h.occurred.astimezone(TZ).minute % 15 == 0
        assert 1 < h.value < 10
    peak_at = entry["values"]["montly_power_peak_timestamp"]
    assert 260501000000 < peak_at <= 260520080000 and peak_at % 10000 in (0, 1500, 3000, 4500)


def test_messages_make_long_telegrams():
    meter = Meter("be", "2026-04-01T10:00:00", seed=5, messages=True)
    texts = [meter.message(meter.t + k * 600) for k in range(200)]
    assert any(texts) and not all(texts)
    assert max(len(t) for t in texts) <= 1024
    start = meter.t + 600 * max(range(200), key=lambda k: len(texts[k]))
    wire, entry = Meter("be", local(start).replace(tzinfo=None).isoformat(), seed=5,
                        messages=True).next_telegram()
    tg = check_telegram("be", wire, entry)
    assert bytes.fromhex(tg.TEXT_MESSAGE.value).decode("ascii").strip()
    assert len(tg.TEXT_MESSAGE.value) > 600 and len(wire) < 4096
    plain, _ = Meter("nl5", "2026-04-01T10:00:00", messages=True).next_telegram()
    assert b"0-0:96.13.0()" in plain


# -- time -----------------------------------------------------------------------------


def timestamps(profile, start, n):
    return [(e["values"]["timestamp"], datetime.fromisoformat(e["t"])) for _, e in run(profile, start, n)]


def test_spring_forward_has_no_2_oclock():
    stamps = timestamps("be", "2026-03-29T01:58:00", 240)
    texts = [s for s, _ in stamps]
    assert texts[0] == "260329015800W" and texts[119] == "260329015959W"
    assert texts[120] == "260329030000S" and texts[-1] == "260329030159S"
    assert not any(s[6:8] == "02" for s in texts)
    utc = [t.timestamp() for _, t in stamps]
    assert all(b - a == 1 for a, b in zip(utc, utc[1:]))


def test_fall_back_repeats_2_oclock_summer_first():
    stamps = timestamps("nl4", "2026-10-25T01:50:00", 6 * 140)
    texts = [s for s, _ in stamps]
    two_s = [i for i, s in enumerate(texts) if s[6:8] == "02" and s.endswith("S")]
    two_w = [i for i, s in enumerate(texts) if s[6:8] == "02" and s.endswith("W")]
    assert len(two_s) == len(two_w) == 360
    assert max(two_s) < min(two_w)
    assert texts[two_s[0]] == texts[two_w[0]][:-1] + "S" == "261025020000S"
    assert texts[0].endswith("S") and texts[-1] == "261025030950W"
    utc = [t.timestamp() for _, t in stamps]
    assert all(b - a == 10 for a, b in zip(utc, utc[1:]))


def test_start_time_rules():
    # Ambiguous: the first (summer) occurrence.
    assert timestamps("be", "2026-10-25T02:30:00", 1)[0][0] == "261025023000S"
    with pytest.raises(ValueError, match="does not exist"):
        parse_start("2026-03-29T02:30:00")
    assert parse_start("2026-01-01T00:00:00") == int(datetime(2026, 1, 1, tzinfo=TZ).timestamp())


def test_nl22_gas_has_no_dst_flag():
    wire, entry = run("nl22", "2026-07-01T12:34:00", 1)[0]
    gas = rb"0-1:24\.3\.0\(260701120000\)\(00\)\(60\)\(1\)\(0-1:24\.2\.1\)\(m3\)\r\n\(\d{5}\.\d{3}\)\r\n"
    assert re.search(gas, strip_parity("nl22", wire))
    assert entry["values"]["gas_timestamp"] == 260701120000


# -- registers, power, peaks ------------------------------------------------------------


@pytest.mark.parametrize("profile,start,hours", [
    ("be", "2026-06-10T11:30:00", 1),     # export at noon, import
    ("nl5", "2026-01-07T06:30:00", 1),    # tariff change at 07:00
    ("nl22", "2026-06-14T05:00:00", 6),   # 10 W resolution
])
def test_registers_integrate_printed_power(profile, start, hours):
    interval = PROFILES[profile]["interval"]
    entries = [e["values"] for _, e in run(profile, start, hours * 3600 // interval + 1, seed=2)]
    keys = ("total_power_import_t1_kwh", "total_power_import_t2_kwh",
            "total_power_export_t1_kwh", "total_power_export_t2_kwh", "total_gas_m3")
    for a, b in zip(entries, entries[1:]):
        assert all(b[k] >= a[k] for k in keys)
        assert b["gas_timestamp"] >= a["gas_timestamp"]
    assert any(v["power_export_w"] > 0 for v in entries) or profile == "nl5"
    for direction in ("import", "export"):
        for tariff in (1, 2):
            key = f"total_power_{direction}_t{tariff}_kwh"
            joules = sum(v[f"power_{direction}_w"] * interval
                         for v in entries[:-1] if v["active_tariff"] == tariff)
            delta_wh = round((entries[-1][key] - entries[0][key]) * 1000)
            assert abs(delta_wh - joules / 3600) < 1, key
    assert len({v["active_tariff"] for v in entries}) == (2 if profile == "nl5" else 1)
    if profile == "nl22":
        assert all(v["active_power_w"] % 10 == 0 for v in entries)
    else:
        for v in entries:
            phases = sum(v[f"active_power_l{i}_w"] for i in (1, 2, 3))
            assert v["active_power_w"] == phases


def stamp_of(t):
    return int(local(int(t)).strftime("%y%m%d%H%M%S"))


def quarter_check(entries, interval):
    """Replay 1-0:1.4.0 and 1-0:1.6.0 from the logged power and check every
    telegram; return {quarter end: average W} for the quarters that completed."""
    times = [datetime.fromisoformat(e["t"]).timestamp() for e in entries]
    values = [e["values"] for e in entries]
    assert times[0] % 900 == 0, "start the run on a quarter"
    done = {}
    joules = 0
    peak, peak_at = values[0]["montly_power_peak_w"], values[0]["montly_power_peak_timestamp"]
    for i, (t, v) in enumerate(zip(times, values)):
        elapsed = t % 900
        if i and elapsed == 0:  # a quarter just ended
            done[t] = average = (joules + 450) // 900
            joules = 0
            if average > peak:
                peak, peak_at = average, stamp_of(t)
            if stamp_of(t) % 100000000 == 1000000:  # the 1st, 00:00:00: new month
                peak, peak_at = 0, stamp_of(t)
        assert (v["montly_power_peak_w"], v["montly_power_peak_timestamp"]) == (peak, peak_at)
        expected = (joules + elapsed // 2) // elapsed if elapsed else 0
        assert v["active_power_average_w"] == expected, (i, v["timestamp"])
        joules += v["power_import_w"] * interval
    return done


def test_average_demand_restarts_each_quarter_and_peak_follows():
    entries = [e for _, e in run("be", "2026-02-16T18:00:00", 3600 + 1, seed=1)]
    done = quarter_check(entries, 1)
    assert len(done) == 4
    zeros = [e["values"]["active_power_average_w"] for e in entries
             if e["values"]["timestamp"][8:12] in ("1500", "3000", "4500")]
    assert zeros == [0, 0, 0]


def test_month_peak_resets_at_month_start():
    telegrams = run("be", "2026-03-31T23:30:00", 3000, seed=3)
    done = quarter_check([e for _, e in telegrams], 1)
    by_stamp = {e["values"]["timestamp"]: (w, e["values"]) for w, e in telegrams}
    _, before = by_stamp["260331235959S"]
    wire, at = by_stamp["260401000000S"]
    _, after = by_stamp["260401001500S"]
    assert str(before["montly_power_peak_timestamp"]).startswith("2603")
    assert at["montly_power_peak_w"] == 0 and at["montly_power_peak_timestamp"] == 260401000000
    assert after["montly_power_peak_w"] == done[datetime(2026, 4, 1, 0, 15, tzinfo=TZ).timestamp()]
    assert after["montly_power_peak_timestamp"] == 260401001500
    # March's peak moved into 0-0:98.1.0: now 13 months, April 2025 .. March 2026.
    before_history = parse("be", by_stamp["260331235959S"][0]).BELGIUM_MAXIMUM_DEMAND_13_MONTHS
    history = parse("be", wire).BELGIUM_MAXIMUM_DEMAND_13_MONTHS
    assert len(before_history) == 12 and len(history) == 13
    assert stamp_int(history[0].datetime) == 250401000000
    assert stamp_int(history[-1].datetime) == 260401000000
    march = [avg for t, avg in done.items() if t <= datetime(2026, 4, 1, tzinfo=TZ).timestamp()]
    assert int(history[-1].value * 1000) == max(before["montly_power_peak_w"], *march)
    occurred = stamp_int(history[-1].occurred)  # in March, or the quarter ending at 00:00
    assert occurred // 100000000 == 2603 or occurred == 260401000000


# -- household ----------------------------------------------------------------------------


def test_household_pv_export_ev_and_fridge():
    house = Household(seed=0)
    t0 = parse_start("2026-06-08T00:00:00")
    noon_export = 0
    ev_nights = 0
    for day in range(14):
        day0 = t0 + day * 86400
        noon = [sum(house.power(t, local(t))) for t in range(day0 + 11 * 3600, day0 + 15 * 3600, 300)]
        noon_export += min(noon) < -1000
        night = [sum(house.power(t, local(t))) for t in range(day0, day0 + 4 * 3600, 600)]
        ev_nights += max(night) > 6000
        assert min(night) > 100  # no sun at night, something always on
    assert noon_export >= 5 and ev_nights >= 2
    fridge = [house.power(t, local(t))[0] for t in range(t0 + 2 * 3600, t0 + 4 * 3600, 60)]
    assert max(fridge) - min(fridge) > 80  # compressor cycles
    winter = Household(seed=0)
    jan = parse_start("2026-01-14T12:00:00")
    assert winter.gas_rate(jan, local(jan)) > 3 * winter.gas_rate(t0 + 12 * 3600, local(t0 + 12 * 3600))
    for t in range(t0, t0 + 86400, 997):
        for v in house.voltages(t, house.power(t, local(t))):
            assert 225 <= v <= 240


def test_deterministic_for_a_seed():
    a = run("be", "2026-09-01T07:00:00", 300, seed=11)
    b = run("be", "2026-09-01T07:00:00", 300, seed=11)
    c = run("be", "2026-09-01T07:00:00", 300, seed=12)
    assert a == b
    assert [w for w, _ in a] != [w for w, _ in c]
    # The household is a function of time: a later start sees the same power.
    later = run("be", "2026-09-01T07:02:00", 10, seed=11)
    assert [e["values"]["power_import_w"] for _, e in later] == \
        [e["values"]["power_import_w"] for _, e in a[120:130]]


# -- command line ----------------------------------------------------------------------------


def spawn(*args, **kw):
    env = dict(os.environ, PYTHONPATH=str(TOOLS))
    return subprocess.Popen([sys.executable, "-c", MAIN, *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def read_log(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_pty_delivers_telegrams(tmp_path):
    link = tmp_path / "p1"
    log = tmp_path / "log.jsonl"
    proc = spawn("--out", f"pty:{link}", "--profile", "be", "--speed", "20", "--count", "30",
                 "--seed", "3", "--start", "2026-05-02T10:00:00", "--log", str(log))
    try:
        line = proc.stdout.readline().decode()
        assert re.fullmatch(r"pty: /dev/pts/\d+\n", line)
        path = line.split()[1]
        assert os.path.realpath(link) == path
        fd = os.open(link, os.O_RDONLY | os.O_NOCTTY)
        data = b""
        deadline = time.monotonic() + 20
        while len(FRAME.findall(data)) < 30 and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                data += os.read(fd, 65536)
        os.close(fd)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
    frames = FRAME.findall(data)
    entries = read_log(log)
    assert len(frames) == len(entries) == 30, proc.stderr.read().decode()
    assert [e["n"] for e in entries] == list(range(1, 31))
    for wire, entry in zip(frames, entries):
        assert entry["corrupt"] is False
        check_telegram("be", wire, entry)
    assert not os.path.lexists(link)  # removed on exit


def test_tcp_streams_to_clients(tmp_path):
    import socket
    log = tmp_path / "log.jsonl"
    proc = spawn("--out", "tcp://127.0.0.1:0", "--profile", "nl5", "--speed", "10",
                 "--count", "40", "--start", "2026-08-08T08:08:00", "--log", str(log))
    try:
        line = proc.stdout.readline().decode()
        host, port = re.fullmatch(r"tcp: (\S+):(\d+)\n", line).groups()
        sock = socket.create_connection((host, int(port)), timeout=10)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        sock.close()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
    # A client gets whole telegrams from when it connected on, none missing.
    assert data.startswith(b"/")
    frames = FRAME.findall(data)
    entries = read_log(log)
    assert len(entries) == 40 and 10 <= len(frames) and b"".join(frames) == data
    first = len(entries) - len(frames)
    for wire, entry in zip(frames, entries[first:]):
        check_telegram("nl5", wire, entry)


def test_stdout_count_and_corruption(tmp_path):
    log = tmp_path / "log.jsonl"
    proc = spawn("--out", "-", "--profile", "nl4", "--speed", "5000", "--count", "60",
                 "--corrupt", "0.4", "--seed", "9", "--log", str(log))
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    entries = read_log(log)
    assert len(entries) == 60
    chunks = out.split(b"/")[1:]  # corruption never adds or removes a '/'
    assert len(chunks) == 60
    bad = 0
    for chunk, entry in zip(chunks, entries):
        if entry["corrupt"]:
            bad += 1
            with pytest.raises((ParseError, InvalidChecksumError)):
                PARSERS["nl4"].parse((b"/" + chunk).decode("ascii"), throw_ex=True)
        else:
            check_telegram("nl4", b"/" + chunk, entry)
    assert 10 <= bad <= 40


def test_fast_fills_history_then_keeps_pace(tmp_path):
    """--fast 600 at --speed 1: ten minutes of telegrams at once, then one a second."""
    log = tmp_path / "log.jsonl"
    proc = spawn("--out", "-", "--profile", "be", "--speed", "1", "--fast", "600", "--count", "603",
                 "--start", "2026-07-01T00:00:00", "--log", str(log))
    start = time.monotonic()
    out, err = proc.communicate(timeout=60)
    took = time.monotonic() - start
    assert proc.returncode == 0, err
    entries = read_log(log)
    assert len(entries) == 603 and entries[600]["t"].startswith("2026-07-01T00:10:00")
    assert 2 <= took < 30  # 600 simulated seconds did not take 600 real ones; the last 3 did


def test_stdout_nl22_parity():
    proc = spawn("--out", "-", "--profile", "nl22", "--speed", "1000", "--count", "5")
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert any(b & 0x80 for b in out)
    frames = FRAME.findall(strip_parity("nl22", out))
    assert len(frames) == 5
    for text in frames:
        PARSERS["nl22"].parse(text.decode("ascii"), throw_ex=True)


@pytest.mark.parametrize("args,message", [
    (["--start", "2026-03-29T02:30:00"], "does not exist"),
    (["--out", "udp://x"], "expected pty"),
    (["--speed", "0"], "--speed"),
])
def test_cli_errors(args, message):
    proc = spawn("--out", "-", "--count", "1", *args)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2 and message in err.decode() and out == b""


# -- replay ----------------------------------------------------------------------------


def test_replay_sends_given_telegrams_in_turn(tmp_path):
    one = run("be", "2026-05-02T10:00:00", 1)[0][0]
    two = run("nl22", "2026-05-02T10:00:00", 1)[0][0]
    two = strip_parity("nl22", two)
    records = tmp_path / "telegrams.json"
    records.write_text(json.dumps({"telegrams": [{"id": "a", "text": one.decode()},
                                                 {"id": "b", "text": two.decode()}]}))
    raw = tmp_path / "telegrams.txt"
    raw.write_bytes(one + two)
    log = tmp_path / "log.jsonl"
    for path in (records, raw):
        proc = spawn("--out", "-", "--replay", str(path), "--interval", "0.01", "--count", "5",
                     "--log", str(log))
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert out == one + two + one + two + one
    assert [e["values"]["replay"] for e in read_log(log)] == [0, 1, 0, 1, 0] * 2
    proc = spawn("--out", "-", "--replay", str(raw), "--parity", "--interval", "0.01",
                 "--count", "2")
    out, _ = proc.communicate(timeout=20)
    assert strip_parity("nl22", out) == one + two and out != one + two  # 7E1: bit 7 is parity
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"no telegram here")
    proc = spawn("--out", "-", "--replay", str(empty), "--count", "1")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2 and b"no telegrams" in err and out == b""


def test_totals_only_profiles_send_no_tariffs():
    for profile in ("lu", "se"):
        wire, entry = run(profile, "2026-02-03T04:05:06", 1)[0]
        text = wire.decode("ascii")
        assert "1-0:1.8.0(" in text and "1-0:2.8.0(" in text and "1-0:1.8.1(" not in text
        assert "0-0:96.14.0" not in text and "active_tariff" not in entry["values"]
        assert ("0-0:42.0.0(" in text) == (profile == "lu")
    wire, entry = run("nl5-mbus2", "2026-02-03T04:05:06", 1)[0]
    tg = parse("nl5-mbus2", wire)
    assert tg.get_mbus_device_by_channel(1).MBUS_EQUIPMENT_IDENTIFIER.value in ("", None)
    assert b"0-1:24.2.1(700101010000W)(00000000)" in wire
    assert entry["values"]["gas_unique_id"] == tg.get_mbus_device_by_channel(2) \
        .MBUS_EQUIPMENT_IDENTIFIER.value
