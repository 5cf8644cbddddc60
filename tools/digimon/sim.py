"""`digimon sim`: the simulated meter on a pty and the firmware reading it, together."""

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from digimon import run
from digimon.build import ROOT

SIM = ROOT / "build" / "sim"
SUPERVISE = "import sys; from digimon import run; sys.exit(run.supervise(sys.argv[1:], None, None))"


def ensure_login(sd):
    """The SD card's config.json; made with a fresh web login when there is none
    (and a WiFi network, which the host's network stands for)."""
    path = sd / "config.json"
    if not path.exists():
        sd.mkdir(parents=True, exist_ok=True)
        login = {"user": "admin", "password": secrets.token_urlsafe(9)}
        wifi = {"ssid": "home", "password": secrets.token_urlsafe(9)}
        path.write_text(json.dumps({"wifi": wifi, "web": login}, indent=1) + "\n")
    return json.loads(path.read_text()).get("web", {})


def wait_for(path, seconds=10):
    end = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise SystemExit("the simulated meter did not start (no %s)" % path)
        time.sleep(0.05)


def add_arguments(p):
    p.add_argument("--profile", default="be",
                   help="meter profile: be, nl5, nl5-mbus2, nl4, nl22, lu or se "
                        "(digimon meter --help says what each is)")
    p.add_argument("--speed", default="1", help="simulated seconds per real second")
    p.add_argument("--start", help="local ISO time of the first telegram (default: now)")
    p.add_argument("--seed", default="0")
    p.add_argument("--http", default="127.0.0.1:8080", help="host:port to serve on")
    p.add_argument("--sd", default=str(SIM / "sd"), help="directory that stands for the SD card")


def main(args):
    sd = Path(args.sd)
    login = ensure_login(sd)
    link = SIM / "p1"
    if link.is_symlink():
        link.unlink()
    meter = [sys.executable, "-m", "digimon.cli", "meter", "--out", "pty:%s" % link,
             "--profile", args.profile, "--speed", args.speed, "--seed", args.seed]
    if args.start:
        meter += ["--start", args.start]
    procs = [subprocess.Popen(meter, stdout=subprocess.DEVNULL)]
    try:
        wait_for(link)
        baud = 9600 if args.profile == "nl22" else 115200
        argv, env, cwd = run.command(str(link), str(sd), args.http, baud,
                                     board={"flash": str(SIM / "flash"), "led": str(SIM / "led.txt")})
        procs.append(subprocess.Popen([sys.executable, "-c", SUPERVISE, *argv],
                                      env=dict(env, PYTHONPATH=str(ROOT / "tools")), cwd=cwd))
        print("\ndigimon is running on a simulated %s meter:" % args.profile)
        print("  open   http://%s/" % args.http)
        print("  login  %s / %s   (from %s)" % (login.get("user"), login.get("password"),
                                               sd / "config.json"))
        print("  stop   Ctrl-C\n", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.2)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            p.wait()
