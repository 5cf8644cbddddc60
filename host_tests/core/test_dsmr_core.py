"""Framer, parser and HomeWizard encoding. Runs under CPython (pytest) and under the
MicroPython unix port (host_tests/mp_run.py): plain asserts, no pytest imports."""

import json
import sys

from firmware.core import homewizard
from firmware.core import dsmr
from host_tests.core.samples import BE, NL4, NL5, NL22, TELEGRAMS, wire, with_parity


def frame_all(data, step=None, mask7=False, size=dsmr.MAX_TELEGRAM):
    """Feed data in chunks of `step` bytes; returns (framer, [(telegram bytes, reading)])."""
    f = dsmr.Framer(size, mask7=mask7)
    p = dsmr.Parser()
    out = []
    step = step or len(data)
    for at in range(0, len(data), step):
        chunk = bytearray(data[at:at + step])
        pos = 0
        while pos < len(chunk):
            pos = f.feed(chunk, pos, len(chunk))
            if f.ready:
                r = dsmr.Reading()
                tel = bytes(f.buf[:f.length])
                ok = p.parse(f.buf, f.length, r)
                r.buf = bytearray(tel)  # keep the text fields readable after done()
                out.append((tel, r if ok else None))
                f.done()
    return f, out


def one(profile, **kw):
    f, out = frame_all(TELEGRAMS[profile], **kw)
    assert len(out) == 1, out
    assert out[0][1] is not None
    return out[0][1]


def test_crc16_reference_value():
    assert dsmr.crc16(b"123456789") == 0xBB3D  # CRC-16/ARC check value


def test_belgian_fields():
    r = one("be")
    assert r.crc
    assert r.values[dsmr.SLOT[dsmr.ROW_TS]:dsmr.SLOT[dsmr.ROW_TS] + 3] == [261121, 143015, 0]
    assert r.get("total_power_import_t1_kwh") == 812034
    assert r.get("total_power_export_t2_kwh") == 87011
    assert r.get("power_import_kw") == 1234
    assert r.get("active_power_average_kw") == 2351
    assert r.get("montly_power_peak", 3) == 4589
    assert r.get("montly_power_peak", 0) == 261104
    assert r.get("active_voltage_l2_v") == 2321
    assert r.get("active_current_l1_a") == 340
    assert r.get("gas_be", 3) == 1112384
    assert r.get("active_tariff") == 1
    assert r.text_of("unique_id") == "3153414733313031303231363035"
    assert r.text_of("gas_unique_id_be") == "37464C4F32313139303333373333"
    assert r.text_of("peak_history").startswith("(2)(1-0:1.6.0)")
    assert r.header_text() == "FLU5\\253769484_A"


def test_dutch_fields():
    r = one("nl5")
    assert r.get("smr_version") == 50
    assert r.get("power_export_kw") == 2193
    assert r.get("active_current_l1_a") == 1100  # integer amps, kept with 2 decimals
    assert r.get("any_power_fail_count") == 4
    assert r.get("voltage_sag_l1_count") == 2
    assert r.get("gas", 3) == 1234567
    assert r.values[dsmr.SLOT[dsmr.ROW_TS] + 2] == 1  # summer time
    assert not r.has("active_power_average_kw")
    r = one("nl4")
    assert r.get("smr_version") == 42
    assert r.get("gas", 3) == 290163


def test_dsmr22_without_crc_timestamp_or_7e1():
    f, out = frame_all(with_parity(TELEGRAMS["nl22"]), mask7=True)
    assert len(out) == 1 and out[0][1] is not None
    r = out[0][1]
    assert not r.crc and not r.has("timestamp")
    assert r.get("power_import_kw") == 980
    assert r.get("gas_22", 3) == 4042
    assert r.values[dsmr.SLOT[dsmr.row("gas_22")] + 2] == -1  # no S/W flag in 2.2
    assert not r.has("limiter_kw")  # 999*A does not fit a kW row: left out


def test_any_chunking_gives_the_same_telegrams():
    stream = b"noise" + TELEGRAMS["be"] + TELEGRAMS["nl5"] + b"\r\n" + TELEGRAMS["nl4"]
    for step in (1, 3, 7, 64, 500, len(stream)):
        f, out = frame_all(stream, step)
        assert [t for t, r in out] == [TELEGRAMS["be"], TELEGRAMS["nl5"], TELEGRAMS["nl4"]]
        assert f.good == 3 and f.bad == 0


def test_bad_crc_is_dropped_and_counted():
    bad = bytearray(TELEGRAMS["be"])
    i = bad.find(b"1-0:1.7.0(01.234") + 11
    bad[i] = ord("9")
    f, out = frame_all(bytes(bad) + TELEGRAMS["be"])
    assert len(out) == 1 and f.bad == 1 and f.good == 1


def test_resync_on_slash_after_truncation():
    cut = TELEGRAMS["be"][:300]
    f, out = frame_all(cut + TELEGRAMS["nl5"])
    assert [t for t, r in out] == [TELEGRAMS["nl5"]]
    assert f.bad == 1


def test_oversize_is_counted_and_the_next_one_read():
    f, out = frame_all(TELEGRAMS["be"] + TELEGRAMS["nl5"], step=100, size=900)
    assert f.oversize == 1
    assert [t for t, r in out] == [TELEGRAMS["nl5"]]


def test_missing_crc_is_rejected_on_115200_lines():
    f, out = frame_all(wire(BE, crc=False) + TELEGRAMS["be"])
    assert len(out) == 1 and f.bad == 1
    # a ')' turned into '!' looks like a CRC-less telegram: it must not pass
    cut = TELEGRAMS["be"].find(b"*kW)") + 3
    f, out = frame_all(TELEGRAMS["be"][:cut] + b"!\r\n" + TELEGRAMS["be"])
    assert len(out) == 1 and f.bad == 1


