"""Quarter files on the SD card, the reading side requests use: a quarter's averages
read quickly, and the sorted listings. Loaded per use (core.cold); history.store
writes, history.recover reads back after a power cut.
"""

import os

from micropython import const

from firmware.core import clock

_SUMMARY_HEAD = const(96)  # bytes that hold "consumed_power_avg" at the start of a quarter file
SUMMARY_TAIL = const(112)  # bytes that hold our appended averages at its end


def _sorted_ints(names, width):
    """The names that are `width` digits, as sorted ints."""
    return sorted(int(n) for n in names if len(n) == width and n.isdigit())


def _number_after(buf, n, key):
    """The int after `key` (bytes, e.g. b'"x":') in buf[:n]; None when absent or null."""
    i = buf.find(key, 0, n)
    if i < 0:
        return None
    i += len(key)
    j = i
    while j < n and (buf[j] == 45 or 48 <= buf[j] <= 57):
        j += 1
    return int(bytes(buf[i:j])) if j > i else None


def summary(store, qid, buf):
    """(consumed W, produced W, energy-based W) averages of a quarter file, each
    None when the file lacks it; None when there is no readable file. Reads only
    the head and the tail of the file, into buf (a bytearray of SUMMARY_TAIL): a
    day's 96 files are read quickly."""
    try:
        with open(store.quarter_path(qid), "rb") as f:
            n = f.readinto(memoryview(buf)[:_SUMMARY_HEAD])
            if _number_after(buf, n, b'"quarter_id":') != qid:
                return None
            consumed = _number_after(buf, n, b'"consumed_power_avg":')
            size = f.seek(0, 2)
            f.seek(max(0, size - SUMMARY_TAIL))
            n = f.readinto(buf)
    except (OSError, ValueError):
        return None
    if n < 1 or buf[n - 1] != 0x7D:  # '}': a file cut short has no end
        return None
    return (consumed, _number_after(buf, n, b'"produced_power_avg":'),
            _number_after(buf, n, b'"consumed_energy_avg":'))


# --- listings (directory order on FAT is arbitrary: always sorted here) ---

def _names(store, sub):
    """The names in a folder, one at a time (a day's 96 names are never all in the
    heap at once); none when it is missing."""
    try:
        for entry in os.ilistdir(store.root + sub):
            yield entry[0]
    except OSError:
        return


def years(store):
    return _sorted_ints(_names(store, ""), 4)


def months(store, year):
    return _sorted_ints(_names(store, "/%04d" % year), 2)


def days(store, year, month):
    return _sorted_ints(_names(store, "/%04d/%02d" % (year, month)), 2)


def quarters(store, year, month, day):
    """Quarter ids of a day in time order (02:00 S before 02:00 W in autumn)."""
    yymmdd = (year - 2000) * 10000 + month * 100 + day
    ids = []
    for name in _names(store, "/%04d/%02d/%02d" % (year, month, day)):
        qid = clock.parse_file_name(yymmdd, name)
        if qid is not None:
            ids.append(qid)
    ids.sort(key=clock.minutes)
    return ids
