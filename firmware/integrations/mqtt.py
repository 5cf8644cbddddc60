"""MQTT to a broker, the resident part: the session's state between ticks, the
finished quarters that wait for the broker (the last 8 at most), and the task that
wakes every interval_s, or when a retry is due, and has integrations.mqttlink do the
work while no HTTP request is served (the web server's lock: one big job at a time).
mqttlink is loaded per tick and forgotten; the connection stays open between ticks."""

import asyncio

from micropython import const

from firmware.core import cold

_KEPT = const(8)  # finished quarters kept for the broker while it is away
_AGAIN_MS = const(60000)


class Mqtt:
    def __init__(self, cfg, serial):
        self.cfg = cfg  # config.json's "mqtt" section
        self.port = cfg["port"] or (8883 if cfg["tls"] else 1883)
        self.base = "%s/%s" % (cfg["prefix"], serial)  # the device's topics: base/state, ...
        self.conn = None  # the broker's stream while connected
        self.error = None  # why there is no connection, in words (for /about)
        self.fails = 0  # failed attempts in a row: the retry waits longer each time
        self.failures = 0  # failed attempts and lost connections since start
        self.published = 0  # messages sent
        self.took_ms = None  # how long the last tick's work took
        self.quarters = []  # finished quarters to send: (quarter_id, W in, W out, energy W)
        self.dropped = 0  # finished quarters not sent (more than _KEPT waited)
        self.wait_ms = 0  # until the next tick
        # what mqttlink keeps between ticks (see there)
        self.rest = b""  # the start of a packet from the broker, the rest yet to come
        self.pong = True  # the last ping was answered
        self.ping_ms = self.sent_ms = self.logged_ms = None  # ticks_ms of the last ping,
        # state message and event logged
        self.told = False  # a failure was logged: log the next connection too
        self.discover = False  # Home Assistant's discovery is to be sent
        self.peak = None  # the month peak last seen

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

    def about(self):
        """The /about entry."""
        return {"broker": "%s:%d" % (self.cfg["host"], self.port), "tls": self.cfg["tls"],
                "connected": self.conn is not None, "error": self.error,
                "failures": self.failures, "published": self.published,
                "publish_ms": self.took_ms, "quarters_waiting": len(self.quarters),
                "quarters_dropped": self.dropped}

    async def run(self, state):
        while True:
            await asyncio.sleep_ms(self.wait_ms)
            async with state.one_at_a_time:
                try:  # mqttlink handles what the network does; this is for the rest
                    await cold.load("firmware.integrations.mqttlink").tick(self, state)
                except Exception as e:  # no memory to load it, or a bug: try again later
                    self.error = repr(e)
                    self.wait_ms = _AGAIN_MS
