"""MQTT 3.1.1 to the broker, a tick's work (run(), every interval_s): read what the
broker sent without waiting for it, ping now and then, publish the state; what else
is due is loaded only then: mqttconnect (connecting, failures, the broker's packets),
discovery (Home Assistant's) and mqttevents (finished quarters, a new month peak).
Loaded per tick (core.cold) by integrations.mqtt, which keeps the connection and
what is to be sent. This module stays small: it is in the heap with core.homewizard,
as /api/v1/data's answer is.

Connecting is a tick of its own, so is the discovery (integrations.discovery, the
tick after a state message that said what the meter sends): one big job in the heap
at a time.

Topics, under <prefix>/<serial>/: state (every interval_s), quarter (each finished
quarter), peak (a new month peak), status (online, or offline by the last will;
retained). Everything goes at QoS 0; the broker's answers are read at the next tick.
A message is written whole before anything waits (its length is counted first), so a
telegram that comes meanwhile cannot change it, and it takes no buffer of its own.
Names are ones the firmware already has where they fit: on the board each new name is
interned for good.
"""

import asyncio
import json
import time

from micropython import const

from firmware.core import cold
from firmware.integrations.mqtt import path, send

_PING_MS = const(30000)  # a ping at most this often; no answer by the next: the link is dead
_WORK_MS = const(5000)  # to send a tick's messages
_READ = const(256)


def pieces(arg):
    """The state message: /api/v1/data's fields and values, then the quarter so far
    and its projection, our own month peak and the SD card. arg: (state, a set that
    takes the hashes of the /api/v1/data keys for discovery or None, core.homewizard)."""
    state, keys, homewizard = arg
    r = state.p1.reading
    end = ","
    for p in homewizard.pieces(r, state.wifi_ssid()):
        if p == "}" or p == "{}":
            end = "{" if p == "{}" else ","
            break
        if keys is not None:
            keys.add(hash(p[2:p.find('"', 2)]))  # a small int: no string kept
        yield p
    rec = state.recorder
    q = rec.q
    avg = q.averages() if q.qid else None  # as /current/live has them
    second = rec.second if not rec.next_qid else -1
    peak = state.peaks.month
    trouble = state.sd_trouble()
    yield ('%s"quarter_id":%d,"quarter_average_w":%s,"quarter_projected_w":%s,'
           '"month_peak_w":%s,"month_peak_quarter_id":%s,"sd":%s,"sd_error":%s}' % (
               end, q.qid, json.dumps(avg and avg[0]), json.dumps(q.projected_w(
                   second, r.get("power_import_kw") if r.has("power_import_kw") else None)),
               json.dumps(peak.power if peak.power >= 0 else None),
               json.dumps(peak.quarter_id or None), json.dumps(trouble is None),
               json.dumps(trouble)))


async def run(m, state):
    """One tick: connect when due, read what the broker sent, ping, publish the state
    and the finished quarters; sets the next tick's time."""
    if m.conn is None:  # connecting is a tick of its own
        if await cold.load("firmware.integrations.mqttconnect").connect(m, state):
            m.delay_ms = m.cfg["interval_s"] * 1000
        return
    t = time.ticks_ms()
    try:
        await asyncio.wait_for_ms(handle(m, state), _WORK_MS)
    except Exception as e:  # noqa: BLE001  (lost: the next tick connects again)
        return cold.load("firmware.integrations.mqttconnect").lost(m, state, e)
    m.took_ms = time.ticks_diff(time.ticks_ms(), t)
    m.delay_ms = m.cfg["interval_s"] * 1000


async def handle(m, state):
    data = m.conn.s.read(_READ)  # what the broker sent since the last tick, not waiting
    if data is not None:
        if not data:
            raise OSError("the broker closed the connection")
        cold.load("firmware.integrations.mqttconnect").parse(m, data)
    now = time.ticks_ms()
    if time.ticks_diff(now, m.ping_ms) >= _PING_MS:
        if not m.pong:
            raise OSError("no answer to a ping")
        m.conn.write(b"\xc0\x00")
        m.ping_ms = now
        m.pong = False
    if state.p1.last_ms is None:
        return await m.conn.drain()  # nothing to tell yet
    keys = set() if m.discover else None  # the next tick is discovery's (m.keys)
    arg = (state, keys, cold.load("firmware.core.homewizard"))
    await send(m, path(m, state, "state"), pieces, arg)
    state.note_heap("MQTT")  # the least free heap counts MQTT's ticks too
    arg = None
    m.keys = keys
    if m.quarters:
        await cold.load("firmware.integrations.mqttevents").run(m, state)
