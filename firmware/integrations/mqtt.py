"""MQTT, the part that stays in RAM while MQTT is on: the session (Mqtt, made by
mqttconnect.start() at start-up), the finished quarters that wait for the broker
(the last 8 at most), the task that wakes every interval_s, or when a retry is due,
and has integrations.mqttlink or discovery do the work (loaded per tick and
forgotten), and the packets' parts the ticks share (string, header, path, send). A tick
runs while no HTTP request is served (the web server's lock: one big job at a time);
the connection stays open between ticks.
"""

import asyncio

from micropython import const

from firmware.core import cold

_KEPT = const(8)  # finished quarters kept for the broker while it is away
_AGAIN_MS = const(60000)


class Mqtt:
    """MQTT's session; mqttconnect.start() makes it and says what it keeps."""

    def on_quarter(self, q):
        """The recorder's callback: a finished quarter to the month peak (history.peaks),
        and kept until the broker has it, with whether it made a new month peak."""
        peaks = self.peaks
        peak = peaks.month.pair()
        peaks.on_quarter(q)
        peak = peaks.month.pair() not in (peak, None)
        try:
            avgs = q.averages()
            if avgs is not None:
                if len(self.quarters) >= _KEPT:
                    self.quarters.pop(0)
                    self.dropped += 1
                self.quarters.append((q.qid, avgs[0], avgs[1], q.energy_avg(), peak))
        except MemoryError:  # never the recorder's trouble
            self.dropped += 1

    async def run(self, state):
        while True:
            await asyncio.sleep_ms(self.delay_ms)
            async with state.one_at_a_time:
                # the tick's module handles what the network does; this is for the rest
                try:
                    await cold.load("firmware.integrations.discovery" if self.keys and self.conn
                                    else "firmware.integrations.mqttlink").run(self, state)
                except Exception as e:  # no memory to load it, or a bug: try again later
                    self.error = repr(e)
                    self.delay_ms = _AGAIN_MS
                    if isinstance(e, MemoryError):  # the heap is busy: the next interval
                        self.memory_errors += 1
                        self.delay_ms = self.cfg["interval_s"] * 1000


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


def text(v):
    """pieces for send() of a message made already."""
    return (v,)
