"""One quarter hour of 5-second slots, and its JSON file.

The file keeps the original firmware's format and key order, so SD cards move both
ways between the two firmwares; new keys are only appended:

    {"quarter_id":…,"consumed_power_avg":W,"interval_secs":5,
     "consumed_power_interval_avgs":[…],"produced_power_interval_avgs":[…],
     "produced_power_avg":W,"consumed_energy_avg":W,"meter_power_avg":W}

A slot is the integer mean of the telegrams in it, truncated toward zero as C
integer division does; produced values are negative. The arrays run from slot 0 to
the last slot with data; an empty slot is null in both. The averages are integer
means of the slots with data. consumed_energy_avg is what the grid operator bills:
the import registers' increase over the quarter as an average power (Δ kWh × 4 for
a whole quarter), null when the meter sends no registers. meter_power_avg is the
meter's own 1-0:1.4.0 at the end of the quarter, null when it has none.
"""

from array import array

from micropython import const

from firmware.core.clock import SLOT_SECONDS, SLOTS

_QUARTER_SECONDS = const(900)


def _tdiv(a, b):
    """a / b truncated toward zero, as C integer division."""
    q = abs(a) // b
    return -q if a < 0 else q


class Quarter:
    """The quarter being recorded: per slot the sums and the number of telegrams."""

    def __init__(self):
        self.consumed = array("i", bytes(4 * SLOTS))  # sum of W in the slot
        self.produced = array("i", bytes(4 * SLOTS))  # sum of exported W (positive)
        self.count = bytearray(SLOTS)  # telegrams in the slot
        self.clear(0)

    def clear(self, qid):
        for i in range(SLOTS):
            self.consumed[i] = 0
            self.produced[i] = 0
            self.count[i] = 0
        self.qid = qid
        self.first_wh = -1  # import register (Wh) at the first telegram, -1: none
        self.first_s = 0  # its second in the quarter
        self.last_wh = -1
        self.last_s = 0
        self.meter_avg = -1  # the meter's 1-0:1.4.0 (W) at the last telegram, -1: none
        self.telegrams = 0

    def add(self, second, consumed_w, exported_w, import_wh=-1, meter_avg_w=-1):
        """One telegram at `second` (0..899) of the quarter."""
        i = second // SLOT_SECONDS
        if self.count[i] == 255:
            return  # a meter sends 5 per slot; more is a clock gone wrong
        self.consumed[i] += consumed_w
        self.produced[i] += exported_w
        self.count[i] += 1
        self.telegrams += 1
        if import_wh >= 0:
            if self.first_wh < 0:
                self.first_wh = import_wh
                self.first_s = second
            self.last_wh = import_wh
            self.last_s = second
        if meter_avg_w >= 0:
            self.meter_avg = meter_avg_w

    def close(self, import_wh=-1):
        """End the quarter at the next quarter's first register reading (Wh)."""
        if import_wh >= 0 and self.first_wh >= 0:
            self.last_wh = import_wh
            self.last_s = _QUARTER_SECONDS

    def last_slot(self):
        """Index of the last slot with data, -1 when there is none."""
        for i in range(SLOTS - 1, -1, -1):
            if self.count[i]:
                return i
        return -1

    def slot_avgs(self, i):
        """(consumed W, produced W <= 0) of slot i, or None when it is empty."""
        n = self.count[i]
        if not n:
            return None
        return _tdiv(self.consumed[i], n), -_tdiv(self.produced[i], n)

    def averages(self):
        """(consumed W, produced W) over the slots with data, or None when empty."""
        c = p = n = 0
        for i in range(SLOTS):
            s = self.slot_avgs(i)
            if s:
                c += s[0]
                p += s[1]
                n += 1
        if not n:
            return None
        return _tdiv(c, n), _tdiv(p, n)

    def projected_w(self, second, power_w):
        """The average if power_w (W) goes on for the rest of the quarter, second
        (0..899) its last telegram's: (average so far x elapsed + power_w x (900 -
        elapsed)) / 900, rounded; None without a telegram in it or a power."""
        avgs = self.averages() if self.qid and 0 <= second < 900 and power_w is not None \
            else None
        if avgs is None:
            return None
        e = second + 1
        return (avgs[0] * e + power_w * (900 - e) + 450) // 900

    def energy_avg(self):
        """Average import power (W) from the registers, or None without two readings."""
        seconds = self.last_s - self.first_s
        if self.first_wh < 0 or seconds <= 0:
            return None
        return _tdiv((self.last_wh - self.first_wh) * 3600, seconds)

    def json_pieces(self, checkpoint=False):
        """The quarter's file text, as a generator of small strings (no big string:
        the board's heap is small). A checkpoint also carries the exact sums, counts
        and registers, so recording can resume where it was."""
        avgs = self.averages() or (0, 0)
        yield ('{"quarter_id":%d,"consumed_power_avg":%d,"interval_secs":%d,'
               % (self.qid, avgs[0], SLOT_SECONDS))
        last = self.last_slot()
        for key, k in (("consumed_power_interval_avgs", 0), ("produced_power_interval_avgs", 1)):
            yield '"%s":[' % key
            for i in range(last + 1):
                s = self.slot_avgs(i)
                yield ("," if i else "") + ("null" if s is None else str(s[k]))
            yield "],"
        energy = self.energy_avg()
        yield ('"produced_power_avg":%d,"consumed_energy_avg":%s,"meter_power_avg":%s'
               % (avgs[1], "null" if energy is None else energy,
                  "null" if self.meter_avg < 0 else self.meter_avg))
        if checkpoint:
            yield ',"checkpoint":{'
            for key, values in (("consumed", self.consumed), ("produced", self.produced),
                                ("count", self.count)):
                yield '"%s":[' % key
                for i in range(last + 1):
                    yield ("," if i else "") + str(values[i])
                yield "],"
            yield ('"first_wh":%d,"first_s":%d,"last_wh":%d,"last_s":%d}'
                   % (self.first_wh, self.first_s, self.last_wh, self.last_s))
        yield "}"

    def load(self, d):
        """Take a quarter's parsed JSON back. From a checkpoint it is exact; from a
        plain quarter file (also the original firmware's) each slot comes back as one
        telegram with the slot's average, without registers."""
        self.clear(d["quarter_id"])
        meter = d.get("meter_power_avg")
        if meter is not None:
            self.meter_avg = meter
        cp = d.get("checkpoint")
        if cp:
            for i in range(min(len(cp["count"]), SLOTS)):
                self.consumed[i] = cp["consumed"][i]
                self.produced[i] = cp["produced"][i]
                self.count[i] = cp["count"][i]
                self.telegrams += cp["count"][i]
            self.first_wh = cp["first_wh"]
            self.first_s = cp["first_s"]
            self.last_wh = cp["last_wh"]
            self.last_s = cp["last_s"]
            return
        cons = d.get("consumed_power_interval_avgs") or []
        prod = d.get("produced_power_interval_avgs") or []
        for i in range(min(len(cons), SLOTS)):
            if cons[i] is not None:
                self.consumed[i] = cons[i]
                p = prod[i] if i < len(prod) else None
                self.produced[i] = -p if p else 0
                self.count[i] = 1
                self.telegrams += 1
