"""Month peak: own tracking, the meter's 1-0:1.6.0 / 0-0:98.1.0, and their comparison.
Runs under CPython (pytest) and under the MicroPython unix port (host_tests/mp_run.py):
plain asserts, no pytest imports."""

from firmware.core import clock, dsmr, meterpeak, peak
from host_tests.core.samples import TELEGRAMS

HISTORY = ("(2)(1-0:1.6.0)(1-0:1.6.0)(261001000000S)(260917194500S)(05.120*kW)"
           "(261101000000W)(261022081500S)(03.695*kW)")


def q(yymmdd, hhmmss, dst):
    return clock.quarter_id(yymmdd, hhmmss, dst)


def values(yymmdd, hhmmss, dst, w):
    """Reading.values with a montly_power_peak at slot 2 (other slots are noise)."""
    return [7, 7, yymmdd, hhmmss, dst, w, 7]


def label(instant, switch, spring):
    """The meter's (yymmdd, hhmmss, dst) of an instant (minutes since 2000 UTC) on a
    switch day: summer time from the spring switch, winter time from the autumn one."""
    dst = 1 if (instant >= switch) == spring else 0
    local = instant + 60 + 60 * dst
    y, m, d = meterpeak.civil_from_days(local // 1440)
    mins = local % 1440
    return (y - 2000) * 10000 + m * 100 + d, mins // 60 * 10000 + mins % 60 * 100, dst


# ---- own peak ----
def test_empty_peak():
    p = peak.MonthPeak()
    assert p.month is None and p.power == -1 and p.quarter_id == 0
    assert p.to_json_obj() is None and p.pair() is None


def test_keeps_the_max():
    p = peak.MonthPeak()
    assert p.offer(q(261103, 100000, 0), 1200, "energy")
    assert p.month == (2026, 11)
    assert p.offer(q(261103, 101500, 0), 2500, "energy")
    assert not p.offer(q(261103, 103000, 0), 2400, "energy")
    assert p.to_json_obj() == {"quarter_id": q(261103, 101500, 0), "power": 2500}
    assert p.offer(q(261120, 180000, 0), 2501, "slots")
    assert p.power == 2501 and p.source == "slots" and p.quarter_id == q(261120, 180000, 0)


def test_equal_power_keeps_the_earlier_quarter():
    p = peak.MonthPeak()
    early = q(261103, 100000, 0)
    late = q(261110, 100000, 0)
    assert p.offer(early, 3000, "energy")
    assert not p.offer(late, 3000, "energy")
    assert p.quarter_id == early
    p = peak.MonthPeak()  # offered out of order (e.g. reloaded from the SD card)
    p.offer(late, 3000, "energy")
    assert p.offer(early, 3000, "energy") and p.quarter_id == early


def test_zero_and_missing_power():
    p = peak.MonthPeak()
    assert not p.offer(q(261103, 100000, 0), None, "energy")
    assert p.month == (2026, 11) and p.power == -1
    assert p.offer(q(261103, 101500, 0), 0, "energy")  # a quarter of pure export
    assert p.to_json_obj() == {"quarter_id": q(261103, 101500, 0), "power": 0}


def test_month_resets_at_the_meters_local_month_start():
    p = peak.MonthPeak()
    last = q(261031, 234500, 0)  # 23:45-24:00 on the last day: still October
    p.offer(q(261012, 190000, 1), 4000, "energy")
    assert not p.offer(last, 3000, "energy")
    assert p.month == (2026, 10) and p.power == 4000
    assert p.offer(q(261101, 0, 0), 800, "energy")  # 00:00 on the 1st: November
    assert p.month == (2026, 11) and p.power == 800 and p.quarter_id == q(261101, 0, 0)
    # a late quarter of October is ignored
    assert not p.offer(last, 9000, "energy")
    assert p.month == (2026, 11) and p.power == 800
    # a new year
    p.offer(q(261231, 234500, 0), 5000, "energy")
    assert p.month == (2026, 12)
    assert p.offer(q(270101, 0, 0), 100, "slots")
    assert p.month == (2027, 1) and p.power == 100


def test_new_month_without_power_still_resets():
    p = peak.MonthPeak()
    p.offer(q(261031, 120000, 0), 4000, "energy")
    assert p.offer(q(261101, 0, 0), None, "energy")  # the month changed
    assert p.month == (2026, 11) and p.to_json_obj() is None


# ---- calendar ----
def test_civil_from_days_round_trips():
    for days in range(-800, 40000, 3):
        y, m, d = meterpeak.civil_from_days(days)
        assert clock._days_from_civil(y, m, d) == days, days
    assert meterpeak.civil_from_days(0) == (2000, 1, 1)
    assert meterpeak.civil_from_days(clock._days_from_civil(2024, 2, 29)) == (2024, 2, 29)
    assert meterpeak.civil_from_days(clock._days_from_civil(2024, 3, 1) - 1) == (2024, 2, 29)
    assert meterpeak.civil_from_days(clock._days_from_civil(2100, 3, 1) - 1) == (2100, 2, 28)


# ---- the meter's 1-0:1.6.0 ----
def test_meter_peak_ends_the_quarter_before_its_stamp():
    assert meterpeak.meter_peak(values(261104, 183000, 0, 4589), 2) == (q(261104, 181500, 0), 4589)
    # a stamp a few seconds late still names the same quarter
    assert meterpeak.meter_peak(values(261104, 183004, 0, 4589), 2)[0] == q(261104, 181500, 0)
    assert meterpeak.meter_peak(values(261104, 1500, 0, 100), 2)[0] == q(261104, 0, 0)


def test_meter_peak_across_midnight_month_and_year():
    assert meterpeak.meter_peak(values(261104, 0, 0, 1000), 2)[0] == q(261103, 234500, 0)
    assert meterpeak.meter_peak(values(261101, 0, 0, 1000), 2)[0] == q(261031, 234500, 0)
    assert meterpeak.meter_peak(values(270101, 0, 0, 1000), 2)[0] == q(261231, 234500, 0)
    assert meterpeak.meter_peak(values(240301, 0, 0, 1000), 2)[0] == q(240229, 234500, 0)
    assert meterpeak.meter_peak(values(260801, 0, 1, 1000), 2)[0] == q(260731, 234500, 1)


def test_meter_peak_on_the_dst_days():
    # autumn 2026-10-25: 02:00-03:00 happens twice, first S then W
    assert meterpeak.meter_peak(values(261025, 30000, 0, 900), 2)[0] == q(261025, 24500, 0)
    assert meterpeak.meter_peak(values(261025, 30000, 1, 900), 2)[0] == q(261025, 24500, 1)
    assert meterpeak.meter_peak(values(261025, 20000, 0, 900), 2)[0] == q(261025, 24500, 1)
    assert meterpeak.meter_peak(values(261025, 21500, 0, 900), 2)[0] == q(261025, 20000, 0)
    assert meterpeak.meter_peak(values(261025, 20000, 1, 900), 2)[0] == q(261025, 14500, 1)
    # spring 2026-03-29: 01:45 W is followed by 03:00 S
    assert meterpeak.meter_peak(values(260329, 30000, 1, 900), 2)[0] == q(260329, 14500, 0)
    assert meterpeak.meter_peak(values(260329, 31500, 1, 900), 2)[0] == q(260329, 30000, 1)
    assert meterpeak.meter_peak(values(260329, 14500, 0, 900), 2)[0] == q(260329, 13000, 0)
    # other years' switch days (last Sundays) and an ordinary 03:00 S
    assert meterpeak.quarter_ending(250330, 30000, 1) == q(250330, 14500, 0)
    assert meterpeak.quarter_ending(241027, 30000, 1) == q(241027, 24500, 1)
    assert meterpeak.quarter_ending(250406, 30000, 1) == q(250406, 24500, 1)
    # no flag: the EU rule decides
    assert meterpeak.quarter_ending(260715, 120000, -1) == q(260715, 114500, 1)
    assert meterpeak.quarter_ending(260115, 120000, -1) == q(260115, 114500, 0)


def test_every_quarter_end_around_the_switches():
    # each instant labelled as the meter labels it names the quarter 15 minutes before
    for y, m, d, spring in ((2026, 3, 29, True), (2026, 10, 25, False)):
        switch = (clock._days_from_civil(y, m, d) * 24 + 1) * 60  # 01:00 UTC
        for end in range(switch - 180, switch + 181, 15):
            qid = meterpeak.quarter_ending(*label(end, switch, spring))
            assert qid == clock.quarter_id(*label(end - 15, switch, spring)), (m, end - switch)
            assert clock.minutes(qid) == end - 15


def test_no_meter_peak_yet():
    assert meterpeak.meter_peak(values(261101, 0, 0, 0), 2) is None
    assert meterpeak.meter_peak([0] * 8, 2) is None  # never parsed
    assert meterpeak.meter_peak(values(261131, 120000, 0, 1000), 2) is None  # no 31 Nov
    assert meterpeak.quarter_ending(1301, 120000, 0) is None
    assert meterpeak.quarter_ending(101, 0, 0) is None  # before 2000


def test_meter_peak_from_a_belgian_telegram():
    buf = bytearray(TELEGRAMS["be"])
    r = dsmr.Reading()
    assert dsmr.Parser().parse(buf, len(buf), r)
    slot = dsmr.SLOT[dsmr.row("montly_power_peak")]
    assert meterpeak.meter_peak(r.values, slot) == (q(261104, 181500, 0), 4589)
    assert meterpeak.parse_history(r.text_of("peak_history")) == [
        (2609, q(260917, 193000, 1), 5120), (2610, q(261022, 80000, 1), 3695)]


# ---- the meter's 0-0:98.1.0 ----
def test_parse_history():
    got = meterpeak.parse_history(HISTORY)
    # each month stamp is the start of the month AFTER the one it reports
    assert got == [(2609, q(260917, 193000, 1), 5120), (2610, q(261022, 80000, 1), 3695)]
    # a month that ended with its peak in the last quarter, and one without a peak
    text = ("(3)(1-0:1.6.0)(1-0:1.6.0)(260101000000W)(260101000000W)(02.5*kW)"
            "(260201000000W)(260201000000W)(00.000*kW)(260301000000W)(260210171500W)(4.2*KW)")
    assert meterpeak.parse_history(text) == [(2512, q(251231, 234500, 0), 2500), (2601, None, 0),
                                             (2602, q(260210, 170000, 0), 4200)]
    assert meterpeak.parse_history("(0)(1-0:1.6.0)(1-0:1.6.0)") == []
    assert meterpeak.parse_history("(0)(1-0:1.6.0)(1-0:1.6.0)()") == []


def test_parse_history_tolerates_garbage():
    for bad in ("", None, "garbage", "(", ")(", "(x)", "(2)", "((((", "(2)(1-0:1.6.0)",
                "(99999999999999999999)", b"(2)", 12, "(-1)(1-0:1.6.0)(1-0:1.6.0)"):
        assert meterpeak.parse_history(bad) == [], bad
    # what parsed before the fault is kept
    cut = HISTORY[:HISTORY.find("(261022")] + "(2610220815S)(03.695*kW)"
    assert meterpeak.parse_history(cut) == [(2609, q(260917, 193000, 1), 5120)]
    cut = HISTORY[:-4]  # the last value lost its ')'
    assert meterpeak.parse_history(cut) == [(2609, q(260917, 193000, 1), 5120)]
    assert meterpeak.parse_history(HISTORY.replace("05.120*kW", "05.120*kWh")) == []
    assert meterpeak.parse_history(HISTORY.replace("(2)", "(1)")) == [
        (2609, q(260917, 193000, 1), 5120)]
    assert meterpeak.parse_history(HISTORY.replace("(2)", "(5)")) == meterpeak.parse_history(HISTORY)
    assert meterpeak.parse_history(HISTORY.replace("260917", "260931")) == []

    # a month stamp that is no month ends the list there
    assert meterpeak.parse_history(HISTORY.replace("261101000000W", "261301000000W")) == [
        (2609, q(260917, 193000, 1), 5120)]


# Fluvius e-MUCS 1.7.1 meters' 0-0:98.1.0, from dsmr_parser's test suite
# (ndokter/dsmr_parser test/example_telegrams.py at fa20ee45, TELEGRAM_FLUVIUS_V171 and
# TELEGRAM_FLUVIUS_V171_ALT; also in ../shared/telegrams/dsmr_parser_examples.json)
FLUVIUS = ("(3)(1-0:1.6.0)(1-0:1.6.0)(200501000000S)(200423192538S)(03.695*kW)"
           "(200401000000S)(200305122139S)(05.980*kW)(200301000000S)(200210035421W)(04.318*kW)")
FLUVIUS_ALT = ("(4)(1-0:1.6.0)(1-0:1.6.0)(230801000000S)(632525252525W)(00.000*kW)"
               "(230901000000S)(230831181500S)(01.862*kW)(231001000000S)(230910183000S)(04.229*kW)"
               "(231101000000W)(231016130000S)(04.927*kW)")


def test_parse_history_of_real_fluvius_meters():
    # (200501000000S)(200423192538S)(03.695*kW) is April 2020's peak, sent in May
    got = meterpeak.parse_history(FLUVIUS)
    assert [(m, w) for m, _q, w in got] == [(2004, 3695), (2003, 5980), (2002, 4318)]
    for m, qid, _w in got:  # each peak lies in the month it is labelled with
        assert clock.month_of(qid) == (2000 + m // 100, m % 100)
    # July 2023 had no peak: its peak stamp is a placeholder, 0 kW
    got = meterpeak.parse_history(FLUVIUS_ALT)
    assert got == [(2307, None, 0), (2308, q(230831, 180000, 1), 1862),
                   (2309, q(230910, 181500, 1), 4229), (2310, q(231016, 124500, 1), 4927)]


# ---- own vs meter ----
def test_compare_agreeing():
    own = peak.MonthPeak()
    own.offer(q(261104, 181500, 0), 4595, "slots")
    res = meterpeak.compare(own, (q(261104, 181500, 0), 4589))
    assert res == {"own": {"quarter_id": q(261104, 181500, 0), "power": 4595},
                   "meter": {"quarter_id": q(261104, 181500, 0), "power": 4589},
                   "agree": True, "difference_w": 6}
    assert meterpeak.compare((1, 100), (1, 110))["agree"] is True


def test_compare_disagreeing():
    a = q(261104, 181500, 0)
    b = q(261104, 183000, 0)
    res = meterpeak.compare((a, 4600), (a, 4589))
    assert res["agree"] is False and res["difference_w"] == 11
    res = meterpeak.compare((b, 4589), (a, 4589))
    assert res["agree"] is False and res["difference_w"] == 0
    res = meterpeak.compare((a, 4000), (a, 4589))
    assert res["agree"] is False and res["difference_w"] == -589


def test_compare_missing():
    empty = peak.MonthPeak()
    res = meterpeak.compare(empty, (1, 100))
    assert res == {"own": None, "meter": {"quarter_id": 1, "power": 100},
                   "agree": None, "difference_w": None}
    res = meterpeak.compare((1, 100), None)
    assert res["own"] == {"quarter_id": 1, "power": 100} and res["meter"] is None
    assert res["agree"] is None and res["difference_w"] is None
    assert meterpeak.compare(None, None)["agree"] is None


def test_days_of_the_month():
    p = peak.MonthPeak()
    p.offer(q(261103, 100000, 0), 1200, "energy", 300, 0)
    p.offer(q(261103, 101500, 0), 2000, "energy", 500, 10)
    p.offer(q(261105, 80000, 0), 900, "slots", 225, 0)
    assert p.days() == [
        {"day": 3, "quarter_id": q(261103, 101500, 0), "power": 2000, "wh": 800, "export_wh": 10},
        {"day": 5, "quarter_id": q(261105, 80000, 0), "power": 900, "wh": 225, "export_wh": 0}]
    p.offer(q(261201, 0, 0), 100, "energy", 25, 0)  # a new month starts afresh
    assert [d["day"] for d in p.days()] == [1] and p.power == 100
