"""Recorder and history store on a directory standing for the SD card.
Runs under CPython and MicroPython (both have os.listdir, rename and json.load)."""

import json
import os

from firmware.core import clock, dsmr
from firmware.history import recover, scan
from firmware.history.store import CHECKPOINTS, HistoryStore
from firmware.history.recorder import Recorder

BUF = bytearray(scan.SUMMARY_TAIL)

TMP = "/tmp/digimon-recorder-test"


def fresh_dir():
    def rm(path):
        try:
            names = os.listdir(path)
        except OSError:
            try:
                os.remove(path)
            except OSError:
                pass
            return
        for n in names:
            rm(path + "/" + n)
        os.rmdir(path)

    rm(TMP)
    os.mkdir(TMP)
    return TMP


def reading(yymmdd, hhmmss, dst, import_w, export_w, wh):
    r = dsmr.Reading()
    v = r.values
    t = dsmr.SLOT[dsmr.ROW_TS]
    v[t], v[t + 1], v[t + 2] = yymmdd, hhmmss, dst
    r.present[dsmr.ROW_TS] = 1
    for name, value in (("power_import_kw", import_w), ("power_export_kw", export_w),
                        ("total_power_import_t1_kwh", wh)):
        i = dsmr.row(name)
        v[dsmr.SLOT[i]] = value
        r.present[i] = 1
    return r


def run(rec, start_s, seconds, day=261121, power=1000):
    """One telegram a second from `start_s` (seconds since 10:00 W) for `seconds`."""
    for s in range(start_s, start_s + seconds):
        hh = 10 + s // 3600
        hhmmss = hh * 10000 + s // 60 % 60 * 100 + s % 60
        rec.on_reading(reading(day, hhmmss, 0, power, 0, 500000 + s * power // 3600))


def test_quarters_are_written_when_the_next_one_starts():
    store = HistoryStore(fresh_dir())
    done = []
    rec = Recorder(store, lambda q: done.append(q.qid))  # q is reused after the call
    run(rec, 0, 900 + 10)
    assert done == [clock.quarter_id(261121, 100000, 0)]
    d = recover.load_quarter(store, clock.quarter_id(261121, 100000, 0))
    assert d["consumed_power_avg"] == 1000 and len(d["consumed_power_interval_avgs"]) == 180
    assert d["consumed_energy_avg"] == 1000  # the registers over the whole quarter
    assert scan.years(store) == [2026] and scan.months(store, 2026) == [11] and scan.days(store, 2026, 11) == [21]
    assert scan.quarters(store, 2026, 11, 21) == [clock.quarter_id(261121, 100000, 0)]
    assert sorted(os.listdir(TMP + "/meter/2026/11/21")) == ["1000W.json"]
    # checkpoints: one a minute, not one a telegram
    assert store.writes <= 1 + 16


def test_restart_in_the_same_quarter_resumes():
    store = HistoryStore(fresh_dir())
    run(Recorder(store), 0, 300)  # then the power goes: no clean end
    rec = Recorder(HistoryStore(TMP))
    run(rec, 330, 900 - 330 + 5)
    d = recover.load_quarter(HistoryStore(TMP), clock.quarter_id(261121, 100000, 0))
    cons = d["consumed_power_interval_avgs"]
    lost = sum(1 for c in cons if c is None)
    assert lost * 5 <= 60 + 30  # the slots after the last checkpoint, and the 30 s off
    assert cons[0] == 1000 and cons[-1] == 1000


def test_a_quarter_that_ended_while_off_is_written_from_its_checkpoint():
    run(Recorder(HistoryStore(fresh_dir())), 0, 700)
    rec = Recorder(HistoryStore(TMP))
    run(rec, 3600, 5)  # back an hour later
    d = recover.load_quarter(HistoryStore(TMP), clock.quarter_id(261121, 100000, 0))
    assert d is not None and d["consumed_power_avg"] == 1000
    assert len(d["consumed_power_interval_avgs"]) >= 660 // 5


def test_a_finished_quarter_is_not_overwritten_by_an_old_checkpoint():
    store = HistoryStore(fresh_dir())
    run(Recorder(store), 0, 905)  # quarter 10:00 written; checkpoint still of it
    before = json.dumps(recover.load_quarter(store, clock.quarter_id(261121, 100000, 0)))
    run(Recorder(HistoryStore(TMP)), 1000, 5)
    after = json.dumps(recover.load_quarter(HistoryStore(TMP), clock.quarter_id(261121, 100000, 0)))
    assert before == after


def test_a_checkpoint_cut_short_leaves_the_other_one():
    store = HistoryStore(fresh_dir())
    run(Recorder(store), 0, 200)  # checkpoints at 60, 120 and 180 s, in turn
    newest = "/meter/" + CHECKPOINTS[store.checkpoint_at]
    with open(TMP + newest, "w") as f:
        f.write('{"quarter_id": 1, "consum')  # power cut in the middle of a write
    rec = Recorder(HistoryStore(TMP))
    assert rec.pending["quarter_id"] == clock.quarter_id(261121, 100000, 0)
    assert sum(rec.pending["checkpoint"]["count"]) == 121  # the one from 120 s
    assert rec.store.checkpoint_at != store.checkpoint_at  # the damaged one goes next
    assert newest[8:] not in os.listdir(TMP + "/meter")  # and is gone already


def test_a_quarter_file_cut_short_is_written_again_from_the_checkpoint():
    store = HistoryStore(fresh_dir())
    run(Recorder(store), 0, 901)  # 10:00 written at 10:15:00, checkpoint still 10:00
    qid = clock.quarter_id(261121, 100000, 0)
    with open(store.quarter_path(qid), "w") as f:
        f.write('{"quarter_id":%d,"consumed_power_avg":1000,"interval_secs":5,"cons' % qid)
    assert recover.load_quarter(store, qid) is None and scan.summary(store, qid, BUF) is None
    rec = Recorder(HistoryStore(TMP))
    assert os.listdir(TMP + "/meter/2026/11/21") == []  # no half file after start-up
    run(rec, 960, 5)
    d = recover.load_quarter(store, qid)
    # up to the last checkpoint, at 14:00: the last minute is lost
    assert d["consumed_power_avg"] == 1000 and len(d["consumed_power_interval_avgs"]) == 169


def test_summary_reads_head_and_tail():
    store = HistoryStore(fresh_dir())
    run(Recorder(store), 0, 905)
    qid = clock.quarter_id(261121, 100000, 0)
    assert scan.summary(store, qid, BUF) == (1000, 0, 1000)
    # the original firmware's file: no appended averages
    qid2 = clock.quarter_id(261121, 101500, 0)
    with open(store.quarter_path(qid2), "w") as f:
        f.write('{"quarter_id":%d,"consumed_power_avg":412,"interval_secs":5,'
                '"consumed_power_interval_avgs":[null,405,419],'
                '"produced_power_interval_avgs":[null,0,-12]}' % qid2)
    assert scan.summary(store, qid2, BUF) == (412, None, None)
    assert scan.summary(store, clock.quarter_id(261121, 103000, 0), BUF) is None
