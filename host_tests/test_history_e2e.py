"""Quarter history end to end: simulator at high speed -> pty -> firmware -> SD files
and HTTP, checked against a computation of our own from the simulator's log."""

import json
import random
from datetime import datetime, timedelta

import pytest

from host_tests.device import wait_until

FAST = 2000  # simulated seconds per second (the firmware keeps up, the pty paces it)


# ---- the expected quarters, computed from what the meter sent ----
def _tdiv(a, b):
    q = abs(a) // b
    return -q if a < 0 else q


def quarter_of(t):
    """(quarter_id, second in the quarter, minutes since 2000 UTC) of a log time."""
    dt = datetime.fromisoformat(t)
    summer = dt.utcoffset() == timedelta(hours=2)
    qid = ((dt.year - 2000) << 24 | dt.month << 16 | dt.day << 8
           | (dt.hour * 4 + dt.minute // 15) | (0x80 if summer else 0))
    utc = dt - dt.utcoffset()
    start = (utc.replace(tzinfo=None) - datetime(2000, 1, 1)).total_seconds() // 60
    return qid, dt.minute % 15 * 60 + dt.second, start - dt.minute % 15


def expected(entries):
    """{quarter_id: the quarter file's JSON} from log entries, as the firmware should
    write them (consumed_energy_avg closed by the next quarter's first telegram)."""
    quarters = {}
    order = []
    for e in entries:
        v = e["values"]
        qid, sec, start = quarter_of(e["t"])
        if qid not in quarters:
            if order:
                prev = quarters[order[-1]]
                if start - prev["start"] == 15:
                    prev["last"] = (round(v["total_power_import_kwh"] * 1000), 900)
            quarters[qid] = {"slots": {}, "start": start, "first": None, "last": None}
            order.append(qid)
        q = quarters[qid]
        s = q["slots"].setdefault(sec // 5, [0, 0, 0])
        s[0] += v.get("power_import_w", 0)
        s[1] += v.get("power_export_w", 0)
        s[2] += 1
        wh = round(v["total_power_import_kwh"] * 1000)
        if q["first"] is None:
            q["first"] = (wh, sec)
        q["last"] = (wh, sec)
        q["meter_avg"] = v.get("active_power_average_w")
    out = {}
    for qid in order:
        q = quarters[qid]
        top = max(q["slots"])
        cons = [None] * (top + 1)
        prod = [None] * (top + 1)
        for i, (c, p, n) in q["slots"].items():
            cons[i] = c // n
            prod[i] = -(p // n)
        used = [i for i in range(top + 1) if cons[i] is not None]
        (w0, s0), (w1, s1) = q["first"], q["last"]
        out[qid] = {
            "quarter_id": qid,
            "consumed_power_avg": _tdiv(sum(cons[i] for i in used), len(used)),
            "interval_secs": 5,
            "consumed_power_interval_avgs": cons,
            "produced_power_interval_avgs": prod,
            "produced_power_avg": _tdiv(sum(prod[i] for i in used), len(used)),
            "consumed_energy_avg": _tdiv((w1 - w0) * 3600, s1 - s0) if s1 > s0 else None,
            "meter_power_avg": q["meter_avg"],
        }
    return out


def file_name(qid):
    q = qid & 0x7F
    return "%02d%02d%s.json" % (q // 4, q % 4 * 15, "S" if qid & 0x80 else "W")


def day_path(qid):
    return "%04d/%02d/%02d" % (2000 + (qid >> 24), qid >> 16 & 0xFF, qid >> 8 & 0xFF)


def run_to_end(dev, count):
    wait_until(lambda: dev.meter.poll() is not None, 120, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == count, 30,
               lambda: "all telegrams: %s" % dev.json("/about")["p1"])


def quarter_files(dev):
    """{quarter_id: JSON} of every quarter file on the SD card."""
    out = {}
    for p in (dev.sd / "meter").rglob("*.json"):
        if p.parent == dev.sd / "meter":
            continue  # the checkpoints
        d = json.loads(p.read_text())
        assert day_path(d["quarter_id"]) + "/" + file_name(d["quarter_id"]) == \
            str(p.relative_to(dev.sd / "meter"))
        out[d["quarter_id"]] = d
    return out


def check_run(dev, count):
    """Every finished quarter's file equals the computation, and so does the quarter
    in RAM; returns (expected quarters, quarter ids in time order)."""
    run_to_end(dev, count)
    want = expected(dev.sent())
    order = list(want)
    files = quarter_files(dev)
    assert sorted(files) == sorted(order[:-1])  # all but the quarter still running
    for qid in order[:-1]:
        assert files[qid] == want[qid], file_name(qid)
        text = (dev.sd / "meter" / day_path(qid) / file_name(qid)).read_bytes()
        status, headers, body = dev.request("/meter/%s/%s" % (day_path(qid), file_name(qid)))
        assert status == 200 and body == text
        assert list(json.loads(text)) == list(want[qid])  # the key order too
    now = dev.json("/current/quarter")
    live = dict(want[order[-1]])
    assert now == live
    return want, order


def own_peak(want, qids):
    best = None
    for qid in qids:
        w = want[qid]["consumed_energy_avg"]
        if best is None or w > best[1]:
            best = (qid, w)
    return {"quarter_id": best[0], "power": best[1]}


def test_quarter_files_equal_the_computation_and_the_peak_is_the_top_quarter(device):
    count = 1500  # 10:13:00 .. 10:37:59
    dev = device(speed=FAST, count=count, start="2026-11-21T10:13:00")
    want, order = check_run(dev, count)
    assert [file_name(q) for q in order] == ["1000W.json", "1015W.json", "1030W.json"]
    peak = dev.json("/current/month/peak")
    assert peak["own"] == own_peak(want, order[:-1])
    assert peak["meter"] is not None and peak["source"] == "meter"  # the bill's figure
    assert peak["peak"] == peak["meter"] and "free_heap" in peak["memory"]
    assert peak["difference_w"] == peak["own"]["power"] - peak["meter"]["power"]
    day = dev.json("/historic/day?date=2026-11-21")
    assert [q["quarter_id"] for q in day["quarters"]] == order[:-1]
    for q in day["quarters"]:
        w = want[q["quarter_id"]]
        assert (q["consumed_power_avg"], q["produced_power_avg"], q["consumed_energy_avg"]) == \
            (w["consumed_power_avg"], w["produced_power_avg"], w["consumed_energy_avg"])
    assert day["peak"] == own_peak(want, order[:-1])
    assert day["wh"] == sum(want[q]["consumed_energy_avg"] // 4 for q in order[:-1])
    month = dev.json("/historic/month?year=2026&month=11")
    assert month["peak"] == own_peak(want, order[:-1])
    assert [(d["day"], d["quarter_id"], d["wh"]) for d in month["days"]] == \
        [(21, day["peak"]["quarter_id"], day["wh"])]
    assert dev.json("/historic/quarters?year=2026&month=11&day=21")["quarters"] == order[:-1]
    about = dev.json("/about")["history"]
    assert about["errors"] == 0 and about["peak_rebuilt"]


# (start, quarters seen in time order, files of the day): 2400 telegrams each
DST_DAYS = [
    # autumn: 02:40 S .. 03:00 S = 02:00 W .. 02:19 W; both 0200S-0245S and 0200W exist
    ("2026-10-25T02:40:00", ["0230S", "0245S", "0200W", "0215W"],
     ["0200W", "0230S", "0245S"]),
    # spring: 01:40 W .. 01:59:59 W, then 03:00 S: no 02xx files
    ("2026-03-29T01:40:00", ["0130W", "0145W", "0300S", "0315S"],
     ["0130W", "0145W", "0300S"]),
]


@pytest.mark.parametrize("start,quarters,files", DST_DAYS)
def test_dst_days(device, start, quarters, files):
    dev = device(speed=FAST, count=2400, start=start)
    want, order = check_run(dev, 2400)
    assert [file_name(q)[:5] for q in order] == quarters
    folder = dev.sd / "meter" / start[:10].replace("-", "/")
    assert sorted(p.name[:5] for p in folder.iterdir()) == files
    # listed in time order (not by name or id), each with its own quarter id
    y, m, d = map(int, start[:10].split("-"))
    assert dev.json("/historic/quarters?year=%d&month=%d&day=%d" % (y, m, d))["quarters"] \
        == order[:-1]
    # the quarter before the switch closes on the first register after it
    assert want[order[1]]["consumed_energy_avg"] is not None


def test_month_rollover_starts_a_new_peak(device):
    count = 2400  # 30 Nov 23:40 .. 1 Dec 00:19
    dev = device(speed=FAST, count=count, start="2026-11-30T23:40:00")
    want, order = check_run(dev, count)
    assert [day_path(q) + "/" + file_name(q) for q in order] == [
        "2026/11/30/2330W.json", "2026/11/30/2345W.json", "2026/12/01/0000W.json",
        "2026/12/01/0015W.json"]
    peak = dev.json("/current/month/peak")
    assert peak["own"] == own_peak(want, order[2:3])  # December's only
    november = dev.json("/historic/month?year=2026&month=11")
    assert november["peak"] == own_peak(want, order[:2])
    assert [d["day"] for d in november["days"]] == [30]
    assert dev.json("/historic/months?year=2026") == {"year": 2026, "months": [11, 12]}
    assert dev.json("/historic/years") == {"years": [2026]}


def test_restart_mid_quarter_loses_at_most_a_minute(device):
    dev = device(speed=60, start="2026-11-21T10:00:00")
    wait_until(lambda: len(dev.sent()) >= 450, 60, "7.5 minutes of meter time")
    dev.cut_power()
    n_cut = len(dev.sent())
    dev.start_firmware()
    n_up = len(dev.sent())
    wait_until(lambda: (dev.sd / "meter/2026/11/21/1000W.json").exists(), 60,
               "the quarter to end")
    dev.stop_meter()
    sent = dev.sent()
    qid = quarter_of(sent[0]["t"])[0]
    want = expected([e for e in sent if quarter_of(e["t"])[0] == qid])[qid]
    got = json.loads((dev.sd / "meter/2026/11/21/1000W.json").read_text())
    cut_s = quarter_of(sent[n_cut - 1]["t"])[1]
    up_s = quarter_of(sent[n_up - 1]["t"])[1]
    wrong = [i for i, v in enumerate(want["consumed_power_interval_avgs"])
             if got["consumed_power_interval_avgs"][i] != v
             or got["produced_power_interval_avgs"][i] != want["produced_power_interval_avgs"][i]]
    assert wrong, "the cut should have lost something"
    # only the last minute before the cut, and the time the firmware was down
    assert min(wrong) * 5 >= cut_s - 60 - 5, (wrong, cut_s)
    assert max(wrong) * 5 <= up_s + 5, (wrong, up_s)
    assert "resumed quarter 1000W.json" in dev.output()


ORIGINAL = ('{"quarter_id":%d,"consumed_power_avg":%d,"interval_secs":5,'
            '"consumed_power_interval_avgs":[%s],"produced_power_interval_avgs":[%s]}')


def test_reads_cards_written_by_the_original_firmware(tmp_path, device):
    day = tmp_path / "dev0/sd/meter/2026/11/20"
    day.mkdir(parents=True)
    (tmp_path / "dev0/sd/meter/2022/01/01").mkdir(parents=True)
    (tmp_path / "dev0/sd/meter/2022/01/01/hello.txt").write_text("hello")
    (tmp_path / "dev0/sd/crashlog.txt").write_text("Started up @2026-11-20 00:00:01\n")
    rng = random.Random(5)
    hours = list(range(24))
    rng.shuffle(hours)  # FAT lists files in the order they were made: not sorted
    powers = {}
    for h in hours:
        for m in (0, 15, 30, 45):
            qid = (26 << 24) | (11 << 16) | (20 << 8) | (h * 4 + m // 15)
            slots = [rng.randrange(0, 32767) for _ in range(180)]
            avg = sum(slots) // len(slots)
            powers[qid] = avg
            (day / ("%02d%02dW.json" % (h, m))).write_text(ORIGINAL % (
                qid, avg, ",".join(map(str, slots)), ",".join("0" for _ in slots)))
    dev = device(speed=FAST, count=100, start="2026-11-21T10:00:00")
    run_to_end(dev, 100)
    wait_until(lambda: dev.json("/about")["history"]["peak_rebuilt"], 20, "the month rebuilt")
    qids = dev.json("/historic/quarters?year=2026&month=11&day=20")["quarters"]
    assert qids == sorted(powers)
    day_json = dev.json("/historic/day?date=2026-11-20")
    assert [(q["quarter_id"], q["consumed_power_avg"], q["consumed_energy_avg"])
            for q in day_json["quarters"]] == [(q, powers[q], None) for q in sorted(powers)]
    top = max(sorted(powers), key=lambda q: powers[q])
    peak = dev.json("/current/month/peak")
    assert peak["own"] == {"quarter_id": top, "power": powers[top]}
    assert dev.json("/historic/years") == {"years": [2022, 2026]}
    name = "/meter/2026/11/20/0015W.json"
    status, _, body = dev.request(name)
    assert status == 200 and body == (day / "0015W.json").read_bytes()


def test_history_requests_are_checked(device):
    dev = device(speed=FAST, count=20, start="2026-11-21T10:00:00")
    run_to_end(dev, 20)
    for path, status, words in [
            ("/historic/months", 400, "Need a year argument"),
            ("/historic/days?year=2026", 400, "Need a month argument"),
            ("/historic/quarters?year=2026&month=11", 400, "Need a day argument"),
            ("/historic/months?year=20x6", 400, "year must be a number"),
            ("/historic/day?date=2026-13-01", 400, "YYYY-MM-DD"),
            ("/historic/month?year=2026", 400, "Need a month argument"),
            ("/historic/weeks", 404, "not found"),
            ("/meter/2026/11/21/hello.txt", 400, "not a quarter file"),
            ("/meter/2026/11/21/..%2F..%2F..%2F..%2Fconfig.json", 400, "not a quarter file"),
            ("/meter/../config.json", 400, "not a quarter file"),
            ("/meter/2026/11/21/0000W.json", 404, "no quarter file")]:
        got, headers, body = dev.request(path)
        assert got == status, (path, got, body)
        err = json.loads(body)
        assert err["status"] == "error" and words in err["des"], (path, err)
    assert dev.json("/historic/months?year=2031") == {"year": 2031, "months": []}
    assert dev.request("/historic/years", auth=None)[0] == 401
