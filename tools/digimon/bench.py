"""`digimon bench`: measure the firmware and print a table; JSON in build/bench.json.

Per meter profile, the same simulated telegrams go through
- the firmware's real P1 ingest path (framer + parser) on the MicroPython unix port
  under the same heap limit as `digimon run`: µs and bytes allocated per telegram;
- dsmr_parser on CPython: µs per telegram and the peak bytes traced while parsing one.
Plus, on the 32-bit interpreter: the heap after start-up and the qstrs, the heap each
module takes (digimon.memory), the flash footprint of the built tree, and the budget
runs (digimon.benchbudget): a simulated month at the board's heap, polled, and the
pressure run at 96k.
"""

import json
import subprocess
import time
import tracemalloc

from digimon.build import ROOT, SLOT, blocks, build, footprint
from digimon.meter import Meter
from digimon import benchbudget, memory, runtime

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
    p.add_argument("--days", type=int, default=31,
                   help="simulated days of the budget run at 112k, from mid-October "
                        "(default 31: about an hour; 0 to skip)")
    p.add_argument("--pressure-hours", type=int, default=2,
                   help="simulated hours of the pressure run at 96k (default 2, 0 to skip)")
    p.add_argument("--json", default=str(ROOT / "build" / "bench.json"), help="where to write the JSON")


def main(args):
    fs = build()
    OUT.mkdir(parents=True, exist_ok=True)
    results = {"heap": runtime.heap(), "runtime": runtime.choose(), "profiles": {},
               "flash": footprint(fs), "flash_blocks": blocks(fs),
               "startup": memory.measure(fs=fs), "modules": memory.module_table(fs)}
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
        results["month"] = benchbudget.month(args.days)
    if args.pressure_hours:
        results["pressure"] = benchbudget.pressure(args.pressure_hours)
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
    start = results["startup"]
    lines += ["", "Heap after start-up (%s, -X heapsize=%s, a FAT card): %.1f KB used, %.1f KB "
              "free; %d qstrs, %d once every module has been loaded" % (
                  results["runtime"], results["heap"], start["heap_used"] / 1024,
                  start["heap_free"] / 1024, start["qstrs"]["startup"]["count"],
                  start["qstrs"]["all"]["count"])]
    lines += ["", "| resident module | KB |", "|---|---|"]
    for name, size, brought in results["modules"]["resident"]:
        if size:
            lines.append("| %s | %.1f |" % (" + ".join([name] + brought), size / 1024))
    lines += ["", "| loaded per use | KB while held |", "|---|---|"]
    for name, size, *_ in results["modules"]["per_use"]:
        lines.append("| %s | %s |" % (name, "-" if size is None else "%.1f" % (size / 1024)))
    flash = results["flash"]
    lines.append("")
    lines.append("Flash tree (build/fs): " + ", ".join(
        "%s %.1f KB" % (k, v / 1024) for k, v in sorted(flash.items()))
        + ", total %.1f KB; %.0f KB on flash in 4 KB blocks" % (
            sum(flash.values()) / 1024, results["flash_blocks"] / 1024))
    m = results.get("month")
    if m:
        mem = m["memory"]
        mq = m.get("mqtt")
        lines.append("Budget run, %d simulated days from %s at %s (%.0f telegrams/s), polled like "
                     "the web UI and Home Assistant, %s: %s; least free heap %.1f KB of %.1f KB "
                     "(at %s), %d memory errors; %.0f SD writes per day; %d quarter files, %d "
                     "missing, %d wrong" % (
                         m["days"], benchbudget.START, results["heap"],
                         m["telegrams"] / m["seconds"],
                         "MQTT off (no mosquitto)" if not mq else
                         "MQTT on (%d messages, %d failures)" % (
                             mq["messages_sent"], mq["failures_since_start"]),
                         _statuses(m["statuses"]), mem["heap_min_free"] / 1024,
                         mem["heap_total"] / 1024, mem.get("heap_min_at"), mem["errors"],
                         m["sd_writes_per_day"], m["quarters"], len(m["missing"]),
                         len(m["wrong"])))
    p = results.get("pressure")
    if p:
        lines.append("Pressure run at %s, %d telegrams, HTTP hammered from 3 clients: %s; web "
                     "server %s; firmware %s; %d quarter files, %d missing, %d wrong" % (
                         runtime.heap("32", pressure=True), p["telegrams_sent"],
                         ", ".join("%s: %d" % kv for kv in sorted(p["statuses"].items(), key=str)),
                         "started" if p["web_server"] else "did not fit",
                         "stayed up" if p["stayed_up"] else "STOPPED",
                         p["quarters"], len(p["missing"]), len(p["wrong"])))
    return "\n".join(lines)


def _statuses(seen):
    """'2460 requests, all 200' or the counts that were not."""
    total = sum(n for by in seen.values() for n in by.values())
    bad = {path: by for path, by in seen.items() if set(by) != {200}}
    return "%d requests, %s" % (total, "all 200" if not bad else "not all 200: %s" % bad)
