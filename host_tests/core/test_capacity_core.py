"""The capacity tariff's arithmetic (core.capacity): projection, headroom, the billed
month and the cost, against independent computations. Runs under CPython (pytest)
and under the MicroPython unix port (host_tests/mp_run.py): plain asserts."""

from firmware.core import capacity, clock, dsmr, peak
from firmware.core.quarter import Quarter
from host_tests.core.samples import BE, TELEGRAMS, wire

TARIFF = {"eur_per_kw_year": 40.4, "minimum_kw": 2.5}


def q(yymmdd, hhmmss, dst):
    return clock.quarter_id(yymmdd, hhmmss, dst)


def recorded(seconds, power):
    """A Quarter with a telegram at each of `seconds` of power(second) W."""
    quarter = Quarter()
    quarter.clear(q(261121, 101500, 0))
    for s in seconds:
        quarter.add(s, power(s), 0)
    return quarter


def slot_mean(seconds, power):
    """The quarter's average so far, the way the quarter file has it: the integer mean
    of each 5-second slot's integer mean."""
    slots = {}
    for s in seconds:
        slots.setdefault(s // 5, []).append(power(s))
    means = [sum(v) // len(v) for v in slots.values()]
    return sum(means) // len(means)


def best_rest(avg, elapsed, limit):
    """The highest whole W for the rest of the quarter with avg × elapsed + W × rest
    at most limit × 900, found by bisection (not by the formula)."""
    lo, hi = -10 ** 8, 10 ** 8
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if avg * elapsed + mid * (900 - elapsed) <= limit * 900:
            lo = mid
        else:
            hi = mid
    return lo


def load(s):  # a household: 400 W, a kettle of 2200 W from second 200 to 380
    return 400 + (2200 if 200 <= s < 380 else 0) + s % 7


def test_headroom_at_several_points_of_a_quarter():
    for last in (0, 1, 4, 199, 250, 450, 600, 897, 898):
        seconds = list(range(last + 1))
        quarter = recorded(seconds, load)
        avg = slot_mean(seconds, load)
        for limit in (2500, 3100, 4589):
            got = capacity.headroom_w(quarter, last, limit)
            assert got == best_rest(avg, last + 1, limit), (last, limit, got)
            # using exactly the headroom for the rest keeps the quarter at the limit
            assert avg * (last + 1) + got * (899 - last) <= limit * 900
            assert avg * (last + 1) + (got + 1) * (899 - last) > limit * 900


def test_headroom_with_gaps_and_a_meter_every_10_s():
    seconds = list(range(3, 600, 10))  # DSMR 4: a telegram every 10 s, from second 3
    quarter = recorded(seconds, load)
    assert capacity.headroom_w(quarter, 593, 3000) == best_rest(slot_mean(seconds, load), 594, 3000)


def test_headroom_below_zero_when_the_peak_is_lost():
    seconds = list(range(700))
    quarter = recorded(seconds, lambda s: 9000)
    got = capacity.headroom_w(quarter, 699, 2500)
    assert got < 0 and got == best_rest(9000, 700, 2500)


def test_the_limit_is_the_peak_at_least_the_minimum():
    minimum = capacity.minimum_w(TARIFF)
    assert minimum == 2500
    assert capacity.billed_w(2000, minimum) == 2500  # the peak below the minimum
    assert capacity.billed_w(None, minimum) == 2500  # no peak yet
    assert capacity.billed_w(3300, minimum) == 3300
    assert capacity.minimum_w({"minimum_kw": 0}) == 0
    assert capacity.minimum_w({"minimum_kw": 2}) == 2000
    seconds = list(range(300))
    quarter = recorded(seconds, lambda s: 1000)
    # a month peak of 2 kW counts as 2.5 kW: (2500 × 900 − 1000 × 300) / 600
    assert capacity.headroom_w(quarter, 299, capacity.billed_w(2000, minimum)) == 3250


def test_no_headroom_without_a_quarter_or_in_its_last_second():
    assert capacity.headroom_w(Quarter(), 10, 2500) is None
    empty = Quarter()
    empty.clear(q(261121, 101500, 0))
    assert capacity.headroom_w(empty, 10, 2500) is None
    full = recorded(range(900), load)
    assert capacity.headroom_w(full, 899, 2500) is None
    assert capacity.headroom_w(full, -1, 2500) is None
    assert full.projected_w(899, 100) == slot_mean(range(900), load)


def test_projection_is_the_ui_formula():
    for last in (0, 299, 450, 898):
        seconds = list(range(last + 1))
        quarter = recorded(seconds, load)
        avg = slot_mean(seconds, load)
        for now in (0, 350, 5000):
            e = last + 1
            want = (avg * e + now * (900 - e)) / 900
            got = quarter.projected_w(last, now)
            assert abs(got - want) <= 0.5, (last, now, got, want)
    assert recorded([5], load).projected_w(5, None) is None
    # at the headroom the projection is at the limit (or just under it)
    quarter = recorded(range(300), load)
    room = capacity.headroom_w(quarter, 299, 3000)
    assert 2999 <= quarter.projected_w(299, room) <= 3000


def test_quarter_end():
    assert capacity.quarter_end(q(261121, 103000, 0)) == "10:45"
    assert capacity.quarter_end(q(261121, 234500, 0)) == "00:00"
    assert capacity.quarter_end(q(260701, 124500, 1)) == "13:00"
    # spring 2026-03-29: 01:45 W is followed by 03:00 S
    assert capacity.quarter_end(q(260329, 14500, 0)) == "03:00"
    assert capacity.quarter_end(q(260329, 13000, 0)) == "01:45"
    assert capacity.quarter_end(q(260329, 30000, 1)) == "03:15"
    # autumn 2026-10-25: 02:45 S is followed by 02:00 W, 02:45 W by 03:00 W
    assert capacity.quarter_end(q(261025, 24500, 1)) == "02:00"
    assert capacity.quarter_end(q(261025, 24500, 0)) == "03:00"
    assert capacity.quarter_end(q(261018, 24500, 1)) == "03:00"  # not a switch day
    assert capacity.quarter_end(q(250330, 14500, 0)) == "03:00"  # 2025's last Sundays
    assert capacity.quarter_end(q(251026, 24500, 1)) == "02:00"


def test_month_peak_is_the_meters_else_our_own():
    buf = bytearray(TELEGRAMS["be"])
    r = dsmr.Reading()
    assert dsmr.Parser().parse(buf, len(buf), r)
    own = peak.MonthPeak()
    now = q(261121, 143000, 0)
    assert capacity.month_peak_w(r, own, now) == 4589  # 1-0:1.6.0(261104183000W)(04.589*kW)
    assert capacity.month_peak_w(None, own, now) is None
    own.offer(q(261103, 100000, 0), 3100, "energy")
    assert capacity.month_peak_w(None, own, now) == 3100
    assert capacity.month_peak_w(r, own, now) == 4589
    assert capacity.month_peak_w(None, own, q(261201, 0, 0)) is None  # last month's
    buf = bytearray(TELEGRAMS["nl5"])  # no 1-0:1.6.0
    r = dsmr.Reading()
    assert dsmr.Parser().parse(buf, len(buf), r)
    assert capacity.month_peak_w(r, own, now) == 3100
    # a meter at the month's start says 00.000 kW: no peak of its own yet
    buf = bytearray(wire(BE.replace("(261104183000W)(04.589*kW)", "(261101000000W)(00.000*kW)")))
    r = dsmr.Reading()
    assert dsmr.Parser().parse(buf, len(buf), r) and r.has("montly_power_peak")
    assert capacity.month_peak_w(r, own, now) == 3100


def test_cost():
    # 3.444 kW × 40.40 EUR = 139.1376 EUR a year, 11.5948 EUR a month
    assert capacity.cost_cents(3444, TARIFF) == 13914
    assert capacity.cost_cents(3444, TARIFF, 1) == 1159
    assert capacity.cost_cents(2500, TARIFF) == 10100
    assert capacity.cost_cents(2500, {"eur_per_kw_year": 53.0215}) == 13255
    assert capacity.cost_cents(0, TARIFF) == 0
    assert capacity.cost_cents(100000, {"eur_per_kw_year": 1000}) == 10000000
