"""Other systems, the part that stays in RAM: the Fluksometer API's minute of points
(on_reading, a P1 listener) and MQTT's session (Mqtt, whose task wakes every interval_s
and has integrations.mqttlink do the work). One module for both: on the board every
module and object counts. What runs now and then is loaded per use (core.cold):
mqttlink (a tick of MQTT), discovery (Home Assistant's), and web.flukso (GET
/sensor/<id>).

The minute: POINTS[s % 60] is the net power (W, negative when exporting) of second s
of meter time (UTC seconds since 2000), for the 60 seconds up to POINTS[60], the newest
second (0: none yet); _NONE marks a second without a telegram.

MQTT: the session's state between ticks lives in the Mqtt object, the finished
quarters that wait for the broker too (the last 8 at most). A tick runs while no HTTP
request is served (the web server's lock: one big job at a time); the connection stays
open between ticks.
"""

import asyncio
from array import array

from micropython import const

from firmware.core import clock, cold
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


_KEPT = const(8)  # finished quarters kept for the broker while it is away
_AGAIN_MS = const(60000)


class Mqtt:
    """MQTT's session; mqttlink.session() makes it and says what it keeps."""

    def on_quarter(self, q):
        """A finished quarter (history.recorder), kept until the broker has it."""
        try:
            avgs = q.averages()
            if avgs is not None:
                if len(self.quarters) >= _KEPT:
                    self.quarters.pop(0)
                    self.dropped += 1
                self.quarters.append((q.qid, avgs[0], avgs[1], q.energy_avg()))
        except MemoryError:  # never the recorder's trouble
            self.dropped += 1

    async def run(self, state):
        while True:
            await asyncio.sleep_ms(self.delay_ms)
            async with state.one_at_a_time:
                try:  # mqttlink handles what the network does; this is for the rest
                    await cold.load("firmware.integrations.mqttlink").run(self, state)
                except Exception as e:  # no memory to load it, or a bug: try again later
                    self.error = repr(e)
                    self.delay_ms = _AGAIN_MS
