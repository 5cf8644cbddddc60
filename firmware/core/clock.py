"""Meter time: quarters, 5-second slots, quarter ids and file names.

Everything comes from the meter's own timestamp (0-0:1.0.0: local wall time and its
S/W flag), never from the board's clock. A time here is the Reading's three slots:
yymmdd, hhmmss and dst (1 = summer time S, 0 = winter time W).
"""

from micropython import const

SLOT_SECONDS = const(5)
SLOTS = 900 // SLOT_SECONDS  # 180 per quarter


def slot(hhmmss):
    """5-second slot of the quarter: ((minute % 15) * 60 + second) // 5."""
    mm = hhmmss // 100 % 100
    ss = hhmmss % 100
    return ((mm % 15) * 60 + ss) // SLOT_SECONDS


def quarter_index(hhmmss):
    """Quarter of the day, 0..95."""
    return hhmmss // 10000 * 4 + hhmmss // 100 % 100 // 15


def quarter_id(yymmdd, hhmmss, dst):
    """(year-2000)<<24 | month<<16 | day<<8 | quarter of the day, | 0x80 in summer time."""
    qid = (yymmdd // 10000) << 24 | (yymmdd // 100 % 100) << 16 | (yymmdd % 100) << 8
    return qid | quarter_index(hhmmss) | (0x80 if dst == 1 else 0)


def split_id(qid):
    """quarter_id -> (year, month, day, hour, minute, dst)."""
    q = qid & 0x7F
    return (2000 + (qid >> 24), qid >> 16 & 0xFF, qid >> 8 & 0xFF, q // 4, q % 4 * 15,
            1 if qid & 0x80 else 0)


def file_name(qid):
    """HHMM{S|W}.json of a quarter."""
    _y, _m, _d, hh, mm, dst = split_id(qid)
    return "%02d%02d%s.json" % (hh, mm, "S" if dst else "W")


def day_dir(qid):
    """YYYY/MM/DD of a quarter."""
    y, m, d = split_id(qid)[:3]
    return "%04d/%02d/%02d" % (y, m, d)


def parse_file_name(yymmdd, name):
    """Quarter id from a day (yymmdd) and a file name like '1615W.json', or None."""
    if len(name) != 10 or not name.endswith(".json") or name[4] not in "SW":
        return None
    hhmm = name[:4]
    if not hhmm.isdigit():
        return None
    hh = int(hhmm[:2])
    mm = int(hhmm[2:])
    if hh > 23 or mm % 15:
        return None
    return quarter_id(yymmdd, hh * 10000 + mm * 100, 1 if name[4] == "S" else 0)


def _days_from_civil(y, m, d):
    """Days since 2000-01-01 of a Gregorian date."""
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 730425


def minutes(qid):
    """Minutes since 2000-01-01 00:00 UTC at the start of a quarter: orders quarters
    in time, also across the autumn hour that happens twice (02:00 S, then 02:00 W).
    Belgian and Dutch meters keep CET (W, UTC+1) and CEST (S, UTC+2)."""
    y, m, d, hh, mm, dst = split_id(qid)
    return (_days_from_civil(y, m, d) * 24 + hh - 1 - dst) * 60 + mm


def month_of(qid):
    """(year, month) the quarter belongs to, by the meter's local date."""
    y, m = split_id(qid)[:2]
    return y, m
