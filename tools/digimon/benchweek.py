"""The history part of `digimon bench`: the firmware on the unix port, fed simulated
days at full speed and polled over HTTP the way the UI and Home Assistant do.
Reports SD writes per simulated day and the heap high-water (the least free heap seen
after a telegram or a request, from /about)."""

import base64
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from digimon import run
from digimon.sim import wait_for

LOGIN = "bench:bench-password"
POLLS = (  # (path, seconds between requests)
    ("/api/v1/data", 0.2),
    ("/current/live", 1.0),
    ("/current/quarter", 5.0),
    ("/current/month/peak", 5.0),
    ("/historic/day?date=2026-11-03", 10.0),
    ("/historic/month?year=2026&month=11", 30.0),
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(base, path):
    req = urllib.request.Request(base + path)
    req.add_header("Authorization", "Basic " + base64.b64encode(LOGIN.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


def history_week(days, start="2026-11-02T00:00:00"):
    tmp = Path(tempfile.mkdtemp(prefix="digimon-bench-"))
    sd = tmp / "sd"
    sd.mkdir()
    user, password = LOGIN.split(":")
    (sd / "config.json").write_text(json.dumps({"web": {"user": user, "password": password}}))
    link = tmp / "p1"
    count = days * 86400
    meter = subprocess.Popen(
        [sys.executable, "-m", "digimon.cli", "meter", "--out", "pty:%s" % link, "--speed",
         "1000000", "--start", start, "--count", str(count)], stdout=subprocess.DEVNULL)
    port = _free_port()
    base = "http://127.0.0.1:%d" % port
    fw = None
    statuses = {}
    t0 = time.monotonic()
    try:
        wait_for(link)
        argv, env, cwd = run.command(str(link), str(sd), "127.0.0.1:%d" % port,
                                     board={"flash": str(sd.parent / "flash")})
        fw = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
        for _ in range(200):  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        due = {path: 0.0 for path, _ in POLLS}
        while meter.poll() is None:
            now = time.monotonic()
            for path, every in POLLS:
                if now >= due[path]:
                    status = _get(base, path)[0]
                    statuses[status] = statuses.get(status, 0) + 1
                    due[path] = now + every
            time.sleep(0.05)
        seconds = time.monotonic() - t0
        for _ in range(100):  # the firmware takes the last telegrams
            about = json.loads(_get(base, "/about")[1])
            if about["p1"]["telegrams"] >= count:
                break
            time.sleep(0.1)
        if fw.poll() is not None:
            raise SystemExit("the firmware stopped during the history bench")
    finally:
        for p in (meter, fw):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait(5)
    files = sum(1 for p in (sd / "meter").rglob("*.json") if p.parent != sd / "meter")
    return {
        "days": days, "telegrams": about["p1"]["telegrams"], "seconds": seconds,
        "quarter_files": files, "sd_writes": about["history"]["writes"],
        "sd_writes_per_day": about["history"]["writes"] / days,
        "sd_errors": about["history"]["errors"],
        "heap_total": about["memory"]["heap_total"],
        "heap_min_free": about["memory"]["heap_min_free"],
        "http_statuses": {str(k): v for k, v in statuses.items()},
    }
