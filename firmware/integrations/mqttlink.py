"""MQTT 3.1.1 to the broker: the session (session(), at start-up), and one tick's work
(run(), every interval_s): connect when due (the last will,
the login, TLS), read what the broker sent without waiting for it (ping answers, Home
Assistant back online), publish the state, the finished quarters and a new month
peak, and ping now and then. Loaded per tick (core.cold) by integrations.mqtt, which
keeps the connection and what is to be sent.

Topics, under <prefix>/<serial>/: state (every interval_s), quarter (each finished
quarter), peak (a new month peak), status (online, or offline by the last will;
retained). Home Assistant's discovery is integrations.discovery's. Everything goes at
QoS 0; the broker's answers are read at the next tick.

Names here are ones the firmware already has where they fit: each new name is
interned for good on the board.
"""

import asyncio
import json
import time

from micropython import const

from firmware.core import clock, cold

_PING_MS = const(30000)  # a ping at most this often; no answer by the next: the link is dead
_CONNECT_MS = const(5000)  # to connect, and for the broker's CONNACK
_WORK_MS = const(5000)  # to send a tick's messages
_RETRY_MS = const(5000)  # the first retry; then twice as long each time, up to _RETRY_MAX_MS
_RETRY_MAX_MS = const(120000)
_REFUSED_MS = const(600000)  # the broker said no to this login: ask again this much later
_REPORT_MS = const(600000)  # failures go to the event log at most this often
_READ = const(256)
_PENDING_MAX = const(512)  # a message from the broker larger than this ends the connection
_CHUNK = const(512)
_CA_FILE = const("mqtt-ca.pem")
_QUARTER_S = const(900)
# CONNACK return codes 1..5 (MQTT 3.1.1, 3.2.2.3); 3 is worth trying again soon
_REFUSALS = const(("refused the protocol version 3.1.1", "refused the client id",
                   "is unavailable", "refused the user name or password",
                   "refused: not authorized"))
_ERRNO_WORDS = const((("ECONNREFUSED", "connection refused (is the broker running?)"),
                      ("ECONNRESET", "connection reset"),
                      ("EHOSTUNREACH", "host unreachable"),
                      ("ETIMEDOUT", "timed out (no answer)")))


def session(cfg):
    """The session (an integrations.Mqtt) for config.json's "mqtt" section."""
    from firmware.integrations import Mqtt

    m = Mqtt()
    m.cfg = cfg
    m.port = cfg["port"] or (8883 if cfg["tls"] else 1883)
    m.quarters = []  # finished quarters to send: (quarter_id, W in, W out, energy W)
    m.dropped = 0  # finished quarters not sent (more than 8 waited)
    m.conn = None  # the broker's stream while connected
    m.error = None  # why there is no connection, in words (for /about)
    m.fails = 0  # failed attempts in a row: the next retry waits longer
    m.errors = 0  # failed attempts and lost connections since start
    m.writes = 0  # messages sent
    m.took_ms = None  # how long the last tick's work took
    m.delay_ms = 0  # until the next tick
    m.pending = b""  # the start of a packet from the broker, its rest yet to come
    m.ping_ms = 0  # when the last ping went
    m.pong = True  # it was answered
    m.logged_ms = None  # when the last failure went to the event log
    m.told = False  # a failure was logged since the last connection was
    m.discover = False  # Home Assistant's discovery is to be sent
    m.peak = None  # the month peak last seen
    return m


def reason(e):
    """An exception from connecting or sending, in words."""
    if isinstance(e, asyncio.TimeoutError):
        return "no answer in time"
    if isinstance(e, OSError) and e.args and isinstance(e.args[0], int):
        import errno

        n = e.args[0]
        name = errno.errorcode.get(n)
        if n < 0 or name is None:  # getaddrinfo's codes
            return "cannot find the host (error %d)" % n
        for k, v in _ERRNO_WORDS:
            if k == name:
                return v
        return name
    return str(e) or repr(e)


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


def topic(m, state, name):
    """<prefix>/<serial>/<name>."""
    return "/".join((m.cfg["prefix"], state.serial, name))


def secure(state):
    """An SSL context that checks the broker against the CA in mqtt-ca.pem on the SD
    card; raises ValueError with the reason when there is none."""
    try:
        import ssl
    except ImportError:
        raise ValueError("TLS is not available on this runtime (no ssl module)")
    try:
        with open("%s/%s" % (state.board.sd_path(), _CA_FILE), "rb") as f:
            ca = f.read()
    except OSError:
        raise ValueError("TLS needs the broker's CA in %s on the SD card" % _CA_FILE)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=ca)
    return ctx


