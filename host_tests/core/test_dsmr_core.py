"""Framer, parser and HomeWizard encoding. Runs under CPython (pytest) and under the
MicroPython unix port (host_tests/mp_run.py): plain asserts, no pytest imports."""

import json
import sys

from firmware.core import homewizard
from firmware.core import dsmr
from host_tests.core.samples import BE, NL5, NL22, TELEGRAMS, wire, with_parity


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
    assert homewizard.meter_model(r) == "53769484_A"


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
    assert dsmr.row_of(dsmr.obis_key(b"0-0:17.0.0", 0, 10)) == -1  # no field: skipped


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


def test_a_crc_less_telegram_counts_until_the_line_sent_a_crc():
    plain = wire(BE, crc=False)
    f, out = frame_all(plain + TELEGRAMS["be"] + plain + TELEGRAMS["nl5"])
    assert [t for t, r in out] == [plain, TELEGRAMS["be"], TELEGRAMS["nl5"]]
    assert out[0][1].get("power_import_kw") == 1234 and not out[0][1].crc
    assert f.bad == 1 and f.crc_required


def test_a_crc_less_telegram_must_be_well_formed():
    good = wire(NL22, crc=False)
    cut = TELEGRAMS["be"].find(b"*kW)") + 3
    broken = [
        TELEGRAMS["be"][:cut] + b"!\r\n",  # a ')' turned into '!': the line is cut
        good.replace(b"/ISk5", b"/ISkX"),  # no baud rate digit after the maker
        good.replace(b"003\r\n\r\n", b"003\r\n"),  # no empty line after the header
        good.replace(b"!\r\n", b"!\n"),  # '!' LF
        good.replace(b"\r\n!", b"!"),  # '!' at the end of a line
        good.replace(b"(0001)", b"(0001)x"),  # something after the value(s)
        good.replace(b"(0001)", b"(0001"),  # not closed
        good.replace(b"0-0:96.14.0", b"0-0:96.1x.0"),  # not an OBIS code
        good.replace(b"0-0:96.14.0(0001)", b"0-0:96.14.0"),  # no value
        good.replace(b"0-0:96.14.0(0001)\r\n", b"0-0:96.14.0(0001)\n"),  # LF only
        b"/ISk5\\2ME382-1003\r\n\r\n!\r\n",  # no lines
    ]
    for bad in broken:
        f, out = frame_all(bad + good)
        assert [t for t, r in out] == [good], bad
        assert f.bad == 1, bad
    f, out = frame_all(good)  # the DSMR 2.2 gas line continues on the next line
    assert out[0][1].get("gas_22", 3) == 4042


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
    f, out = frame_all(wire(text))
    r = out[0][1]
    assert not r.has("power_import_kw") and not r.has("active_voltage_l1_v")
    assert r.get("power_export_kw") == 2193


# From dsmr_parser's test suite (ndokter/dsmr_parser, test/example_telegrams.py,
# TELEGRAM_V5_TWO_MBUS, shortened): an empty M-Bus channel 1, the gas meter on 2.
TWO_MBUS = """/ISK5\\2M550T-1012

1-3:0.2.8(50)
0-0:1.0.0(200426223325S)
0-0:96.1.1(4530303434303037333832323436303139)
1-0:1.8.1(002130.115*kWh)
1-0:1.7.0(00.111*kW)
0-1:24.1.0(003)
0-1:96.1.0()
0-1:24.2.1(700101010000W)(00000000)
0-2:24.1.0(003)
0-2:96.1.0(4730303339303031393336393930363139)
0-2:24.2.1(200426223001S)(00246.138*m3)
!"""


def test_an_empty_mbus_channel_is_not_the_gas_meter():
    r = frame_all(wire(TWO_MBUS))[1][0][1]
    assert r.get("gas", 3) == 246138 and r.get("gas", 0) == 200426
    assert r.text_of("gas_unique_id") == "4730303339303031393336393930363139"
    d = json.loads("".join(homewizard.pieces(r)))
    assert d["total_gas_m3"] == 246.138 and d["gas_timestamp"] == 200426223001
    # the placeholder alone, or beside a water meter: no gas
    alone = TWO_MBUS.split("0-2:24.1.0")[0] + "!"
    water = TWO_MBUS.replace("0-2:24.1.0(003)", "0-2:24.1.0(007)")
    for text in (alone, water):
        r = frame_all(wire(text))[1][0][1]
        assert not r.has("gas") and not r.has("gas_device_type")
        assert "total_gas_m3" not in json.loads("".join(homewizard.pieces(r)))
    # two real gas meters: the first one
    both = TWO_MBUS.replace("0-1:96.1.0()", "0-1:96.1.0(4730)").replace(
        "(700101010000W)(00000000)", "(200426220000S)(00011.000*m3)")
    r = frame_all(wire(both))[1][0][1]
    assert r.get("gas", 3) == 11000 and r.text_of("gas_unique_id") == "4730"
    # a heat meter on channel 1 (device type 004, GJ) is no gas meter either
    heat = TWO_MBUS.replace("0-1:24.1.0(003)", "0-1:24.1.0(004)").replace(
        "0-1:96.1.0()", "0-1:96.1.0(621848012D2C0B0C)").replace(
        "(700101010000W)(00000000)", "(200426223001S)(240.860*GJ)")
    p = dsmr.Parser()
    r = dsmr.Reading()
    text = wire(heat)
    assert p.parse(bytearray(text), len(text), r) and p.field_errors == 0
    assert r.get("gas", 3) == 246138


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


