"""The SD card as the board has it: a FAT image mounted with MicroPython's VfsFat (the
unix board's --sd takes one), written end to end, and filled up."""

import json

from host_tests import fatimage
from host_tests.device import wait_until
from host_tests.test_history_e2e import FAST, expected, run_to_end
from firmware.core.clock import day_dir, file_name


def quarter_files(image):
    """{quarter_id: JSON} of the quarter files on a FAT image (after the firmware
    stopped), each checked to sit under its own name."""
    out = {}
    for path, data in fatimage.read(image).items():
        if path.startswith("meter/") and path.count("/") == 4:
            d = json.loads(data)
            assert path == "meter/%s/%s" % (day_dir(d["quarter_id"]), file_name(d["quarter_id"]))
            out[d["quarter_id"]] = d
    return out


def test_history_on_a_fat_card(device):
    count = 1500  # 10:13:00 .. 10:37:59: two whole quarters and one running
    dev = device(speed=FAST, count=count, start="2026-11-21T10:13:00", sd_image=8192)
    run_to_end(dev, count)
    want = expected(dev.sent())
    order = list(want)
    day = dev.json("/historic/day?date=2026-11-21")
    assert [q["quarter_id"] for q in day["quarters"]] == order[:-1]
    qid = order[0]
    status, _, body = dev.request("/meter/%s/%s" % (day_dir(qid), file_name(qid)))
    assert status == 200 and json.loads(body) == want[qid]
    assert dev.json("/about")["history"]["errors"] == 0
    dev.stop()
    files = quarter_files(dev.sd)
    assert sorted(files) == sorted(order[:-1])
    for qid in order[:-1]:
        assert files[qid] == want[qid], file_name(qid)


def test_a_full_card(device):
    """A card that fills up: live data goes on, /about, the LED and the event log say so,
    nothing on it is damaged, and once it has room again it is used again."""
    count = 3600 * 10  # 10 hours from midnight: 40 quarters, far more than the card holds
    dev = device(speed=FAST, count=count, start="2026-11-21T00:00:00", sd_image=96)
    wait_until(lambda: dev.json("/about")["sd"]["error"] or dev.meter.poll() is not None, 120,
               "the card to fill up")
    wait_until(lambda: dev.json("/about")["led"] == "sos", 20, "the LED to say sos")
    about = dev.json("/about")
    assert "full" in about["sd"]["error"] and "full" in about["status"], about
    wait_until(lambda: any("SD card is full" in e["msg"] for e in dev.json("/events")["events"]),
               20, "the event")
    seen = dev.json("/about")["p1"]["telegrams"]
    wait_until(lambda: dev.json("/about")["p1"]["telegrams"] > seen + 100, 20,
               "telegrams while the card is full")  # live data goes on
    assert dev.json("/api/v1/data")["active_power_w"] is not None
    assert dev.json("/current/live")["quarter"]
    dev.stop_meter()
    dev.firmware.terminate()
    dev.firmware.wait(5)
    want = expected(dev.sent())
    files = quarter_files(dev.sd)  # every file on the full card parses and is right
    assert files and all(files[q] == want[q] for q in files), sorted(files)
    assert fatimage.free(dev.sd) < 96 * 512 // 8
    # freed on a computer (the oldest quarters), then the device starts with it again
    old = sorted(files, key=lambda q: day_dir(q) + file_name(q))[:len(files) // 2]
    fatimage.remove(dev.sd, ["meter/%s/%s" % (day_dir(q), file_name(q)) for q in old])
    room = fatimage.free(dev.sd)
    assert room >= 96 * 512 // 8, room  # the room the device wants of this small card
    dev.start_firmware()
    wait_until(lambda: dev.json("/about")["sd"]["error"] is None, 20, "the card in use again")
    assert dev.json("/about")["led"] != "sos"
