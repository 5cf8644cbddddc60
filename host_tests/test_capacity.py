"""The capacity tariff end to end: the headroom in /current/live against a computation
of our own, and the 12-month bill of /historic/peaks (from the meter's 0-0:98.1.0, and
from the quarter files only)."""

import math
import random
import shutil
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

from host_tests.core.test_capacity_core import best_rest
from host_tests.device import wait_until
from host_tests.feeder import example
from host_tests.test_history_e2e import ORIGINAL, day_path, file_name
from host_tests.test_meter_history import BRUSSELS, needs_examples


def _tdiv(a, b):
    q = abs(a) // b
    return -q if a < 0 else q


def live_and_peak(dev):
    """/current/live with the month peak it was held to (None when the peak changed
    between the requests: a quarter ended)."""
    before = dev.json("/current/month/peak").get("peak")
    live = dev.json("/current/live")
    if dev.json("/current/month/peak").get("peak") != before or live["second"] is None \
            or live["second"] >= 899:
        return None, None
    return live, before["power"] if before else 0


def check_headroom(live, limit):
    """/current/live's headroom against the computation from its own quarter slots."""
    q = live["quarter"]
    slots = [v for v in q["consumed_power_interval_avgs"] if v is not None]
    avg = _tdiv(sum(slots), len(slots))
    assert avg == q["consumed_power_avg"]
    elapsed = live["second"] + 1
    assert live["limit_w"] == limit
    assert live["headroom_w"] == best_rest(avg, elapsed, limit), (live["second"], avg)
    start = q["quarter_id"] & 0x7F
    end = (start + 1) % 96
    assert live["headroom_until"] == "%02d:%02d" % (end // 4, end % 4 * 15)
    want = (avg * elapsed + live["power_w"] * (900 - elapsed)) / 900
    assert abs(live["projected_w"] - want) <= 0.5
    return live["second"]


def test_headroom_follows_the_quarter_and_the_month_peak(device):
    dev = device(speed=30, start="2026-11-21T18:05:00")  # evening: the month has a peak
    wait_until(lambda: dev.json("/current/live")["second"], 20, "a live quarter")
    seen = set()
    end = time.monotonic() + 25
    while time.monotonic() < end and len(seen) < 6:
        live, top = live_and_peak(dev)
        if live is None:
            continue
        seen.add(check_headroom(live, max(top, 2500)) // 60)
        time.sleep(1.5)
    assert len(seen) >= 4, seen  # minutes of the quarter at which it was checked


def test_headroom_with_the_peak_below_the_minimum(device):
    # the month's first quarters, at night: no peak yet, then one under 2.5 kW
    dev = device(speed=60, start="2026-12-01T00:00:00")
    wait_until(lambda: dev.json("/current/live")["second"], 20, "a live quarter")
    seen = []
    end = time.monotonic() + 60
    while time.monotonic() < end and sum(top > 0 for _q, top in seen) < 3:
        live, top = live_and_peak(dev)
        if live is None:
            continue
        assert top < 2500
        check_headroom(live, 2500)
        seen.append((live["quarter"]["quarter_id"], top))
        time.sleep(1.5)
    assert seen[0][1] == 0 and seen[-1][1] > 0, seen  # before and after the first peak


def test_headroom_follows_the_configured_minimum(device):
    config = {"wifi": {"ssid": "home", "password": "wifi-Pw-123"},
              "web": {"user": "admin", "password": "s3cret-Pw"}, "tariff": {"minimum_kw": 6}}
    dev = device(speed=10, start="2026-11-21T18:05:00", config=config)
    wait_until(lambda: dev.json("/current/live")["second"], 20, "a live quarter")
    live = dev.json("/current/live")
    assert live["limit_w"] == 6000 and check_headroom(live, 6000) >= 0



def test_no_headroom_before_the_first_telegram(fed):
    live = fed().json("/current/live")
    assert live["headroom_w"] is None and live["projected_w"] is None
    assert live["headroom_until"] is None and live["limit_w"] == 2500


# ---- /historic/peaks: the 12-month bill ----
FAST = 2000
TARIFF = {"eur_per_kw_year": 40.4, "minimum_kw": 2.5}


def month_add(y, m, k):
    i = y * 12 + m - 1 + k
    return i // 12, i % 12 + 1


def bill(months, floor=2500, rate="40.4"):
    """What the answer must say, from (month, W or None, source) of 13 months: each
    month billed at least the minimum, the mean of the known ones of the last 12."""
    billed = [max(w or 0, floor) for _m, w, _s in months]
    known = [b for b, (_m, _w, s) in zip(billed[1:], months[1:]) if s is not None]
    avg = math.floor(sum(known) / len(known) + 0.5)
    year = (Decimal(avg) * Decimal(rate) / 1000).quantize(Decimal("0.01"), ROUND_HALF_UP)
    month = (Decimal(avg) * Decimal(rate) / 12000).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return billed, avg, len(known), float(year), float(month)


def check_bill(got, months):
    billed, avg, n, year, month = bill(months)
    assert [(m["month"], m["peak"] and m["peak"]["power"], m["source"]) for m in got["months"]] \
        == months
    assert [m["billed_w"] for m in got["months"]] == billed
    assert (got["average_w"], got["average_months"], got["minimum_w"]) == (avg, n, 2500)
    assert (got["eur_per_year"], got["eur_this_month"]) == (year, month)


def meter_months(text):
    """(month, W or None) of a telegram's 0-0:98.1.0 and 1-0:1.6.0 by dsmr_parser, each
    98.1.0 entry labelled with the month that ends at its stamp."""
    tg = TelegramParser(telegram_specifications.BELGIUM_FLUVIUS).parse(text)
    out = {}
    for entry in tg.BELGIUM_MAXIMUM_DEMAND_13_MONTHS:
        month_end, peak_at, kw = [v["value"] for v in entry.values]
        local = (month_end - timedelta(minutes=1)).astimezone(BRUSSELS)
        out["%04d-%02d" % (local.year, local.month)] = int(kw * 1000) if peak_at else None
    return out, int(tg.BELGIUM_MAXIMUM_DEMAND_MONTH.value * 1000) or None


def test_peaks_from_a_meter_with_13_months_of_history(device):
    # across a month's start: the meter then holds 13 months of 0-0:98.1.0
    dev = device(speed=FAST, count=1800, start="2026-11-30T23:50:00")
    wait_until(lambda: dev.meter.poll() is not None, 120, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] == 1800, 30, "every telegram")
    got = dev.json("/historic/peaks")
    _, _, raw = dev.request("/api/v1/telegram")
    history, this = meter_months(raw.decode())
    assert len(history) == 13 and "2025-11" in history  # one more than the bill needs
    want = [("%04d-%02d" % month_add(2025, 12, k), None, "meter") for k in range(13)]
    want = [(m, history[m] if m != "2026-12" else this, s) for m, _w, s in want]
    assert this  # December's first quarter is its peak so far
    check_bill(got, want)
    peak = dev.json("/current/month/peak")
    assert got["months"][-1]["peak"] == peak["meter"]  # this month: 1-0:1.6.0
    nov = [h for h in peak["meter_history"] if h["month"] == "2026-11"][0]
    assert got["months"][-2]["peak"] == {"quarter_id": nov["quarter_id"], "power": nov["power"]}
    assert not (dev.sd / "meter" / "months.txt").exists()  # no file was read


@needs_examples
def test_peaks_of_a_real_fluvius_meter_with_a_month_without_a_peak(fed):
    f = fed()
    f.feed(example("TELEGRAM_FLUVIUS_V171_ALT")["text"], 3)
    got = f.json("/historic/peaks")
    # 1-0:1.6.0(231102114500W)(03.064*kW); 98.1.0: July 2023 without a peak, then
    # 1862, 4229 and 4927 W; the months before July are not known
    want = [("%04d-%02d" % month_add(2022, 11, k), None, None) for k in range(8)]
    want += [("2023-07", None, "meter"), ("2023-08", 1862, "meter"),
             ("2023-09", 4229, "meter"), ("2023-10", 4927, "meter"), ("2023-11", 3064, "meter")]
    check_bill(got, want)
    # (2500 × 2 + 4229 + 4927 + 3064) / 5
    assert got["average_w"] == 3444 and got["average_months"] == 5
    assert got["months"][8]["billed_w"] == 2500


@needs_examples
def test_peaks_without_a_card_come_from_the_meter(fed):
    f = fed(card=False)
    f.feed(example("TELEGRAM_FLUVIUS_V171_ALT")["text"], 2)
    assert f.json("/about")["sd"]["present"] is False
    got = f.json("/historic/peaks")
    assert [m["source"] for m in got["months"]] == [None] * 8 + ["meter"] * 5
    assert got["average_w"] == 3444
    assert f.request("/historic/day?date=2023-11-02")[0] == 503  # the files need the card


def write_quarter(sd, qid, slots, energy):
    """A quarter file as the firmware writes it (energy None: the original firmware's,
    without the appended keys)."""
    have = [v for v in slots if v is not None]
    text = ORIGINAL % (qid, sum(have) // len(have),
                       ",".join("null" if v is None else str(v) for v in slots),
                       ",".join("null" if v is None else "0" for v in slots))
    if energy is not None:
        text = text[:-1] + (',"produced_power_avg":0,"consumed_energy_avg":%d,'
                            '"meter_power_avg":null}' % energy)
    folder = sd / "meter" / day_path(qid)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file_name(qid)).write_text(text)


