"""`digimon bench`: measure the firmware and print a table; JSON in build/bench.json.

Per meter profile, the same simulated telegrams go through
- the firmware's real P1 ingest path (framer + parser) on the MicroPython unix port
  under the same heap limit as `digimon run`: µs and bytes allocated per telegram;
- dsmr_parser on CPython: µs per telegram and the peak bytes traced while parsing one.
Plus the heap the firmware uses after start-up, the flash footprint of the built tree,
and a run of simulated days for SD writes and the heap high-water (benchweek).
"""

import json
import subprocess
import time
import tracemalloc

from digimon.build import ROOT, SLOT, blocks, build, footprint
from digimon.meter import Meter
from digimon import runtime

SPECS = {"be": "BELGIUM_FLUVIUS", "nl5": "V5", "nl4": "V4", "nl22": "V2_2"}
OUT = ROOT / "build" / "bench"


def telegrams(profile, count, seed=1):
    meter = Meter(profile, start="2026-11-21T08:00:00", seed=seed)
    return [meter.next_telegram()[0] for _ in range(count)]


def on_micropython(fs, script, *args):
    """Run a tools/ script on the unix port against the built tree; its JSON line."""
    out = subprocess.run(
        [runtime.micropython(), "-X", "heapsize=" + runtime.heap(), str(ROOT / "tools" / script), *args],
        cwd=fs / SLOT, env={"MICROPYPATH": ".frozen:%s:%s/lib" % (fs / SLOT, fs / SLOT)},
        capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise SystemExit("%s failed:\n%s%s" % (script, out.stdout, out.stderr))
    return json.loads(out.stdout.strip().splitlines()[-1])


def firmware_ingest(fs, path, mask7, chunk=512):
    return on_micropython(fs, "bench_ingest.py", str(path), str(chunk), "1" if mask7 else "0")


def dsmr_parser_parse(profile, tels):
    from dsmr_parser import telegram_specifications
    from dsmr_parser.parsers import TelegramParser

    spec = getattr(telegram_specifications, SPECS[profile])
    parser = TelegramParser(spec, apply_checksum_validation=profile != "nl22")
    texts = [bytes(b & 0x7F for b in t).decode() for t in tels]
    t0 = time.perf_counter()
    for text in texts:
        parser.parse(text)
    us = (time.perf_counter() - t0) * 1e6 / len(texts)
    tracemalloc.start()
    peak = 0
    for text in texts[:50]:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        parser.parse(text)
        peak = max(peak, tracemalloc.get_traced_memory()[1] - before)
    tracemalloc.stop()
    return {"us_per_telegram": us, "peak_bytes_per_telegram": peak}


def add_arguments(p):
    p.add_argument("--count", type=int, default=600, help="telegrams per profile (default 600)")
    p.add_argument("--days", type=int, default=7,
                   help="simulated days for the history run (default 7, 0 to skip)")
    p.add_argument("--json", default=str(ROOT / "build" / "bench.json"), help="where to write the JSON")


def main(args):
    fs = build()
    OUT.mkdir(parents=True, exist_ok=True)
    results = {"heap": runtime.heap(), "runtime": runtime.choose(), "profiles": {}, "flash": footprint(fs), "flash_blocks": blocks(fs),
               "startup": on_micropython(fs, "bench_heap.py")}
    for profile in SPECS:
        tels = telegrams(profile, args.count)
        path = OUT / (profile + ".bin")
        path.write_bytes(b"".join(tels))
        ours = firmware_ingest(fs, path, mask7=profile == "nl22")
        theirs = dsmr_parser_parse(profile, tels)
        results["profiles"][profile] = {
            "telegram_bytes": sum(map(len, tels)) // len(tels), "digimon": ours,
            "dsmr_parser": theirs}
    if args.days:
        from digimon.benchweek import history_week

        results["history"] = history_week(args.days)
    (ROOT / "build").mkdir(exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=1)
    print(table(results))
    return 0


def table(results):
    lines = [
        "| profile | telegram | digimon µs (MicroPython) | dsmr_parser µs (CPython) | speed ratio "
        "| digimon bytes allocated | dsmr_parser peak bytes |",
        "|---|---|---|---|---|---|---|"]
    for name, r in results["profiles"].items():
        ours, theirs = r["digimon"], r["dsmr_parser"]
        lines.append("| %s | %d B | %.0f | %.0f | %.1fx | %.0f | %d |" % (
            name, r["telegram_bytes"], ours["us_per_telegram"], theirs["us_per_telegram"],
            theirs["us_per_telegram"] / ours["us_per_telegram"], ours["bytes_per_telegram"],
            theirs["peak_bytes_per_telegram"]))
    flash = results["flash"]
    start = results["startup"]
    lines.append("")
    lines.append("Heap after start-up (-X heapsize=%s, 64-bit objects): %.1f KB used, %.1f KB free"
                 % (results["heap"], start["heap_used"] / 1024, start["heap_free"] / 1024))
    lines.append("Flash tree (build/fs): " + ", ".join(
        "%s %.1f KB" % (k, v / 1024) for k, v in sorted(flash.items()))
        + ", total %.1f KB; %.0f KB on flash in 4 KB blocks" % (
            sum(flash.values()) / 1024, results["flash_blocks"] / 1024))
    h = results.get("history")
    if h:
        lines.append("History, %d simulated days at %.0f telegrams/s, polled over HTTP: "
                     "%.0f SD writes per day (%d quarter files), heap high-water %.1f KB of "
                     "%.1f KB (least free %.1f KB), HTTP statuses %s" % (
                         h["days"], h["telegrams"] / h["seconds"], h["sd_writes_per_day"],
                         h["quarter_files"], (h["heap_total"] - h["heap_min_free"]) / 1024,
                         h["heap_total"] / 1024, h["heap_min_free"] / 1024, h["http_statuses"]))
    return "\n".join(lines)
