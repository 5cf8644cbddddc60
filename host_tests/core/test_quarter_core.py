"""Quarters, slots and quarter ids. Runs under CPython and MicroPython."""

import json

from firmware.core import clock
from firmware.core.quarter import Quarter

KEYS = ("quarter_id", "consumed_power_avg", "interval_secs", "consumed_power_interval_avgs",
        "produced_power_interval_avgs", "produced_power_avg", "consumed_energy_avg",
        "meter_power_avg")


def text_of(q, checkpoint=False):
    return "".join(q.json_pieces(checkpoint))


def test_quarter_id_as_the_original_firmware():
    qid = clock.quarter_id(231201, 161500, 0)
    assert qid == 0x170C0141
    assert clock.file_name(qid) == "1615W.json" and clock.day_dir(qid) == "2023/12/01"
    assert clock.quarter_id(230701, 101459, 1) == 0x17070100 | 40 | 0x80
    assert clock.quarter_id(230701, 101500, 1) == 0x17070100 | 41 | 0x80
    assert clock.split_id(qid) == (2023, 12, 1, 16, 15, 0)


def test_slots_of_a_quarter():
    assert clock.slot(160000) == 0 and clock.slot(160004) == 0 and clock.slot(160005) == 1
    assert clock.slot(161459) == 179 and clock.slot(161500) == 0 and clock.slot(164459) == 179
    assert clock.quarter_index(235959) == 95 and clock.quarter_index(0) == 0


def test_autumn_hour_twice_in_order_and_spring_gap():
    s = clock.quarter_id(261025, 20000, 1)
    w = clock.quarter_id(261025, 20000, 0)
    assert s != w and clock.file_name(s) == "0200S.json" and clock.file_name(w) == "0200W.json"
    before = clock.quarter_id(261025, 14500, 1)
    after = clock.quarter_id(261025, 30000, 0)
    order = [clock.minutes(q) for q in (before, s, clock.quarter_id(261025, 24500, 1), w, after)]
    assert order == sorted(order) and len(set(order)) == 5
    assert clock.minutes(w) - clock.minutes(s) == 60
    # spring: 01:45 W is followed by 03:00 S, 15 minutes later
    a = clock.quarter_id(260329, 14500, 0)
    b = clock.quarter_id(260329, 30000, 1)
    assert clock.minutes(b) - clock.minutes(a) == 15


def test_file_names_parse_back():
    qid = clock.quarter_id(261025, 20000, 0)
    assert clock.parse_file_name(261025, "0200W.json") == qid
    for bad in ("hello.txt", "0207W.json", "2500S.json", "0200X.json", "02a0W.json"):
        assert clock.parse_file_name(261025, bad) is None, bad


def test_slot_means_truncate_toward_zero_and_produced_is_negative():
    q = Quarter()
    q.clear(clock.quarter_id(261121, 100000, 0))
    q.add(0, 401, 0)
    q.add(1, 402, 0)  # slot 0: 401.5 -> 401
    q.add(5, 0, 7)  # slot 1: exports 7 and 0 -> 3.5 -> -3, not -4
    q.add(6, 0, 0)
    q.add(20, 1000, 0)  # slot 4; slots 2 and 3 stay empty
    assert q.slot_avgs(0) == (401, 0) and q.slot_avgs(1) == (0, -3)
    assert q.slot_avgs(2) is None and q.last_slot() == 4
    # consumed (401 + 0 + 1000) / 3 = 467; produced (0 - 3 + 0) / 3 = -1
    assert q.averages() == (467, -1)
    q.clear(1)
    q.add(0, 0, 3)
    q.add(5, 0, 0)  # produced slots -3 and 0: -1.5 -> -1 (C), not -2 (floor)
    assert q.averages() == (0, -1)


def test_file_format_and_key_order():
    q = Quarter()
    q.clear(0x170C0141)
    q.add(0, 405, 0)
    q.add(10, 398, 12)
    text = text_of(q)
    d = json.loads(text)
    assert [text.find('"%s"' % k) for k in KEYS] == sorted(text.find('"%s"' % k) for k in KEYS)
    assert d["quarter_id"] == 0x170C0141 and d["interval_secs"] == 5
    assert d["consumed_power_interval_avgs"] == [405, None, 398]
    assert d["produced_power_interval_avgs"] == [0, None, -12]
    assert d["consumed_power_avg"] == (405 + 398) // 2
    assert d["produced_power_avg"] == -6
    assert d["consumed_energy_avg"] is None and d["meter_power_avg"] is None
    assert "checkpoint" not in d


def test_values_are_not_int16():
    q = Quarter()
    q.clear(1)
    q.add(0, 40000, 0)
    q.add(900 - 1, 0, 33000)
    d = json.loads(text_of(q))
    assert d["consumed_power_interval_avgs"][0] == 40000
    assert d["produced_power_interval_avgs"][179] == -33000


def test_energy_average_from_the_registers():
    q = Quarter()
    q.clear(1)
    q.add(0, 1000, 0, import_wh=10000)
    q.add(450, 1000, 0, import_wh=10125)
    assert q.energy_avg() == 1000  # 125 Wh in 450 s
    q.close(import_wh=10250)  # the next quarter's first register
    assert q.energy_avg() == 1000  # 250 Wh x 4
    q.add(899, 0, 0, meter_avg_w=998)
    d = json.loads(text_of(q))
    assert d["consumed_energy_avg"] == 1000 and d["meter_power_avg"] == 998


def test_checkpoint_resumes_exactly():
    whole = Quarter()
    part = Quarter()
    for q in (whole, part):
        q.clear(7)
    feed = [(s, 300 + s % 17, s % 5, 5000 + s // 3) for s in range(0, 900, 1)]
    for s, c, e, wh in feed[:400]:
        whole.add(s, c, e, wh)
        part.add(s, c, e, wh)
    resumed = Quarter()
    resumed.load(json.loads(text_of(part, checkpoint=True)))
    for s, c, e, wh in feed[400:]:
        whole.add(s, c, e, wh)
        resumed.add(s, c, e, wh)
    whole.close(5400)
    resumed.close(5400)
    assert text_of(resumed) == text_of(whole)


def test_original_files_load():
    original = ('{"quarter_id":386662721,"consumed_power_avg":412,"interval_secs":5,'
                '"consumed_power_interval_avgs":[null,405,398],'
                '"produced_power_interval_avgs":[null,0,-12]}')
    q = Quarter()
    q.load(json.loads(original))
    d = json.loads(text_of(q))
    assert d["consumed_power_interval_avgs"] == [None, 405, 398]
    assert d["produced_power_interval_avgs"] == [None, 0, -12]
    assert d["quarter_id"] == 386662721
