"""MQTT 3.1.1 to the broker, a tick's work (run(), every interval_s): read what the
broker sent without waiting for it, ping now and then, publish the state; what else
is due is loaded only then: mqttconnect (connecting, failures, the broker's packets),
discovery (Home Assistant's) and mqttevents (finished quarters, a new month peak).
Loaded per tick (core.cold) by integrations.mqtt, which keeps the connection and
what is to be sent. This module stays small: it is in the heap with core.homewizard,
as /api/v1/data's answer is.

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

_PING_MS = const(30000)  # a ping at most this often; no answer by the next: the link is dead
_WORK_MS = const(5000)  # to send a tick's messages
_RETRY_MS = const(5000)  # after a lost connection
_READ = const(256)
_QUARTER_S = const(900)


def string(v):
    """An MQTT string: 2-byte length, then the UTF-8 bytes."""
    b = v.encode() if isinstance(v, str) else v
    return bytes((len(b) >> 8, len(b) & 255)) + b


def header(kind, n):
    """A fixed header: the packet type byte, then the remaining length n."""
    out = bytearray((kind,))
    while True:
        b = n & 127
        n >>= 7
        out.append(b | 128 if n else b)
        if not n:
            return out


def path(m, state, name):
    """<prefix>/<serial>/<name>."""
    return "/".join((m.cfg["prefix"], state.serial, name))


async def send(m, name, pieces, arg=None, keep=False):
    """One PUBLISH at QoS 0 to topic `name` (retained with keep) of the text that
    pieces(arg) makes: counted, then written, with nothing in between that waits."""
    n = 0
    for p in pieces(arg):
        n += len(p.encode())
    t = string(name)
    w = m.conn
    w.write(header(0x31 if keep else 0x30, len(t) + n) + t)
    for p in pieces(arg):
        w.write(p.encode())
    await w.drain()
    m.writes += 1


def averages(q, power, second):
    """(average so far, projected average) of the quarter being recorded, in W, or
    None: from the import registers when the meter sends them, else from the 5 s
    slots; the rest of the quarter at the present import power."""
    if q.first_wh >= 0 and q.last_s > q.first_s:
        done = q.last_s - q.first_s
        left = _QUARTER_S - q.last_s
        ws = (q.last_wh - q.first_wh) * 3600  # W x s so far
        return ws // done, (ws + power * left) // (done + left)
    avgs = q.averages()
    if avgs is None or second < 0:
        return None
    done = second + 1
    return avgs[0], (avgs[0] * done + power * (_QUARTER_S - done)) // _QUARTER_S


def pieces(arg):
    """The state message: /api/v1/data's fields and values, then the quarter so far
    and its projection, our own month peak and the SD card. arg: (state, a set that
    takes the /api/v1/data keys for discovery, or None)."""
    state, keys = arg
    r = state.p1.reading
    end = ","
    for p in cold.load("firmware.core.homewizard").pieces(r, state.wifi_ssid()):
        if p == "}" or p == "{}":
            end = "{" if p == "{}" else ","
            break
        if keys is not None:
            keys.add(p[2:p.find('"', 2)])
        yield p
    rec = state.recorder
    power = r.get("power_import_kw") if r.has("power_import_kw") else 0
    avg = averages(rec.q, power, rec.second) if rec.q.qid else None
    peak = state.peaks.month
    trouble = state.sd_trouble()
    yield ('%s"quarter_id":%d,"quarter_average_w":%s,"quarter_projected_w":%s,'
           '"month_peak_w":%s,"month_peak_quarter_id":%s,"sd":%s,"sd_error":%s}' % (
               end, rec.q.qid, json.dumps(avg and avg[0]), json.dumps(avg and avg[1]),
               json.dumps(peak.power if peak.power >= 0 else None),
               json.dumps(peak.quarter_id or None), json.dumps(trouble is None),
               json.dumps(trouble)))


async def run(m, state):
    """One tick: connect when due, read what the broker sent, ping, publish the state,
    and what else waits (discovery, finished quarters); sets the next tick's time."""
    if m.conn is None:
        if not await cold.load("firmware.integrations.mqttconnect").connect(
                m, state, string, header, path):
            return
    t = time.ticks_ms()
    try:
        await asyncio.wait_for_ms(handle(m, state), _WORK_MS)
    except Exception as e:  # noqa: BLE001  (lost: the next tick connects again)
        rare = cold.load("firmware.integrations.mqttconnect")
        rare.failed(m, state, "connection lost: " + rare.reason(e), _RETRY_MS)
        return
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
    keys = set() if m.discover else None
    await send(m, path(m, state, "state"), pieces, (state, keys))
    if keys:  # after the state, which said what the meter sends
        await cold.load("firmware.integrations.discovery").run(m, state, send, keys)
        m.discover = False
    if m.quarters:
        await cold.load("firmware.integrations.mqttevents").run(m, state, send)
