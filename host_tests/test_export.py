"""GET /historic/export.csv end to end: the rows equal the quarter files (the DST days
too), in time order, without the quarter being recorded, streamed (a month of files
is more text than the heap holds), and the range is checked."""

import csv
import io
import json
import random
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from digimon import runtime
from host_tests.device import Device, wait_until
from host_tests.test_history_e2e import ORIGINAL, day_path, file_name

FAST = 2000
BRUSSELS = ZoneInfo("Europe/Brussels")
COLUMNS = ["start", "quarter_id", "consumed_power_avg", "produced_power_avg",
           "consumed_energy_avg"]


def day_quarters(y, m, d):
    """The quarter ids of a day in time order, from the wall clock of Brussels: 92 on
    the spring day, 100 on the autumn day."""
    out = []
    start = datetime(y, m, d, tzinfo=BRUSSELS).timestamp()
    t = start
    while True:
        local = datetime.fromtimestamp(t, BRUSSELS)
        if (local.year, local.month, local.day) != (y, m, d):
            return out
        summer = local.utcoffset().total_seconds() == 7200
        out.append((y - 2000) << 24 | m << 16 | d << 8 | (local.hour * 4 + local.minute // 15)
                   | (0x80 if summer else 0))
        t += 900


def start_of(qid):
    """ISO 8601 local time with its UTC offset, from zoneinfo."""
    y, m, d = 2000 + (qid >> 24), qid >> 16 & 255, qid >> 8 & 255
    i = qid & 127
    summer = bool(qid & 0x80)
    for fold in (0, 1):
        dt = datetime(y, m, d, i // 4, i % 4 * 15, tzinfo=BRUSSELS, fold=fold)
        if (dt.utcoffset().total_seconds() == 7200) == summer:
            return dt.isoformat()
    raise AssertionError(qid)


def write_files(sd, qids, rng, original=()):
    """Quarter files in the firmware's format (the original firmware's for the ids in
    `original`); {qid: JSON}."""
    files = {}
    for qid in qids:
        n = rng.randrange(1, 181)
        cons = [None if rng.random() < 0.05 else rng.randrange(0, 9000) for _ in range(n)]
        cons[0] = 300
        prod = [None if v is None else -rng.randrange(0, 3000) for v in cons]
        have = [i for i, v in enumerate(cons) if v is not None]
        text = ORIGINAL % (qid, sum(cons[i] for i in have) // len(have),
                           ",".join("null" if v is None else str(v) for v in cons),
                           ",".join("null" if v is None else str(v) for v in prod))
        if qid not in original:
            produced = -(sum(-prod[i] for i in have) // len(have))
            text = text[:-1] + (',"produced_power_avg":%d,"consumed_energy_avg":%d,'
                                '"meter_power_avg":null}' % (produced, rng.randrange(0, 9000)))
        folder = sd / "meter" / day_path(qid)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / file_name(qid)).write_text(text)
        files[qid] = json.loads(text)
    return files


def expected(files, qids):
    cell = lambda v: "" if v is None else str(v)  # noqa: E731
    return [[start_of(q), str(q), cell(files[q]["consumed_power_avg"]),
             cell(files[q].get("produced_power_avg")), cell(files[q].get("consumed_energy_avg"))]
            for q in qids if q in files]


def export(dev, first, last):
    status, headers, body = dev.request("/historic/export.csv?from=%s&to=%s" % (first, last))
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    assert body.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert rows[0] == COLUMNS
    return rows[1:]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Files of the DST days and the days around them, then a device on that card."""
    tmp = tmp_path_factory.mktemp("export")
    sd = tmp / "sd"
    rng = random.Random(11)
    days = {}
    for ymd in ((2026, 3, 28), (2026, 3, 29), (2026, 3, 30), (2026, 10, 24), (2026, 10, 25),
                (2026, 10, 26)):
        days[ymd] = day_quarters(*ymd)
    assert len(days[2026, 3, 29]) == 92 and len(days[2026, 10, 25]) == 100
    qids = [q for d in days.values() for q in d]
    files = write_files(sd, qids, rng, original=set(rng.sample(qids, 40)))
    # a file cut short by a power cut is no quarter; other names are not quarter files
    cut = days[2026, 10, 24][50]
    path = sd / "meter" / day_path(cut) / file_name(cut)
    path.write_text(path.read_text()[:200])
    del files[cut]
    (sd / "meter" / "2026/10/25/notes.txt").write_text("hello")
    dev = Device(tmp, speed=FAST, count=1500, start="2026-11-21T10:00:00")  # to 10:24:59
    wait_until(lambda: dev.meter.poll() is not None, 60, "the simulator")
    dev.days = days
    dev.files = files
    yield dev
    dev.stop()


def test_the_autumn_day_has_100_rows_in_time_order(history):
    rows = export(history, "2026-10-25", "2026-10-25")
    assert len(rows) == 100
    assert rows == expected(history.files, history.days[2026, 10, 25])
    starts = [r[0] for r in rows]
    assert starts[8:16] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:15:00+02:00",
                            "2026-10-25T02:30:00+02:00", "2026-10-25T02:45:00+02:00",
                            "2026-10-25T02:00:00+01:00", "2026-10-25T02:15:00+01:00",
                            "2026-10-25T02:30:00+01:00", "2026-10-25T02:45:00+01:00"]


def test_the_spring_day_has_92_rows(history):
    rows = export(history, "2026-03-29", "2026-03-29")
    assert len(rows) == 92
    assert rows == expected(history.files, history.days[2026, 3, 29])
    assert rows[7][0] == "2026-03-29T01:45:00+01:00" and rows[8][0] == "2026-03-29T03:00:00+02:00"


def test_rows_equal_the_files_over_several_days(history):
    rows = export(history, "2026-03-01", "2026-10-31")  # days without files are skipped
    qids = [q for d in sorted(history.days) for q in history.days[d]]
    assert rows == expected(history.files, qids)
    original = [r for r in rows if r[4] == ""]
    assert 30 <= len(original) <= 40  # the original firmware's files: no energy average
    assert len(export(history, "2026-10-24", "2026-10-24")) == 95  # one was cut short


def test_the_quarter_being_recorded_is_not_exported(history):
    live = history.json("/current/quarter")["quarter_id"]
    # a file under the live quarter's name (a card from elsewhere) is not exported
    path = history.sd / "meter" / day_path(live) / file_name(live)
    assert file_name(live) == "1015W.json" and not path.exists()
    path.write_text(ORIGINAL % (live, 1, "1", "0"))
    finished = sorted(int(p.stem[:2]) * 4 + int(p.stem[2:4]) // 15 for p in path.parent.iterdir()
                      if p != path)
    rows = export(history, "2026-11-21", "2026-11-21")
    assert [int(r[1]) & 127 for r in rows] == finished and str(live) not in [r[1] for r in rows]
    assert rows == [r for r in rows if int(r[1]) != live]


@pytest.mark.parametrize("query,words", [
    ("from=2024-01-01&to=2025-01-01",
     "at most 366 days in one export: 2024-01-01 to 2025-01-01 is 367 days"),
    ("from=2026-10-26&to=2026-10-25", "from must not be after to"),
    ("from=2026-02-30&to=2026-03-01", "there is no 2026-02-30"),
    ("from=2026-10-25", "to must be YYYY-MM-DD"),
    ("to=2026-10-25", "from must be YYYY-MM-DD"),
    ("from=25-10-2026&to=2026-10-25", "from must be YYYY-MM-DD"),
])
def test_the_range_is_checked(history, query, words):
    status, _, body = history.request("/historic/export.csv?" + query)
    err = json.loads(body)
    assert status == 400 and err["status"] == "error" and words in err["des"], err


def test_a_year_of_366_days_is_taken(history):
    rows = export(history, "2026-01-01", "2026-12-31")[:1]
    assert rows[0][0] == "2026-03-28T00:00:00+01:00"
    assert export(history, "2024-01-01", "2024-12-31") == []  # 366 days, no files


def test_a_month_is_streamed_never_whole_in_ram(tmp_path, device):
    # a month of files makes about 150 KB of CSV, more than the board's 112 KB heap
    rng = random.Random(5)
    qids = [q for d in range(1, 32) for q in day_quarters(2026, 1, d)]
    assert len(qids) == 2976
    files = write_files(tmp_path / "dev0" / "sd", qids, rng)
    dev = device(speed=FAST, count=100, start="2026-11-21T10:00:00")
    wait_until(lambda: dev.meter.poll() is not None, 60, "the simulator")
    low = dev.json("/about")["memory"]["heap_min_free"]
    began = time.monotonic()
    status, _, body = dev.request("/historic/export.csv?from=2026-01-01&to=2026-01-31")
    took = time.monotonic() - began
    assert status == 200 and len(body) > 112 * 1024
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))[1:]
    assert rows == expected(files, qids)
    about = dev.json("/about")
    print("a month's export: %d rows, %d bytes in %.1f s; least free heap %d (before: %d)"
          % (len(rows), len(body), took, about["memory"]["heap_min_free"], low))
    if runtime.choose() == "32":  # the board's heap: the export kept 8 KB free (the
        # least free heap seen may be older: the figure /about starts from at start-up)
        assert about["memory"]["heap_min_free"] >= min(8 * 1024, low)
