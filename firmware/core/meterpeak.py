"""The meter's own month peak (1-0:1.6.0, 0-0:98.1.0) and how it compares to ours.

meter_peak() and parse_history() read the meter's, whose timestamps mark the END of
the peak quarter; compare() puts it beside our own (core.peak) for the API. Used by a
rare request only, so it is loaded with core.cold.

Times are the meter's local wall time with its S/W flag; instants are minutes since
2000-01-01 00:00 UTC, as clock.minutes(). Meters keep CET (W, UTC+1) and CEST (S, UTC+2)
and switch on the EU days: the last Sunday of March and of October, at 01:00 UTC.
"""

from micropython import const

from firmware.core import clock
from firmware.core.peak import MonthPeak

_AGREE_W = const(10)  # the meter computes from its registers, we may from 5 s slots
_QUARTER_MIN = const(15)


# ---- calendar (no datetime on the board) ----
def civil_from_days(days):
    """Days since 2000-01-01 -> (year, month, day); the inverse of clock's
    _days_from_civil."""
    z = days + 730425  # days since 0000-03-01
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400
    return (y + 1 if m <= 2 else y), m, d


def _switch(year, month):
    """Instant of the DST switch in March or October: last Sunday, 01:00 UTC."""
    last = clock._days_from_civil(year, month, 31)
    last -= (last - 1) % 7  # 2000-01-01 was a Saturday: Sundays are 1 mod 7
    return (last * 24 + 1) * 60


