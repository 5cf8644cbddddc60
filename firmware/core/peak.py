"""The month's capacity peak, our own: the highest finished quarter of the month.

The capacity tariff bills the highest quarter-hour average import power of a month,
by the meter's local calendar. MonthPeak keeps it from the finished quarters, with
each day's peak and energy. The meter's own peak is read in core.meterpeak.
"""

from array import array

from firmware.core import clock


class MonthPeak:
    """Our own peak of one month: the highest finished quarter average (W), with
    each day's peak and energy, for the month view."""

    def __init__(self):
        self.month = None  # (year, month)
        self.source = "energy"  # what the power came from: "energy" or "slots"
        self.day_power = array("i", bytes(4 * 32))  # per day of the month (index 1..31)
        self.day_qid = array("i", bytes(4 * 32))
        self.day_wh = array("i", bytes(4 * 32))  # imported Wh
        self.day_export_wh = array("i", bytes(4 * 32))
        self._reset(None)

    def _reset(self, month):
        self.month = month
        self.power = -1  # W, -1: none yet
        self.quarter_id = 0  # 0: none yet
        for d in range(32):
            self.day_power[d] = -1  # -1: no quarter that day
            self.day_qid[d] = self.day_wh[d] = self.day_export_wh[d] = 0

    def offer(self, qid, power_w, source, wh=0, export_wh=0):
        """A finished quarter's average (W) and its imported and exported energy (Wh).
        A quarter of a later month starts that month first; one of an earlier month
        is ignored. On equal power the earlier quarter stays. Returns True when the
        month or the peak changed."""
        month = clock.month_of(qid)
        changed = False
        if self.month is None or month > self.month:
            changed = self.month is not None or self.power >= 0
            self._reset(month)
        elif month < self.month:
            return False
        day = qid >> 8 & 0xFF
        self.day_wh[day] += wh
        self.day_export_wh[day] += export_wh
        if power_w is None or power_w < 0:
            return changed
        if _better(qid, power_w, self.day_qid[day], self.day_power[day]):
            self.day_power[day] = power_w
            self.day_qid[day] = qid
        if _better(qid, power_w, self.quarter_id, self.power):
            self.power = power_w
            self.quarter_id = qid
            self.source = source
            return True
        return changed

    def pair(self):
        """(quarter_id, W), or None when there is no peak yet."""
        return None if self.power < 0 else (self.quarter_id, self.power)

    def to_json_obj(self):
        """{"quarter_id", "power"}, or None when there is no peak yet."""
        return None if self.power < 0 else {"quarter_id": self.quarter_id, "power": self.power}

    def days(self):
        """[{"day", "quarter_id", "power", "wh", "export_wh"}] of the days with data."""
        out = []
        for d in range(1, 32):
            if self.day_power[d] >= 0 or self.day_wh[d] or self.day_export_wh[d]:
                out.append({"day": d, "quarter_id": self.day_qid[d] or None,
                            "power": self.day_power[d] if self.day_power[d] >= 0 else None,
                            "wh": self.day_wh[d], "export_wh": self.day_export_wh[d]})
        return out


def _better(qid, power, best_qid, best_power):
    """A quarter beats the best so far on power, and on equal power when earlier."""
    return power > best_power or (power == best_power and best_qid != 0
                                  and clock.minutes(qid) < clock.minutes(best_qid))
