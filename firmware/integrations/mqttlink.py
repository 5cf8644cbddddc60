"""MQTT 3.1.1 to the broker, one tick's work: connect (with the last will, the login,
TLS), then each tick read what the broker sent without waiting for it (pings
answered, Home Assistant back online), publish the state, the finished quarters and a
new month peak, and ping now and then. Loaded per tick (core.cold) by
integrations.mqtt, which keeps the connection and what is to be sent.

Topics, under <prefix>/<serial>: state (every interval_s), quarter (each finished
quarter), peak (a new month peak), status (online, or offline by the last will:
retained). Home Assistant discovery is integrations.discovery's. Everything goes at
QoS 0; the broker's answers are read at the next tick.
"""

import asyncio
import json
import time

from micropython import const

from firmware.core import clock, cold

_KEEPALIVE_S = const(60)
_PING_MS = const(30000)  # a ping this often; no answer by the next one: the link is dead
_TICK_MAX_MS = const(30000)
_CONNECT_MS = const(5000)  # to connect and have the broker's CONNACK
_WORK_MS = const(5000)  # to send a tick's messages
_RETRY_MS = const(5000)  # the first retry; then twice as long each time, up to _RETRY_MAX_MS
_RETRY_MAX_MS = const(120000)
_REFUSED_MS = const(600000)  # the broker said no to this login: ask again this much later
_REPORT_MS = const(600000)  # failures go to the event log at most this often
_READ = const(256)
_REST_MAX = const(512)  # a message from the broker larger than this ends the connection
_CHUNK = const(512)
_CA_FILE = const("mqtt-ca.pem")
_QUARTER_S = const(900)
# CONNACK return codes 1..5 (MQTT 3.1.1, 3.2.2.3); 3 is worth trying again soon
_REFUSALS = const(("refused the protocol version 3.1.1", "refused the client id",
                   "is unavailable", "refused the user name or password",
                   "refused: not authorized"))


def _words(e):
    """An exception from connecting or sending, in words."""
    if isinstance(e, asyncio.TimeoutError):
        return "no answer in time"
    if isinstance(e, OSError) and e.args and isinstance(e.args[0], int):
        import errno

        n = e.args[0]
        name = errno.errorcode.get(n)
        if n < 0 or name is None:  # getaddrinfo's codes
            return "cannot find the host (error %d)" % n
        return {"ECONNREFUSED": "connection refused (is the broker running?)",
                "ECONNRESET": "connection reset", "EHOSTUNREACH": "host unreachable",
                "ETIMEDOUT": "timed out"}.get(name, name)
    return str(e) or repr(e)


def _s(text):
    """An MQTT string: 2-byte length, then the UTF-8 bytes."""
    b = text.encode() if isinstance(text, str) else text
    return bytes((len(b) >> 8, len(b) & 255)) + b


def _head(first, n):
    """A fixed header: the packet type byte, then the remaining length n."""
    out = bytearray((first,))
    while True:
        byte = n & 127
        n >>= 7
        out.append(byte | 128 if n else byte)
        if not n:
            return out


def _connect_packet(m, serial):
    cfg = m.cfg
    flags = 0x26  # clean session, a last will, retained
    tail = _s(m.base + "/status") + _s("offline")
    if cfg["user"]:
        flags |= 0x80
        tail += _s(cfg["user"])
        if cfg["password"]:
            flags |= 0x40
            tail += _s(cfg["password"])
    body = b"\x00\x04MQTT\x04" + bytes((flags, 0, _KEEPALIVE_S)) + _s("digimon-" + serial) + tail
    return _head(0x10, len(body)) + body


def _tls(state):
    """An SSL context that checks the broker against the CA in mqtt-ca.pem on the SD
    card; raises ValueError with the reason when there is none."""
    try:
        import ssl
    except ImportError:
        raise ValueError("TLS is not available on this runtime (no ssl module)")
    sd = state.board.sd_path()
    try:
        with open("%s/%s" % (sd, _CA_FILE), "rb") as f:
            ca = f.read()
    except (OSError, TypeError):
        raise ValueError("TLS needs the broker's CA in %s on the SD card" % _CA_FILE)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=ca)
    return ctx


def _close(m):
    if m.conn is not None:
        try:
            m.conn.s.close()
        except OSError:
            pass
    m.conn = None