def _pre_switch_dst(start, end):
    """The flag before a DST switch in (start, end], or -1 when there is none."""
    year = civil_from_days(end // 1440)[0]
    if start < _switch(year, 3) <= end:
        return 0
    if start < _switch(year, 10) <= end:
        return 1
    return -1


def _summer(instant):
    """True when the meter keeps summer time (S) at this instant."""
    year = civil_from_days(instant // 1440)[0]
    return _switch(year, 3) <= instant < _switch(year, 10)


def quarter_ending(yymmdd, hhmmss, dst):
    """quarter_id of the quarter that ENDED at this local time (its flag 1 S, 0 W,
    -1 unknown), or None when the time is not a valid one. 00:00 on the 1st ends
    23:45 of the month's last day; 03:00 S on the spring day ends 01:45 W; on the
    autumn day 03:00 S (= 02:00 W) ends 02:45 S and 03:00 W ends 02:45 W."""
    y = 2000 + yymmdd // 10000
    m = yymmdd // 100 % 100
    d = yymmdd % 100
    hh = hhmmss // 10000
    mm = hhmmss // 100 % 100
    if (yymmdd < 0 or not 1 <= m <= 12 or not 1 <= d <= 31 or hh > 23 or mm > 59
            or hhmmss % 100 > 59 or hhmmss < 0):
        return None
    days = clock._days_from_civil(y, m, d)
    if civil_from_days(days) != (y, m, d):
        return None  # 31 April and the like
    local = (days * 24 + hh) * 60 + mm
    if dst not in (0, 1):
        dst = 1 if _summer(local - 120) else 0
    end = local - 60 - 60 * dst
    start = end - _QUARTER_MIN
    flag = _pre_switch_dst(start, end)
    if flag < 0:
        flag = dst
    local = start + 60 + 60 * flag
    y, m, d = civil_from_days(local // 1440)
    if y < 2000 or y > 2099:
        return None
    mins = local % 1440
    return clock.quarter_id((y - 2000) * 10000 + m * 100 + d,
                            mins // 60 * 10000 + mins % 60 * 100, flag)


def meter_peak(values, slot):
    """The meter's month peak from Reading.values of montly_power_peak (1-0:1.6.0)
    starting at `slot`: (quarter_id, W), or None when the meter has no peak yet (it
    reports the month start with 00.000 kW) or the value is not usable."""
    w = values[slot + 3]
    if w <= 0:
        return None
    qid = quarter_ending(values[slot], values[slot + 1], values[slot + 2])
    return None if qid is None else (qid, w)


# ---- 0-0:98.1.0 text ----
def _ts(s):
    """'YYMMDDhhmmssX' -> (yymmdd, hhmmss, dst), or None."""
    if len(s) not in (12, 13) or not s[:12].isdigit():
        return None
    dst = -1
    if len(s) == 13:
        flag = s[12].upper()
        if flag not in "SW":
            return None
        dst = 1 if flag == "S" else 0
    return int(s[:6]), int(s[6:12]), dst


def _watts(s):
    """'05.120*kW' (or '05.120') -> 5120 W, or None."""
    star = s.find("*")
    if star >= 0:
        if s[star + 1:].lower() != "kw":
            return None
        s = s[:star]
    dot = s.find(".")
    whole = s if dot < 0 else s[:dot]
    frac = "" if dot < 0 else s[dot + 1:]
    if not whole.isdigit() or (frac and not frac.isdigit()):
        return None
    frac = (frac + "000")[:3]
    return int(whole) * 1000 + int(frac)


def _groups(text):
    """The contents of the (...) groups of a text, in order."""
    out = []
    i = text.find("(")
    while i >= 0:
        j = text.find(")", i + 1)
        if j < 0:
            break
        out.append(text[i + 1:j])
        i = text.find("(", j + 1)
    return out


def parse_history(text):
    """0-0:98.1.0 raw text -> [(month yymm, peak quarter_id, W), ...] in the order sent
    (oldest first). Each entry is (month stamp)(peak stamp)(kW): the month stamp is
    00:00 on the 1st of the month AFTER the one reported (April 2020's peak comes with
    200501000000S), so yymm is the month before it; the peak quarter is the one that
    ended at its stamp, None (with 0 W) when the meter recorded no peak that month.
    Malformed text gives what parsed before the fault; it never raises."""
    out = []
    try:
        groups = _groups(text or "")
        if not groups or not groups[0].isdigit():
            return out
        n = int(groups[0])
        rest = [g for g in groups[1:] if ":" not in g]  # drop the (1-0:1.6.0) headers
        i = 0
        while len(out) < n and i + 3 <= len(rest):
            month = _ts(rest[i])
            stamp = _ts(rest[i + 1])
            w = _watts(rest[i + 2])
            if month is None or stamp is None or w is None:
                break
            # the month that ends at the stamp (00:00 on the 1st: the month before)
            yymm = month[0] // 100
            if not 1 <= yymm % 100 <= 12:
                break
            if month[0] % 100 == 1 and month[1] == 0:
                yymm -= 1 if yymm % 100 > 1 else 89  # January: December of the year before
            if yymm < 1:
                break
            qid = None
            if w > 0:
                qid = quarter_ending(stamp[0], stamp[1], stamp[2])
                if qid is None:
                    break
            out.append((yymm, qid, w))
            i += 3
    except Exception:  # never let a strange telegram stop the reader
        pass
    return out


# ---- own vs meter ----
def _pair(p):
    if p is None:
        return None
    if isinstance(p, MonthPeak):
        return p.pair()
    return p[0], p[1]


def compare(own, meter):
    """Own peak (a MonthPeak or (quarter_id, W)) against the meter's ((quarter_id, W)
    from meter_peak), for the API. They agree when they are the same quarter and
    differ by at most _AGREE_W; difference_w is own - meter. agree and difference_w
    are None when either is missing."""
    a = _pair(own)
    b = _pair(meter)
    res = {"own": None if a is None else {"quarter_id": a[0], "power": a[1]},
           "meter": None if b is None else {"quarter_id": b[0], "power": b[1]},
           "agree": None, "difference_w": None}
    if a is not None and b is not None:
        diff = a[1] - b[1]
        res["difference_w"] = diff
        res["agree"] = a[0] == b[0] and -_AGREE_W <= diff <= _AGREE_W
    return res
