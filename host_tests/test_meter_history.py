"""The meter's 0-0:98.1.0 month history end to end, with real Fluvius telegrams: each
entry is labelled with the month it reports (its stamp is the next month's start),
checked against dsmr_parser 1.11.2 as the oracle."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from dsmr_parser import telegram_specifications
from dsmr_parser.parsers import TelegramParser

from host_tests.feeder import EXAMPLES, example

needs_examples = pytest.mark.skipif(not EXAMPLES.exists(),
                                    reason="no ../shared/telegrams (a clone of its own)")
BRUSSELS = ZoneInfo("Europe/Brussels")



def oracle(text):
    """[(month reported, W, the peak's time or None)] by dsmr_parser: each entry's month
    is the one that ends at its month stamp."""
    tg = TelegramParser(telegram_specifications.BELGIUM_FLUVIUS).parse(text)
    out = []
    for entry in tg.BELGIUM_MAXIMUM_DEMAND_13_MONTHS:
        month_end, peak_at, kw = [v["value"] for v in entry.values]
        local = (month_end - timedelta(minutes=1)).astimezone(BRUSSELS)
        out.append(("%04d-%02d" % (local.year, local.month), int(kw * 1000), peak_at))
    return out


def month_of(qid):
    return "%04d-%02d" % (2000 + (qid >> 24), qid >> 16 & 0xFF)


@needs_examples
@pytest.mark.parametrize("name", ["TELEGRAM_FLUVIUS_V171", "TELEGRAM_FLUVIUS_V171_ALT"])
def test_meter_history_is_labelled_with_the_month_it_reports(fed, name):
    text = example(name)["text"]
    f = fed()
    f.feed(text, 3)
    got = f.json("/current/month/peak")["meter_history"]
    want = oracle(text)
    assert [(h["month"], h["power"]) for h in got] == [(m, w) for m, w, _ in want]
    for h, (month, _w, peak_at) in zip(got, want):
        if peak_at is None:  # a month without a peak: (632525252525W)(00.000*kW)
            assert h["quarter_id"] is None and h["power"] == 0
        else:  # the peak quarter lies in the month it is labelled with
            assert month_of(h["quarter_id"]) == month
    if name == "TELEGRAM_FLUVIUS_V171":
        # (200501000000S)(200423192538S)(03.695*kW) is April 2020's peak
        assert got[0]["month"] == "2020-04" and got[0]["power"] == 3695
    else:
        assert got[0] == {"month": "2023-07", "quarter_id": None, "power": 0}
    assert f.json("/about")["p1"]["telegrams"] == 3  # no crash, every telegram read