def qid_of(y, m, d, index, summer=False):
    return (y - 2000) << 24 | m << 16 | d << 8 | index | (0x80 if summer else 0)


def test_peaks_from_the_quarter_files_only(tmp_path, device):
    # a Dutch meter: no 1-0:1.6.0, no 0-0:98.1.0. Files of some months before December
    # 2026; each month's peak is its highest quarter (energy-based, else the slots')
    sd = tmp_path / "dev0" / "sd"
    rng = random.Random(7)
    want = {}
    for k in range(13):
        y, m = month_add(2025, 12, k)
        if (y, m) in ((2026, 3), (2026, 12)):
            continue  # no files in March; December is live
        best = None
        for d in (2, 17, 28):
            for index in (30, 72, 75):
                qid = qid_of(y, m, d, index, 4 <= m <= 9)
                slots = [rng.randrange(100, 3000) for _ in range(180)]
                original = (m == 5)  # May: the original firmware's files, no registers
                energy = None if original else rng.randrange(500, 4500)
                write_quarter(sd, qid, slots, energy)
                w = sum(slots) // 180 if original else energy
                if best is None or w > best:
                    best = w
        want["%04d-%02d" % (y, m)] = best
    dev = device(profile="nl5", speed=FAST, count=2000, start="2026-12-01T10:00:00")
    wait_until(lambda: dev.meter.poll() is not None, 120, "the simulator to finish")
    wait_until(lambda: dev.json("/about")["history"]["peak_rebuilt"], 20, "the month peak")
    own = dev.json("/current/month/peak")["own"]
    got = dev.json("/historic/peaks")
    months = []
    for k in range(13):
        key = "%04d-%02d" % month_add(2025, 12, k)
        if key == "2026-12":
            months.append((key, own["power"], "own"))
        else:
            months.append((key, want.get(key), "own" if key in want else None))
    check_bill(got, months)
    assert got["months"][-1]["peak"] == own
    # finished months are kept on the card; November not yet on December's first day
    cache = (dev.sd / "meter" / "months.txt").read_text().splitlines()
    assert [line.split()[0] for line in cache] == [k for k in sorted(want) if k != "2026-11"]
    for line in cache:
        key, qid, w = line.split()
        assert want[key] == int(w)
        assert "%04d-%02d" % (2000 + (int(qid) >> 24), int(qid) >> 16 & 255) == key
    # the next answer comes from there: the same, even with a month's files gone
    shutil.rmtree(dev.sd / "meter" / "2026" / "01")
    assert dev.json("/historic/peaks") == got
    (dev.sd / "meter" / "months.txt").write_text("2026-01 1 2\n2026-02 43\n")  # damaged
    again = dev.json("/historic/peaks")
    assert again["months"][1] == {"month": "2026-01", "peak": None, "source": None,
                                  "billed_w": 2500}
    assert again["months"][2] == got["months"][2]


def test_peaks_need_the_meters_time(fed):
    status, _, body = fed().request("/historic/peaks")
    assert status == 503 and b"meter's time" in body
