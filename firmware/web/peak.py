"""HTTP routes of the capacity peak: /current/month/peak, the original firmware's
{"peak", "memory"} with our own peak and the meter's side by side. Loaded per request
(core.cold)."""

from firmware.core import cold
from firmware.core.dsmr import SLOT, row
from firmware.web.reply import allowed, json_obj

ROUTES = {"/current/month/peak": "GET"}


async def handle(request, state, app):
    refused = allowed(request, ROUTES)
    if refused:
        return refused
    return json_obj(month_peak(state))


def month_peak(state):
    """/current/month/peak: the original's {"peak", "memory"}, plus our own peak and
    the meter's side by side (a disagreement shows) and the meter's 0-0:98.1.0, one
    entry per month it reports (quarter_id null and 0 W: no peak that month)."""
    mp = cold.load("firmware.core.meterpeak")
    r = state.p1.reading
    have = state.p1.last_ms is not None
    meter = None
    history = []
    if have and r.has("montly_power_peak"):
        meter = mp.meter_peak(r.values, SLOT[row("montly_power_peak")])
    if have and r.has("peak_history"):
        for yymm, qid, w in mp.parse_history(r.text_of("peak_history")):
            # the month the entry reports (its stamp is the next month's start)
            history.append({"month": "20%02d-%02d" % (yymm // 100, yymm % 100),
                            "quarter_id": qid, "power": w})
    own = state.peaks.month
    res = mp.compare(own, meter)
    if res["meter"] is not None:  # the meter's figure is the one on the bill
        res["peak"], res["source"] = res["meter"], "meter"
    elif res["own"] is not None:
        res["peak"], res["source"] = res["own"], own.source
    else:
        res["source"] = None
    res["meter_history"] = history
    res["rebuilt"] = state.peaks.rebuilt
    res["tariff"] = state.cfg["tariff"]  # for the UI's cost estimate
    mem = state.board.memory()
    res["memory"] = {"size_heap": mem["heap_total"], "free_heap": mem["heap_free"]}
    return res
