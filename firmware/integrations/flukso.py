"""The Fluksometer's minute: the net power (W, negative when exporting) of each of the
last 60 seconds of meter time, in a fixed ring fed by the P1 reader. web.flukso
answers GET /sensor/<id> from it."""

from array import array

from micropython import const

from firmware.core import clock
from firmware.core.dsmr import ROW_TS, SLOT, row

SECONDS = const(60)
NO_POINT = const(-0x3FFFFFFF)  # a second without a telegram
_ROW_IN = row("power_import_kw")
_ROW_OUT = row("power_export_kw")


class Minute:
    def __init__(self):
        self.w = array("i", bytes(4 * SECONDS))
        for i in range(SECONDS):
            self.w[i] = NO_POINT
        self.last = -1  # the newest point's second: UTC seconds since 2000, -1: none

    def on_reading(self, r):
        """P1Reader listener: the telegram's power goes to its second."""
        if not r.present[ROW_TS]:
            return  # DSMR 2.2/3: no meter time
        v = r.values
        t = SLOT[ROW_TS]
        ymd = v[t]
        hms = v[t + 1]
        days = clock._days_from_civil(2000 + ymd // 10000, ymd // 100 % 100, ymd % 100)
        sec = ((days * 24 + hms // 10000 - 1 - v[t + 2]) * 60 + hms // 100 % 100) * 60 \
            + hms % 100  # the meter keeps CET (W) or CEST (S)
        w = v[SLOT[_ROW_IN]] if r.present[_ROW_IN] else 0
        if r.present[_ROW_OUT]:
            w -= v[SLOT[_ROW_OUT]]
        last = self.last
        if sec > last or sec <= last - SECONDS:  # newer, or the meter's clock went back
            start = sec - SECONDS + 1 if sec <= last else max(last + 1, sec - SECONDS + 1)
            for s in range(start, sec):
                self.w[s % SECONDS] = NO_POINT
            self.last = sec
        self.w[sec % SECONDS] = w
