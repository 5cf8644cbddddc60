"""Quarter recorder: readings -> the current quarter -> quarter files and checkpoints.

Quarter and slot come from the meter's timestamp. The first telegram of a new quarter
closes the old one (its import register is the old quarter's end) and writes its file.
The current quarter is checkpointed once a minute of meter time, so a power cut loses
at most that; after a restart in the same quarter recording resumes, and a quarter
that ended while the device was off is still written from its checkpoint.
"""

from array import array

from micropython import const

from firmware.core import clock, cold
from firmware.core.dsmr import IMPORT, ROW_TS, SLOT, row, total
from firmware.core.quarter import Quarter

_CHECKPOINT_S = const(60)
_WAIT = const(10)  # telegrams of a new quarter that can wait for the last one's file
_ROW_IMPORT_W = row("power_import_kw")
_ROW_EXPORT_W = row("power_export_kw")
_ROW_AVG = row("active_power_average_kw")


class Recorder:
    def __init__(self, store, on_quarter=None, log=print):
        self.store = store  # a HistoryStore, or None without an SD card
        self.on_quarter = on_quarter  # called with each finished Quarter
        self.log = log
        self.q = Quarter()
        # When the finished quarter's file cannot be written for want of memory (a
        # request holds the heap), it stays in q and is tried again at each telegram;
        # meanwhile the new quarter's telegrams wait here: (second, W in, W out, Wh,
        # meter W) each, for up to _WAIT telegrams.
        self.next_qid = 0  # the quarter that waits to begin, 0: none
        self.waiting = array("i", bytes(4 * 5 * _WAIT))
        self.waits = 0
        self.memory_errors = 0
        self.checkpoint_s = -1  # second of the quarter of the last checkpoint
        self.second = -1  # second of the quarter of the last telegram (meter time)
        self.pending = None
        if store is not None:
            self.attach(store, cold.load("firmware.history.recover").recover(store))

    def attach(self, store, pending):
        """Record to store (a HistoryStore) from now on; pending is its checkpoint
        (history.recover.recover()), resumed when no telegram has come yet."""
        self.store = store
        if not self.q.qid:
            self.pending = pending
        elif pending is not None:
            self.log("recorder: the card came too late to resume its quarter %s"
                     % clock.file_name(pending["quarter_id"]))

    def on_reading(self, r):
        """P1Reader listener: one good telegram."""
        if not r.present[ROW_TS]:
            return  # DSMR 2.2/3: no meter time, so no quarters
        v = r.values
        t = SLOT[ROW_TS]
        hhmmss = v[t + 1]
        qid = clock.quarter_id(v[t], hhmmss, v[t + 2])
        second = hhmmss // 100 % 100 % 15 * 60 + hhmmss % 100
        wh = total(r, IMPORT)  # Wh: 1-0:1.8.0, else the tariffs' sum; -1: none
        consumed = v[SLOT[_ROW_IMPORT_W]] if r.present[_ROW_IMPORT_W] else 0
        exported = v[SLOT[_ROW_EXPORT_W]] if r.present[_ROW_EXPORT_W] else 0
        avg = v[SLOT[_ROW_AVG]] if r.present[_ROW_AVG] else -1
        if self.next_qid:  # the last quarter is still to be written
            self._wait(second, consumed, exported, wh, avg)
            self._finish()
            return
        if qid != self.q.qid:
            self._new_quarter(qid, wh)
            if self.next_qid:
                self._wait(second, consumed, exported, wh, avg)
                return
        self._add(second, consumed, exported, wh, avg)

    def _add(self, second, consumed, exported, wh, avg):
        self.q.add(second, consumed, exported, wh, avg)
        self.second = second
        if self.store is not None and second - self.checkpoint_s >= _CHECKPOINT_S:
            try:
                if self.store.write_checkpoint(self.q):
                    self.checkpoint_s = second
            except MemoryError:  # again at the next telegram
                self.memory_errors += 1

    def _wait(self, *values):
        if self.waits == _WAIT:  # no memory for the file all this while: let it go
            self.log("recorder: quarter %s could not be written (no memory)"
                     % clock.file_name(self.q.qid))
            self._begin()
        i = 5 * self.waits
        for k in range(5):
            self.waiting[i + k] = values[k]
        self.waits += 1

    def _new_quarter(self, qid, wh):
        q = self.q
        if self.pending is not None:  # first telegram since start-up
            q.load(self.pending)
            self.pending = None
            if q.qid == qid:
                self.checkpoint_s = q.last_s
                self.log("recorder: resumed quarter %s" % clock.file_name(qid))
                return
            if cold.load("firmware.history.recover").has_quarter(self.store, q.qid):
                q.clear(0)  # its file was written before the restart: it is final
        self.next_qid = qid
        if q.qid and q.telegrams:
            follows = clock.minutes(qid) - clock.minutes(q.qid) == 15
            q.close(wh if follows else -1)
            self._finish()
        else:
            self._begin()

    def _finish(self):
        """The finished quarter to its file and to on_quarter, then the next one
        begins; on MemoryError it waits for the next telegram."""
        try:
            if self.store is not None:
                self.store.write_quarter(self.q)
            if self.on_quarter is not None:
                self.on_quarter(self.q)
        except MemoryError:
            self.memory_errors += 1
            return
        self._begin()

    def _begin(self):
        """The next quarter begins, with the telegrams that waited for it."""
        self.q.clear(self.next_qid)
        self.next_qid = 0
        self.checkpoint_s = 0  # the first checkpoint a minute into the quarter
        w = self.waiting
        for i in range(0, 5 * self.waits, 5):
            self._add(w[i], w[i + 1], w[i + 2], w[i + 3], w[i + 4])
        self.waits = 0
