"""MQTT, the part that stays in RAM while MQTT is on: the session (Mqtt, made by
mqttconnect.start() at start-up), the finished quarters that wait for the broker
(the last 8 at most), and the task that wakes every interval_s, or when a retry is
due, and has integrations.mqttlink do the work (loaded per tick and forgotten). A tick
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
                try:  # mqttlink handles what the network does; this is for the rest
                    await cold.load("firmware.integrations.mqttlink").run(self, state)
                except Exception as e:  # no memory to load it, or a bug: try again later
                    self.error = repr(e)
                    self.delay_ms = _AGAIN_MS
