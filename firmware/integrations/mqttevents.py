"""MQTT's messages of a finished quarter: its summary (every quarter that waited, the
last 8 at most) and, when one of them made a new month peak (our own, the one the
capacity tariff bills), the peak event with the meter's own peak beside it. Loaded
per use (core.cold) by integrations.mqttlink when a quarter has finished."""

import json

from firmware.core import clock
from firmware.integrations.mqtt import send, text


def timestamp(qid):
    """A quarter's start as ISO 8601 local time with its UTC offset."""
    y, mo, d, hh, mm, dst = clock.split_id(qid)
    return "%04d-%02d-%02dT%02d:%02d:00+0%d:00" % (y, mo, d, hh, mm, 1 + dst)



def peak(state):
    """The peak message: our own month peak (the quarter that just made it) and the
    meter's (1-0:1.6.0, null when it has none)."""
    r = state.p1.reading
    own = state.peaks.month
    meter = "null", "null"
    if r.has("montly_power_peak"):
        meter = r.get("montly_power_peak", 3), "%d%06d" % (r.get("montly_power_peak"),
                                                           r.get("montly_power_peak", 1))
    return ('{"quarter_id":%d,"start":"%s","power_w":%d,"meter_power_w":%s,'
            '"meter_timestamp":%s}' % ((own.quarter_id, timestamp(own.quarter_id), own.power)
                                       + meter))


async def run(m, state):
    """The summaries that wait, then the peak event."""
    base = "/".join((m.cfg["prefix"], state.serial, ""))
    new = False
    while m.quarters:
        qid, consumed, produced, energy, new_peak = m.quarters[0]
        await send(m, base + "quarter", text, (
            '{"quarter_id":%d,"start":"%s","consumed_power_avg":%d,"produced_power_avg":%d,'
            '"consumed_energy_avg":%s}' % (qid, timestamp(qid), consumed, produced,
                                           json.dumps(energy))))
        m.quarters.pop(0)
        new = new or new_peak
    if new and state.peaks.month.power >= 0:  # the latest peak: no queue of them
        await send(m, base + "peak", text, peak(state))
