"""The Fluksometer's minute: the net power (W, negative when exporting) of each of the
last 60 seconds of meter time, in a fixed ring fed by the P1 reader (on_reading, its
listener). web.flukso imports this module, and adds the listener, at the first GET
/sensor/<id>: a device whose Fluksometer API nobody reads keeps no ring.

POINTS[s % 60] is the power of second s (UTC seconds since 2000) for the 60 seconds up
to POINTS[60], the newest second (0: none yet); _NONE marks a second without a
telegram. A module, not a class: on the board every object counts.
"""

from array import array

from micropython import const

from firmware.core import clock
from firmware.core.dsmr import ROW_TS, SLOT, row

_SECONDS = const(60)
_NONE = const(-0x3FFFFFFF)  # a second without a telegram (as web.flukso)
_ROWS = (row("power_import_kw"), row("power_export_kw"))
POINTS = array("i", bytes(4 * (_SECONDS + 1)))
for _i in range(_SECONDS):
    POINTS[_i] = _NONE


def on_reading(r):
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
    w = 0
    for k in (0, 1):
        if r.present[_ROWS[k]]:
            w += v[SLOT[_ROWS[k]]] * (1 - 2 * k)  # import - export
    last = POINTS[_SECONDS]
    if sec > last or sec <= last - _SECONDS:  # newer, or the meter's clock went back
        for s in range(max(last + 1, sec - _SECONDS + 1) if sec > last else sec - _SECONDS + 1,
                       sec):
            POINTS[s % _SECONDS] = _NONE
        POINTS[_SECONDS] = sec
    POINTS[sec % _SECONDS] = w
