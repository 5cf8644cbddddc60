"""MQTT's rare work: the session at start-up (start()), connecting to the broker
(the last will, the login, TLS with the CA from the SD card), the broker's packets
(parse(): CONNACK, ping answers, Home Assistant's status), and what a failure does
(failed(): the reason in words for /about, a retry that waits longer each time, the
event log at most every 10 min). Loaded per use (core.cold): at start-up, by
integrations.mqttlink when it is not connected, and by a tick whose connection failed.
"""

import asyncio
import time

from micropython import const

_CONNECT_MS = const(5000)  # to connect, and for the broker's CONNACK
_RETRY_MS = const(5000)  # the first retry (and after a lost connection); then twice as long each time, up to _RETRY_MAX_MS
_RETRY_MAX_MS = const(120000)
_REFUSED_MS = const(600000)  # the broker said no to this login: ask again this much later
_REPORT_MS = const(600000)  # failures go to the event log at most this often
_READ = const(256)
_PENDING_MAX = const(512)  # a message from the broker larger than this ends the connection
_CA_FILE = const("mqtt-ca.pem")
_CA_PATH = const("/mqtt-ca.pem")  # on the SD card
# CONNACK return codes 1..5 (MQTT 3.1.1, 3.2.2.3); 3 is worth trying again soon
_REFUSALS = const(("refused the protocol version 3.1.1", "refused the client id",
                   "is unavailable", "refused the user name or password",
                   "refused: not authorized"))
_ERRNO_WORDS = const((("ECONNREFUSED", "connection refused (is the broker running?)"),
                      ("ECONNRESET", "connection reset"),
                      ("EHOSTUNREACH", "host unreachable"),
                      ("ETIMEDOUT", "timed out (no answer)")))


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
            if buf[at + 2:at + 2 + k] == "/".join((m.cfg["discovery_prefix"], "status")).encode() \
                    and buf[start:at + n] == b"online":
                m.discover = m.cfg["discovery"]
        i = at + n
    m.pending = buf[i:]
    if len(m.pending) > _PENDING_MAX:
        raise ValueError("a message from the broker over %d bytes" % _PENDING_MAX)
    return code


def start(state):
    """The session (an integrations.mqtt.Mqtt) for config.json's "mqtt" section; it takes
    the recorder's finished quarters (and hands them on to the month peak)."""
    from firmware.integrations.mqtt import Mqtt

    m = Mqtt()
    cfg = m.cfg = state.cfg["mqtt"]
    m.peaks = state.peaks
    state.recorder.on_quarter = m.on_quarter
    m.port = cfg["port"] or (8883 if cfg["tls"] else 1883)
    m.quarters = []  # finished quarters to send: (quarter_id, W in, W out, energy W, new peak)
    m.dropped = 0  # finished quarters not sent (more than 8 waited)
    m.conn = None  # the broker's stream while connected
    m.error = None  # why there is no connection, in words (for /about)
    m.fails = 0  # failed attempts in a row: the next retry waits longer
    m.errors = 0  # failed attempts and lost connections since start
    m.writes = 0  # messages sent
    m.memory_errors = 0  # ticks that ran out of heap (counted in /about memory.errors)
    m.took_ms = None  # how long the last tick's work took
    m.delay_ms = 0  # until the next tick
    m.pending = b""  # the start of a packet from the broker, its rest yet to come
    m.ping_ms = 0  # when the last ping went
    m.pong = True  # it was answered
    m.logged_ms = None  # when the last failure went to the event log
    m.told = True  # say the next connection: the first, or the first after a logged failure
    m.discover = False  # Home Assistant's discovery is to be sent
    m.keys = None  # then the state message's keys, for the discovery's tick
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


def lost(m, state, e):
    """A tick's work failed (a MemoryError is counted too: a message may have been cut
    short): hang up, and connect again at the next try."""
    if isinstance(e, MemoryError):
        m.memory_errors += 1
    failed(m, state, "connection lost: " + reason(e), _RETRY_MS)


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
    m.error = "broker %s:%d: %s" % (m.cfg["host"], m.port, why)
    m.delay_ms = delay_ms or min(_RETRY_MS << min(m.fails - 1, 5), _RETRY_MAX_MS)
    now = time.ticks_ms()
    if m.logged_ms is None or time.ticks_diff(now, m.logged_ms) >= _REPORT_MS:
        m.logged_ms = now
        m.told = True
        state.events.add("mqtt", "%s (%d failures since start); trying again in %d s"
                         % (m.error, m.errors, m.delay_ms // 1000))


def secure(state):
    """An SSL context that checks the broker against the CA certificate(s) in
    mqtt-ca.pem on the SD card (PEM, or one DER certificate); raises ValueError with the
    reason when there is none."""
    try:
        import ssl
    except ImportError:
        raise ValueError("TLS is not available on this runtime (no ssl module)")
    try:
        with open(state.board.sd_path() + _CA_PATH, "rb") as f:
            ca = f.read()
    except OSError:
        raise ValueError("TLS needs the broker's CA in %s on the SD card" % _CA_FILE)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED  # (MicroPython's default for a client is not)
    blocks = ca.split(b"-----BEGIN CERTIFICATE-----")
    if len(blocks) == 1:
        ctx.load_verify_locations(None, ca)  # DER
    import binascii

    for b in blocks[1:]:  # PEM: MicroPython's ssl takes each certificate as DER
        b = b.split(b"-----END")[0].replace(b"\n", b"").replace(b"\r", b"")
        ctx.load_verify_locations(None, binascii.a2b_base64(b))
    return ctx


async def connect(m, state):
    """Connect, log in with a last will, subscribe to Home Assistant's status, say
    online; False when that failed (the reason is in m.error)."""
    from firmware.integrations.mqtt import header, path, string

    cfg = m.cfg
    try:
        ssl = secure(state) if cfg["tls"] else None
        m.conn = (await asyncio.wait_for_ms(
            asyncio.open_connection(cfg["host"], m.port, ssl), _CONNECT_MS))[1]
        m.pending = b""
        will = string(path(m, state, "status"))
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
            + string("digimon" + state.serial) + will + string("offline") + login
        w = m.conn
        w.write(header(0x10, len(body)) + body)
        await w.drain()
        code = None
        while code is None:
            data = await asyncio.wait_for_ms(w.read(_READ), _CONNECT_MS)
            if not data:
                raise OSError("the broker closed the connection")
            code = parse(m, data)
        if code:
            why = _REFUSALS[code - 1] if code <= len(_REFUSALS) else "refused (%d)" % code
            failed(m, state, "the broker " + why, 0 if code == 3 else _REFUSED_MS)
            return False
        t = string("/".join((cfg["discovery_prefix"], "status")))
        w.write(header(0x82, 3 + len(t)) + b"\x00\x01" + t + b"\x00")  # SUBSCRIBE
        w.write(header(0x31, len(will) + 6) + will + b"online")  # PUBLISH, retained
        await w.drain()
        m.writes += 1
    except Exception as e:  # noqa: BLE001  (whatever it was, the broker is not there)
        failed(m, state, "cannot connect: " + reason(e))
        return False
    m.fails = 0
    m.error = None
    m.discover = cfg["discovery"]
    m.ping_ms = time.ticks_ms()
    m.pong = True
    if m.told:
        m.told = False
        state.events.add("mqtt", "connected to %s:%d, topics %s" % (
            cfg["host"], m.port, path(m, state, "#")))
    return True