def failed(m, state, why, delay_ms=0):
    """A connection attempt failed, or the connection was lost: hang up, say why,
    count it, wait longer each time (capped), and tell the event log at most every
    10 min."""
    if m.conn is not None:
        try:
            m.conn.s.close()
        except OSError:
            pass
    m.conn = None
    m.errors += 1
    m.fails += 1
    m.error = "%s:%d: %s" % (m.cfg["host"], m.port, why)
    m.delay_ms = delay_ms or min(_RETRY_MS << min(m.fails - 1, 5), _RETRY_MAX_MS)
    now = time.ticks_ms()
    if m.logged_ms is None or time.ticks_diff(now, m.logged_ms) >= _REPORT_MS:
        m.logged_ms = now
        m.told = True
        state.events.add("mqtt", "broker %s (%d failures since start); trying again in %d s"
                         % (m.error, m.errors, m.delay_ms // 1000))


def parse(m, data):
    """Handle the broker's packets in what came (after what was pending from the last
    read); the CONNACK's return code when there was one, else None."""
    buf = m.pending + data if m.pending else data
    i = 0
    code = None
    while len(buf) - i >= 2:
        n = shift = 0
        at = i + 1
        while at < len(buf):
            b = buf[at]
            n |= (b & 127) << shift
            shift += 7
            at += 1
            if not b & 128:
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
            k = buf[at] << 8 | buf[at + 1]
            start = at + 2 + k + (2 if buf[i] & 6 else 0)
            if buf[at + 2:at + 2 + k] == (m.cfg["discovery_prefix"] + "/status").encode() \
                    and buf[start:at + n] == b"online":
                m.discover = m.cfg["discovery"]
        i = at + n
    m.pending = buf[i:]
    if len(m.pending) > _PENDING_MAX:
        raise ValueError("a message from the broker over %d bytes" % _PENDING_MAX)
    return code


async def write(m, data, parts=()):
    w = m.conn
    w.write(data)
    for p in parts:
        w.write(p)
    await w.drain()


async def send(m, name, pieces, keep=False):
    """One PUBLISH of the text pieces to topic `name`, at QoS 0, retained with keep.
    The pieces are made at once, before anything goes: they are live values."""
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
    t = string(name)
    n = len(t)
    for p in parts:
        n += len(p)
    await write(m, header(0x31 if keep else 0x30, n) + t, parts)
    m.writes += 1


async def connect(m, state):
    """Connect, log in with a last will, subscribe to Home Assistant's status, say
    online; False when that failed (the reason is in m.error)."""
    cfg = m.cfg
    try:
        ssl = secure(state) if cfg["tls"] else None
        m.conn = (await asyncio.wait_for_ms(
            asyncio.open_connection(cfg["host"], m.port, ssl), _CONNECT_MS))[1]
        m.pending = b""
        will = topic(m, state, "status")
        flags = 0x26  # clean session, a last will, retained
        login = b""
        if cfg["user"]:
            flags |= 0x80
            login = string(cfg["user"])
            if cfg["password"]:
                flags |= 0x40
                login += string(cfg["password"])
        keepalive = cfg["interval_s"] + 30  # a message each interval_s keeps it alive
        body = b"\x00\x04MQTT\x04" + bytes((flags, keepalive >> 8, keepalive & 255)) \
            + string("digimon" + state.serial) + string(will) + string("offline") + login
        await write(m, header(0x10, len(body)) + body)
        code = None
        while code is None:
            data = await asyncio.wait_for_ms(m.conn.read(_READ), _CONNECT_MS)
            if not data:
                raise OSError("the broker closed the connection")
            code = parse(m, data)
        if code:
            why = _REFUSALS[code - 1] if code <= len(_REFUSALS) else "refused (%d)" % code
            failed(m, state, "the broker " + why, 0 if code == 3 else _REFUSED_MS)
            return False
        t = string(cfg["discovery_prefix"] + "/status")
        await write(m, header(0x82, 3 + len(t)) + b"\x00\x01" + t + b"\x00")
        await send(m, will, ("online",), True)
    except Exception as e:  # noqa: BLE001  (whatever it was, the broker is not there)
        failed(m, state, "cannot connect: " + reason(e))
        return False
    m.fails = 0
    m.error = None
    m.discover = cfg["discovery"]
    m.ping_ms = time.ticks_ms()
    m.pong = True
    if m.told or m.logged_ms is None:  # the first connection, or back after a failure
        m.told = False
        m.logged_ms = m.logged_ms or time.ticks_ms()
        state.events.add("mqtt", "connected to %s:%d, topics %s" % (
            cfg["host"], m.port, topic(m, state, "#")))
    return True


def projection(q, power, second):
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


def timestamp(qid):
    """A quarter's start as ISO 8601 local time with its UTC offset."""
    y, mo, d, hh, mm, dst = clock.split_id(qid)
    return "%04d-%02d-%02dT%02d:%02d:00+0%d:00" % (y, mo, d, hh, mm, 1 + dst)


def pieces(state):
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
    avg = projection(rec.q, power, rec.second) if rec.q.qid else None
    peak = state.peaks.month
    trouble = state.sd_trouble()
    yield ('%s"quarter_id":%d,"quarter_average_w":%s,"quarter_projected_w":%s,'
           '"month_peak_w":%s,"month_peak_quarter_id":%s,"month_peak_start":%s,'
           '"sd":%s,"sd_error":%s}' % (
               end, rec.q.qid, json.dumps(avg and avg[0]), json.dumps(avg and avg[1]),
               json.dumps(peak.power if peak.power >= 0 else None),
               json.dumps(peak.quarter_id or None),
               json.dumps(timestamp(peak.quarter_id) if peak.quarter_id else None),
               json.dumps(trouble is None), json.dumps(trouble)))


def peak(m, state):
    """The peak message when the month peak is new (ours or the meter's), else None."""
    r = state.p1.reading
    own = state.peaks.month
    seen = (own.quarter_id, own.power, -1, 0, 0)
    if r.has("montly_power_peak"):
        seen = (own.quarter_id, own.power, r.get("montly_power_peak", 3),
                r.get("montly_power_peak"), r.get("montly_power_peak", 1))
    last = m.peak
    m.peak = seen
    if last is None or seen == last or (own.power < 0 and seen[2] < 0):
        return None  # nothing yet, nothing new, or a new month without a peak yet
    return ('{"quarter_id":%s,"start":%s,"power_w":%s,"meter_power_w":%s,'
            '"meter_timestamp":%s}' % (
                seen[0] if own.power >= 0 else "null",
                '"%s"' % timestamp(seen[0]) if own.power >= 0 else "null",
                own.power if own.power >= 0 else "null",
                seen[2] if seen[2] >= 0 else "null",
                "%06d%06d" % seen[3:] if seen[2] >= 0 else "null"))


async def work(m, state):
    """A tick's messages, the connection made."""
    cfg = m.cfg
    for _ in range(8):  # what the broker sent since the last tick, without waiting
        data = m.conn.s.read(_READ)
        if data is None:
            break
        if not data:
            raise OSError("the broker closed the connection")
        parse(m, data)
    now = time.ticks_ms()
    if time.ticks_diff(now, m.ping_ms) >= _PING_MS:
        if not m.pong:
            raise OSError("no answer to a ping")
        await write(m, b"\xc0\x00")
        m.ping_ms = now
        m.pong = False
    if state.p1.last_ms is None:
        return  # nothing to tell yet
    if m.discover:
        await cold.load("firmware.integrations.discovery").run(m, state, send)
        m.discover = False
    await send(m, topic(m, state, "state"), pieces(state))
    while m.quarters:
        qid, consumed, produced, energy = m.quarters[0]
        await send(m, topic(m, state, "quarter"), (
            '{"quarter_id":%d,"start":"%s","consumed_power_avg":%d,"produced_power_avg":%d,'
            '"consumed_energy_avg":%s}' % (qid, timestamp(qid), consumed, produced,
                                           json.dumps(energy)),))
        m.quarters.pop(0)
    if state.peaks.rebuilt:
        event = peak(m, state)
        if event:
            await send(m, topic(m, state, "peak"), (event,))


async def run(m, state):
    """One tick: connect when due, then the tick's messages; sets the next tick's time."""
    if m.conn is None and not await connect(m, state):
        return
    t = time.ticks_ms()
    try:
        await asyncio.wait_for_ms(work(m, state), _WORK_MS)
    except Exception as e:  # noqa: BLE001  (lost: the next tick connects again)
        failed(m, state, "connection lost: " + reason(e), _RETRY_MS)
        return
    m.took_ms = time.ticks_diff(time.ticks_ms(), t)
    m.delay_ms = m.cfg["interval_s"] * 1000
