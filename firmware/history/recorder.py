"""Quarter recorder: readings -> the current quarter -> quarter files and checkpoints.

Quarter and slot come from the meter's timestamp. The first telegram of a new quarter
closes the old one (its import register is the old quarter's end) and writes its file.
The current quarter is checkpointed once a minute of meter time, so a power cut loses
at most that; after a restart in the same quarter recording resumes, and a quarter
that ended while the device was off is still written from its checkpoint.
"""

from firmware.core import clock
from firmware.core.dsmr import ROW_TS, SLOT, row
from firmware.core.quarter import Quarter

CHECKPOINT_S = 60
_IMPORT_ROWS = tuple(row("total_power_import_t%d_kwh" % t) for t in (1, 2, 3, 4))
_ROW_IMPORT_W = row("power_import_kw")
_ROW_EXPORT_W = row("power_export_kw")
_ROW_AVG = row("active_power_average_kw")


def import_wh(r):
    """Sum of the import registers in Wh, or -1 when the telegram has none."""
    total = -1
    for i in _IMPORT_ROWS:
        if r.present[i]:
            total = (0 if total < 0 else total) + r.values[SLOT[i]]
    return total


class Recorder:
    def __init__(self, store, on_quarter=None, log=print):
        self.store = store  # a HistoryStore, or None without an SD card
        self.on_quarter = on_quarter  # called with each finished Quarter
        self.log = log
        self.q = Quarter()
        self.checkpoint_s = -1  # second of the quarter of the last checkpoint
        self.second = -1  # second of the quarter of the last telegram (meter time)
        self.pending = None
        if store is not None:
            self.attach(store, store.recover())

    def attach(self, store, pending):
        """Record to store (a HistoryStore) from now on; pending is its checkpoint
        (store.recover()), resumed when no telegram has come yet."""
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
        wh = import_wh(r)
        if qid != self.q.qid:
            self._new_quarter(qid, wh)
        consumed = v[SLOT[_ROW_IMPORT_W]] if r.present[_ROW_IMPORT_W] else 0
        exported = v[SLOT[_ROW_EXPORT_W]] if r.present[_ROW_EXPORT_W] else 0
        avg = v[SLOT[_ROW_AVG]] if r.present[_ROW_AVG] else -1
        self.q.add(second, consumed, exported, wh, avg)
        self.second = second
        if self.store is not None and second - self.checkpoint_s >= CHECKPOINT_S:
            if self.store.write_checkpoint(self.q):
                self.checkpoint_s = second

    def _new_quarter(self, qid, wh):
        q = self.q
        if self.pending is not None:  # first telegram since start-up
            q.load(self.pending)
            self.pending = None
            if q.qid == qid:
                self.checkpoint_s = q.last_s
                self.log("recorder: resumed quarter %s" % clock.file_name(qid))
                return
            if self.store.has_quarter(q.qid):
                q.clear(0)  # its file was written before the restart: it is final
        if q.qid and q.telegrams:
            follows = clock.minutes(qid) - clock.minutes(q.qid) == 15
            q.close(wh if follows else -1)
            self._finish(q)
        q.clear(qid)
        self.checkpoint_s = 0  # the first checkpoint a minute into the quarter

    def _finish(self, q):
        if self.store is not None:
            self.store.write_quarter(q)
        if self.on_quarter is not None:
            self.on_quarter(q)
