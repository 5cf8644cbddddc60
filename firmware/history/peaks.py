"""The month's capacity peak as a service: fed by finished quarters and rebuilt
from the SD card at start-up (history.answers.scan_month).

A quarter counts with its energy-based average (the import registers, as the grid
operator bills), or with its slot average when the meter has no registers.
"""

import asyncio

from firmware.core import clock, cold
from firmware.core.peak import MonthPeak


def offer(peak, qid, consumed_w, produced_w, energy_w):
    """One quarter's averages (W; None where unknown) to a MonthPeak."""
    power, source = (energy_w, "energy") if energy_w is not None else (consumed_w, "slots")
    wh = (power or 0) // 4  # W over a quarter hour
    export_wh = -(produced_w or 0) // 4
    peak.offer(qid, power, source, wh, export_wh)


class PeakTracker:
    """This month's peak and days. Until the first telegram says which month it is,
    finished quarters are left to the start-up scan of the card (they are on it)."""

    def __init__(self, store, recorder):
        self.store = store
        self.recorder = recorder
        self.month = MonthPeak()
        self.cutoff = None if store is not None else -1  # minute from which quarters count live
        self.rebuilt = store is None

    def attach(self, store):
        """An SD card: this month's files on it count too, once rebuild() has run.
        Quarters finished before it came were counted live (cutoff -1)."""
        self.store = store
        if self.recorder.q.qid == 0:
            self.cutoff = None  # no telegram yet: as at start-up
        self.rebuilt = False

    def on_quarter(self, q):
        """Recorder callback: a finished quarter."""
        if self.cutoff is None or clock.minutes(q.qid) < self.cutoff:
            return  # the start-up scan reads it from the card
        avgs = q.averages()
        if avgs is not None:
            offer(self.month, q.qid, avgs[0], avgs[1], q.energy_avg())

    async def rebuild(self, progress=None):
        """Once the meter's time is known: this month's files before the live quarter."""
        while not self.recorder.q.qid:
            await asyncio.sleep_ms(200)
        qid = self.recorder.q.qid
        self.cutoff = clock.minutes(qid)
        y, m = clock.month_of(qid)
        scan = cold.load("firmware.history.answers").scan_month
        await scan(self.store, y, m, self.month, self.cutoff, progress)
        self.rebuilt = True