def test_missing_crc_after_a_crc_was_seen_is_rejected_on_7e1_lines():
    f, out = frame_all(TELEGRAMS["be"] + wire(BE, crc=False), mask7=True)
    assert len(out) == 1 and f.bad == 1


def test_crc_telegram_without_timestamp_is_unusable():
    text = BE.replace("0-0:1.0.0(261121143015W)\n", "")
    f, out = frame_all(wire(text))
    assert len(out) == 1 and out[0][1] is None


def test_malformed_values_are_left_out_not_guessed():
    text = (NL5.replace("1-0:1.7.0(00.000*kW)", "1-0:1.7.0(00.000*W)")
            .replace("1-0:32.7.0(238.1*V)", "1-0:32.7.0(23x.1*V)")
            .replace("0-0:1.0.0(260701121510S)", "0-0:1.0.0(260701121510S)\n1-0:9.9.9(1)"))
    p = dsmr.Parser()
    f, out = frame_all(wire(text))
    r = out[0][1]
    assert not r.has("power_import_kw") and not r.has("active_voltage_l1_v")
    assert r.get("power_export_kw") == 2193


def test_gas_meter_found_on_any_mbus_channel():
    text = NL5.replace("0-1:24.1.0(003)", "0-1:24.1.0(007)\n0-1:24.2.1(260701121500S)(00042.000*m3)\n"
                       "0-2:24.1.0(003)").replace("0-1:96.1.0", "0-2:96.1.0").replace("0-1:24.2.1(2607011215", "0-2:24.2.1(2607011215")
    r = frame_all(wire(text))[1][0][1]
    assert r.get("gas", 3) == 1234567  # the water meter on channel 1 is not gas


def test_homewizard_data_matches_the_telegram():
    d = json.loads("".join(homewizard.pieces(one("be"), wifi_ssid="home")))
    assert d["unique_id"] == "3153414733313031303231363035"
    assert d["smr_version"] == 50
    assert d["meter_model"] == "53769484_A"
    assert d["wifi_ssid"] == "home"
    assert d["total_power_import_t1_kwh"] == 812.034
    assert d["total_power_import_kwh"] == 1827.792
    assert d["total_power_export_kwh"] == 317.111
    assert d["active_power_w"] == 1234
    assert d["active_power_l1_w"] == 800
    assert d["active_voltage_l1_v"] == 234.7
    assert d["active_current_l1_a"] == 3.4
    assert d["active_power_average_w"] == 2351
    assert d["montly_power_peak_w"] == 4589
    assert d["montly_power_peak_timestamp"] == 261104183000
    assert d["total_gas_m3"] == 1112.384
    assert d["gas_timestamp"] == 261121142500
    assert d["gas_unique_id"] == "37464C4F32313139303333373333"
    assert d["external"] == [{"unique_id": "37464C4F32313139303333373333", "type": "gas_meter",
                              "timestamp": 261121142500, "value": 1112.384, "unit": "m3"}]
    d = json.loads("".join(homewizard.pieces(one("nl5"))))
    assert d["active_power_w"] == -2193 and d["active_power_l1_w"] == -2840
    assert "montly_power_peak_w" not in d


def test_decimal_text_is_exact():
    assert homewizard.decimal(12345678, 3) == "12345.678"
    assert homewizard.decimal(5, 3) == "0.005"
    assert homewizard.decimal(-1205, 1) == "-120.5"
    assert homewizard.decimal(42, 0) == "42"


def test_parsing_allocates_nothing_on_micropython():
    import gc

    if not hasattr(gc, "mem_alloc"):
        return  # CPython: nothing to measure
    data = bytearray(TELEGRAMS["be"])
    f = dsmr.Framer()
    f.feed(data, 0, len(data))
    p = dsmr.Parser()
    r = dsmr.Reading()
    p.parse(f.buf, f.length, r)
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    ok = p.parse(f.buf, f.length, r)
    used = gc.mem_alloc() - before
    gc.enable()
    assert ok and used == 0, used


def test_field_names_are_found_by_their_hash():
    """The table keeps a 16-bit hash per field name, not the names: no two may share one."""
    assert len(set(dsmr.NAME_HASHES)) == dsmr.N_FIELDS
    assert dsmr.row("timestamp") == dsmr.ROW_TS
    try:
        dsmr.row("no_such_field")
        raise AssertionError("a name that is not in the table was found")
    except KeyError:
        pass


def test_framing_and_keeping_allocate_a_view_per_piece_on_micropython():
    """Framing a telegram and keeping its texts allocate only memoryview slices (one per
    chunk fed and per text kept), no tuples, no copies: a few dozen bytes, whatever the
    telegram's size."""
    import gc

    if not hasattr(gc, "mem_alloc"):
        return
    data = bytearray(TELEGRAMS["be"])
    f = dsmr.Framer()
    p = dsmr.Parser()
    r = dsmr.Reading()
    f.feed(data, 0, len(data))
    p.parse(f.buf, f.length, r)
    r.keep()
    f.done()
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    f.feed(data, 0, len(data))
    p.parse(f.buf, f.length, r)
    r.keep()
    used = gc.mem_alloc() - before
    gc.enable()
    kinds = (dsmr.KINDS.index("text"), dsmr.KINDS.index("raw"))
    texts = sum(1 for i in range(dsmr.N_FIELDS) if r.present[i] and dsmr.KIND[i] in kinds)
    views = 4 + texts  # the chunk's slices (to '!', the CRC line), keep()'s view, header, texts
    assert f.ready and used <= views * (16 if sys.maxsize < 2 ** 32 else 32), (used, texts)
