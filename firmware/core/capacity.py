"""The capacity tariff's arithmetic: the headroom left before a new month peak (the
quarter's projected average is core.quarter's), what a month is billed and what a year costs.

The grid operator bills each month's peak quarter (its highest quarter-hour average
import power), counted as at least the minimum (config tariff.minimum_kw), and per
year the average of the last 12 months. The quarter is the one being recorded (a
core.quarter.Quarter); `second` is its last telegram's second (0..899, meter time),
which counts as elapsed: the projection and the headroom use the same 5-second
slots as Quarter.projected_w(). Powers are W. Loaded per use (core.cold).
"""

from micropython import const

from firmware.core import clock
from firmware.core.dsmr import SLOT, row

_QUARTER_S = const(900)


def headroom_w(q, second, limit):
    """The highest average import power for the rest of the quarter that keeps the
    quarter's average at or below `limit` (W):
    (limit × 900 − average so far × elapsed) / (900 − elapsed), rounded down. Below
    zero when the quarter goes over even if nothing more is used: the peak is lost.
    None without a telegram in the quarter, and in its last second (nothing is left)."""
    avgs = q.averages() if q.qid and 0 <= second < _QUARTER_S - 1 else None
    if avgs is None:
        return None
    e = second + 1
    return (limit * _QUARTER_S - avgs[0] * e) // (_QUARTER_S - e)


def quarter_end(qid):
    """'HH:MM', the meter's time at the end of a quarter: 10:45 for 10:30; on the DST
    days 01:45 W ends at 03:00 S and 02:45 S at 02:00 W."""
    y, m, d, hh, mm, dst = clock.split_id(qid)
    end = hh * 60 + mm + 15
    if d > 24 and (clock._days_from_civil(y, m, d) - 1) % 7 == 0:  # a last Sunday
        if m == 3 and end == 120 and not dst:
            end = 180
        elif m == 10 and end == 180 and dst:
            end = 120
    return "%02d:%02d" % (end // 60 % 24, end % 60)


def minimum_w(tariff):
    """The least peak a month is billed for (config tariff.minimum_kw) in W."""
    return int(tariff["minimum_kw"] * 1000 + 0.5)


def billed_w(peak, floor):
    """What a month counts for on the bill: its peak (W, None: no peak), at least
    floor, the minimum (W)."""
    return floor if peak is None or peak < floor else peak


def month_peak_w(reading, own, qid):
    """This month's peak (W) as the bill counts it: the meter's 1-0:1.6.0 where the
    reading (a core.dsmr.Reading, None before the first telegram) has one, else our
    own (a core.peak.MonthPeak) when it is of quarter qid's month; None when neither."""
    if reading is not None and reading.has("montly_power_peak"):
        w = reading.values[SLOT[row("montly_power_peak")] + 3]
        if w > 0:
            return w
    if own.power >= 0 and own.month == clock.month_of(qid):
        return own.power
    return None


def cost_cents(avg, tariff, months=12):
    """The capacity part of the bill for `months` months (12: a year, 1: this month)
    in euro cents, rounded: the 12-month average `avg` (W) in kW × tariff.eur_per_kw_year ×
    months / 12, in whole numbers (the board's floats are single precision)."""
    rate = int(tariff["eur_per_kw_year"] * 10000 + 0.5)  # 1/10000 EUR per kW and year
    return (avg * rate * months + 600000) // 1200000