# From dsmr_parser's test suite (TELEGRAM_V3, shortened): a gas reading of 2009, and
# dsmr-reader's (dsmr_datalogger/tests/datalogger/test_luxembourg_smarty.py): totals only.
V3 = """/ISk5\\2MT382-1000

0-0:96.1.1(4B384547303034303436333935353037)
1-0:1.8.1(12345.678*kWh)
1-0:1.7.0(001.19*kW)
0-0:17.0.0(016*A)
0-1:96.1.0(3232323241424344313233343536373839)
0-1:24.1.0(03)
0-1:24.3.0(090212160000)(00)(60)(1)(0-1:24.2.1)(m3)
(00001.001)
0-1:24.4.0(1)
!"""
LUX = """/Lux5\\ABCDEFG123_D

1-3:0.2.8(42)
0-0:1.0.0(191031142239W)
0-0:42.0.0(12345678901234567890123456789012)
1-0:1.8.0(005675.956*kWh)
1-0:2.8.0(000000.002*kWh)
1-0:3.8.0(000120.721*kvarh)
1-0:1.7.0(03.074*kW)
1-0:2.7.0(00.000*kW)
0-0:17.0.0(27.600*kVA)
!"""


def test_every_number_is_valid_json():
    r = frame_all(wire(V3, crc=False))[1][0][1]
    body = "".join(homewizard.pieces(r))
    assert '"gas_timestamp":90212160000' in body  # not 090212160000
    d = json.loads(body)
    assert d["gas_timestamp"] == 90212160000 and d["total_gas_m3"] == 1.001
    assert d["external"][0]["timestamp"] == 90212160000
    assert d["unique_id"] == "4B384547303034303436333935353037"
    be = BE.replace("1-0:1.6.0(261104183000W)", "1-0:1.6.0(090104183000W)")
    d = json.loads("".join(homewizard.pieces(frame_all(wire(be))[1][0][1])))
    assert d["montly_power_peak_timestamp"] == 90104183000
    # negative and small numbers, and text that needs escaping
    assert json.loads(homewizard.decimal(-5, 3)) == -0.005
    assert json.loads(homewizard._string('a"b\\c\x01')) == 'a"b\\c\x01'
    d = json.loads("".join(homewizard.pieces(r, wifi_ssid='my "wifi"\t', wifi_strength=-60)))
    assert d["wifi_ssid"] == 'my "wifi"\t' and d["wifi_strength"] == -60


def test_totals_come_from_the_total_registers_when_sent():
    r = frame_all(wire(LUX))[1][0][1]
    assert r.get("total_power_import_kwh") == 5675956
    assert r.text_of("unique_id") == "12345678901234567890123456789012"  # 0-0:42.0.0
    assert dsmr.total(r, dsmr.IMPORT) == 5675956 and dsmr.total(r, dsmr.EXPORT) == 2
    d = json.loads("".join(homewizard.pieces(r)))
    assert d["total_power_import_kwh"] == 5675.956 and d["total_power_export_kwh"] == 0.002
    assert "total_power_import_t1_kwh" not in d and d["active_power_w"] == 3074
    # the sum of the tariffs without them; the total wins when both are sent
    r = one("be")
    assert dsmr.total(r, dsmr.IMPORT) == 812034 + 1015758
    both = BE.replace("1-0:1.8.1", "1-0:1.8.0(001827.000*kWh)\n1-0:1.8.1")
    r = frame_all(wire(both))[1][0][1]
    assert dsmr.total(r, dsmr.IMPORT) == 1827000
    assert dsmr.total(dsmr.Reading(), dsmr.EXPORT) == -1


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