def _failed(m, state, why, wait_ms=None):
    """A connection attempt failed, or the connection was lost: say why, count it,
    wait longer each time (capped), and tell the event log at most every 10 min."""
    _close(m)
    m.failures += 1
    m.fails += 1
    m.error = "%s:%d: %s" % (m.cfg["host"], m.port, why)
    m.wait_ms = wait_ms or min(_RETRY_MS << min(m.fails - 1, 5), _RETRY_MAX_MS)
    now = time.ticks_ms()
    if m.logged_ms is None or time.ticks_diff(now, m.logged_ms) >= _REPORT_MS:
        m.logged_ms = now
        m.told = True
        state.events.add("mqtt", "broker %s (%d failures since start); trying again in %d s"
                         % (m.error, m.failures, m.wait_ms // 1000))


def _take(m, data):
    """Handle the broker's packets in what came (and the rest of the last read); the
    CONNACK's return code when there was one, else None."""
    buf = m.rest + data if m.rest else data
    i = 0
    code = None
    while len(buf) - i >= 2:
        n = shift = 0
        at = i + 1
        while at < len(buf):
            byte = buf[at]
            n |= (byte & 127) << shift
            shift += 7
            at += 1
            if not byte & 128:
                break
        else:
            break  # the length is not all here yet
        if at + n > len(buf):
            break
        kind = buf[i] >> 4
        if kind == 2 and n >= 2:  # CONNACK
            code = buf[at + 1]
        elif kind == 13:  # PINGRESP
            m.pong = True
        elif kind == 3 and n >= 2:  # PUBLISH: Home Assistant's status
            tl = buf[at] << 8 | buf[at + 1]
            start = at + 2 + tl + (2 if buf[i] & 6 else 0)
            if buf[at + 2:at + 2 + tl] == (m.cfg["discovery_prefix"] + "/status").encode() \
                    and buf[start:at + n] == b"online":
                m.discover = m.cfg["discovery"]
        i = at + n
    m.rest = buf[i:]
    if len(m.rest) > _REST_MAX:
        raise ValueError("a message from the broker over %d bytes" % _REST_MAX)
    return code


def _receive(m):
    """What the broker sent since the last tick, read without waiting."""
    for _ in range(8):
        data = m.conn.s.read(_READ)
        if data is None:
            return
        if not data:
            raise OSError("the broker closed the connection")
        _take(m, data)


async def _send(m, head, parts=()):
    w = m.conn
    w.write(head)
    for p in parts:
        w.write(p)
    await w.drain()


async def publish(m, topic, pieces, retain=False):
    """One PUBLISH at QoS 0 of the text pieces (made at once: they are live values)."""
    parts = []
    part = []
    size = 0
    for p in pieces:
        part.append(p)
        size += len(p)
        if size >= _CHUNK:
            parts.append("".join(part).encode())
            part = []
            size = 0
    if part:
        parts.append("".join(part).encode())
    t = _s(topic)
    n = len(t)
    for p in parts:
        n += len(p)
    await _send(m, _head(0x31 if retain else 0x30, n) + t, parts)
    m.published += 1


async def _connect(m, state):
    """Connect, log in, subscribe to Home Assistant's status, say online; False when
    that failed (the reason is in m.error)."""
    cfg = m.cfg
    try:
        ssl = _tls(state) if cfg["tls"] else None
        m.conn = (await asyncio.wait_for_ms(
            asyncio.open_connection(cfg["host"], m.port, ssl), _CONNECT_MS))[1]
        m.rest = b""
        await _send(m, _connect_packet(m, state.serial))
        code = None
        while code is None:
            data = await asyncio.wait_for_ms(m.conn.read(_READ), _CONNECT_MS)
            if not data:
                raise OSError("the broker closed the connection")
            code = _take(m, data)
        if code:
            why = _REFUSALS[code - 1] if code <= len(_REFUSALS) else "refused (%d)" % code
            _failed(m, state, "the broker " + why, None if code == 3 else _REFUSED_MS)
            return False
        topic = _s(cfg["discovery_prefix"] + "/status")
        await _send(m, _head(0x82, 3 + len(topic)) + b"\x00\x01" + topic + b"\x00")
        await publish(m, m.base + "/status", ("online",), True)
    except Exception as e:  # noqa: BLE001  (whatever it was, the broker is not there)
        _failed(m, state, "cannot connect: " + _words(e))
        return False
    m.fails = 0
    m.error = None
    m.discover = cfg["discovery"]
    m.ping_ms = time.ticks_ms()
    m.pong = True
    m.sent_ms = None
    if m.told or m.logged_ms is None:  # the first connection, or back after a failure
        m.told = False
        m.logged_ms = m.logged_ms or time.ticks_ms()
        state.events.add("mqtt", "connected to %s:%d as %s" % (cfg["host"], m.port, m.base))
    return True


def quarter_so_far(q, import_w, second):
    """(average so far, projected average) of the quarter being recorded, in W, or
    None: from the import registers when the meter sends them, else from the 5 s
    slots, the rest of the quarter at the present import power."""
    if q.first_wh >= 0 and q.last_s > q.first_s:
        done = q.last_s - q.first_s
        left = _QUARTER_S - q.last_s
        wh_s = (q.last_wh - q.first_wh) * 3600  # W x s so far
        return wh_s // done, (wh_s + import_w * left) // (done + left)
    avgs = q.averages()
    if avgs is None or second < 0:
        return None
    done = second + 1
    return avgs[0], (avgs[0] * done + import_w * (_QUARTER_S - done)) // _QUARTER_S


def _start(qid):
    """A quarter's start as ISO 8601 local time with its UTC offset."""
    y, mo, d, hh, mm, dst = clock.split_id(qid)
    return "%04d-%02d-%02dT%02d:%02d:00+0%d:00" % (y, mo, d, hh, mm, 1 + dst)


def state_pieces(state):
    """The state message: /api/v1/data's fields and values, then the quarter so far
    and its projection, our own month peak and the SD card."""
    r = state.p1.reading
    end = ","
    for p in cold.load("firmware.core.homewizard").pieces(r, state.wifi_ssid()):
        if p == "}" or p == "{}":
            end = "{" if p == "{}" else ","
            break
        yield p
    rec = state.recorder
    power = r.get("power_import_kw") if r.has("power_import_kw") else 0
    avg = quarter_so_far(rec.q, power, rec.second) if rec.q.qid else None
    peak = state.peaks.month
    trouble = state.sd_trouble()
    yield ('%s"quarter_id":%d,"quarter_average_w":%s,"quarter_projected_w":%s,'
           '"month_peak_w":%s,"month_peak_quarter_id":%s,"month_peak_start":%s,'
           '"sd":%s,"sd_error":%s}' % (
               end, rec.q.qid, json.dumps(avg and avg[0]), json.dumps(avg and avg[1]),
               json.dumps(peak.power if peak.power >= 0 else None),
               json.dumps(peak.quarter_id or None),
               json.dumps(_start(peak.quarter_id) if peak.quarter_id else None),
               json.dumps(trouble is None), json.dumps(trouble)))


def _peak_now(state):
    """Our own month peak (quarter_id, W) and the meter's (W, YYMMDD, hhmmss), to see
    a new one by."""
    r = state.p1.reading
    own = state.peaks.month
    if not r.has("montly_power_peak"):
        return own.quarter_id, own.power, -1, 0, 0
    return (own.quarter_id, own.power, r.get("montly_power_peak", 3),
            r.get("montly_power_peak"), r.get("montly_power_peak", 1))


def _peak_event(p):
    """The peak message: our own peak and the meter's (null where there is none)."""
    own = p[1] >= 0
    return ('{"quarter_id":%s,"start":%s,"power_w":%s,"meter_power_w":%s,'
            '"meter_timestamp":%s}' % (
                p[0] if own else "null", '"%s"' % _start(p[0]) if own else "null",
                p[1] if own else "null", p[2] if p[2] >= 0 else "null",
                "%06d%06d" % p[3:] if p[2] >= 0 else "null"))


async def _work(m, state):
    cfg = m.cfg
    _receive(m)
    now = time.ticks_ms()
    if time.ticks_diff(now, m.ping_ms) >= _PING_MS:
        if not m.pong:
            raise OSError("no answer to a ping")
        await _send(m, b"\xc0\x00")
        m.ping_ms = now
        m.pong = False
    if state.p1.last_ms is None:
        return  # nothing to tell yet
    if m.discover:
        await cold.load("firmware.integrations.discovery").publish_all(m, state, publish)
        m.discover = False
    if m.sent_ms is None or time.ticks_diff(now, m.sent_ms) >= cfg["interval_s"] * 1000 - 500:
        await publish(m, m.base + "/state", state_pieces(state))
        m.sent_ms = now
    while m.quarters:
        qid, consumed, produced, energy = m.quarters[0]
        await publish(m, m.base + "/quarter", (
            '{"quarter_id":%d,"start":"%s","consumed_power_avg":%d,"produced_power_avg":%d,'
            '"consumed_energy_avg":%s}' % (qid, _start(qid), consumed, produced,
                                           json.dumps(energy)),))
        m.quarters.pop(0)
    if state.peaks.rebuilt:
        seen = _peak_now(state)
        if m.peak is not None and seen != m.peak and (seen[1] >= 0 or seen[2] >= 0):
            await publish(m, m.base + "/peak", (_peak_event(seen),))
        m.peak = seen


async def tick(m, state):
    """One tick: connect when due, then the tick's messages; the next tick's time."""
    if m.conn is None and not await _connect(m, state):
        return
    t = time.ticks_ms()
    try:
        await asyncio.wait_for_ms(_work(m, state), _WORK_MS)
    except Exception as e:  # noqa: BLE001  (lost: the next tick connects again)
        _failed(m, state, "connection lost: " + _words(e), _RETRY_MS)
        return
    m.took_ms = time.ticks_diff(time.ticks_ms(), t)
    m.wait_ms = min(m.cfg["interval_s"] * 1000, _TICK_MAX_MS)
