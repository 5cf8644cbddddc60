"""Simulated P1 smart meter: clock, energy registers, capacity peaks and output.

    digimon meter --out pty|pty:/path|tcp://[host]:port|-
                  --profile be|nl5|nl5-mbus2|nl4|nl22|lu|se
                  --speed N --start 2026-03-29T01:50:00 --seed N [--count N]
                  [--log FILE] [--corrupt RATE] [--messages]
    digimon meter --out ... --replay FILE [--interval S] [--parity] [--speed N] [--count N]

The meter runs on simulated time (integer epoch seconds) and shows it as local
Europe/Brussels time with the DSMR S/W flag.  Energy is kept in exact integer
joules (W*s): every register step is the printed power times the interval, so the
registers agree with 1-0:1.7.0/2.7.0 over time.

--replay sends given telegrams instead (real meters' ones, e.g. from other projects'
test suites), in turn and then again from the first: FILE holds them as they are
on the wire, or is a JSON file of records with their "text" (like
../shared/telegrams/dsmr_parser_examples.json).
"""

import argparse
import fcntl
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time
import termios
import tty
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .household import Household, noise
from .telegram import PROFILES, add_parity, corrupt, encode, power_step

TZ = ZoneInfo("Europe/Brussels")
QUARTER = 900
WH = 3600  # joules per Wh
MAX_HISTORY = 13  # months in 0-0:98.1.0

# Long 0-0:96.13.0 texts for --messages (sent hex-encoded, up to 512 characters).
MESSAGES = (
    "Fluvius: op 14/04 tussen 09:00 en 12:00 voeren wij werken uit aan het net in uw straat. "
    "De stroom kan kort onderbroken worden. Excuses voor het ongemak. ",
    "Uw digitale meter krijgt binnenkort een software-update. U hoeft niets te doen. "
    "De P1-poort blijft beschikbaar. Meer info: www.fluvius.be/digitalemeter ",
    "Capaciteitstarief: uw hoogste kwartierpiek van deze maand bedraagt meer dan 2,5 kW. "
    "Spreid uw verbruik om kosten te besparen. ",
)


# -- time ---------------------------------------------------------------------------


def local(t: int) -> datetime:
    """Epoch seconds -> aware local (Europe/Brussels) datetime."""
    return datetime.fromtimestamp(t, TZ)


def stamp(lt: datetime, flag: bool = True) -> str:
    """DSMR timestamp YYMMDDhhmmss plus S (summer) or W (winter)."""
    s = f"{lt.year % 100:02d}{lt.month:02d}{lt.day:02d}{lt.hour:02d}{lt.minute:02d}{lt.second:02d}"
    if flag:
        s += "S" if lt.dst() else "W"
    return s


def epoch_of(naive: datetime) -> int:
    """Local wall time -> epoch seconds; the first (summer) occurrence if ambiguous.
    Raises ValueError for a wall time in the spring-forward gap."""
    aware = naive.replace(tzinfo=TZ, fold=0)
    t = int(aware.timestamp())
    if local(t).replace(tzinfo=None) != naive.replace(microsecond=0):
        raise ValueError(f"{naive.isoformat()} does not exist in Europe/Brussels "
                         "(clocks jump from 02:00 to 03:00 that night)")
    return t


def parse_start(text: str) -> int:
    """ISO local time (e.g. 2026-03-29T01:50:00) -> epoch seconds."""
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--start {text!r}: expected an ISO time like 2026-03-29T01:50:00") from None
    if dt.tzinfo is not None:
        return int(dt.timestamp())
    return epoch_of(dt.replace(microsecond=0))


def month_start(year: int, month: int) -> int:
    """Epoch of local midnight on the 1st of a month (month may be 0 or 13)."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return epoch_of(datetime(year, month, 1))


def tariff(kind: str, lt: datetime) -> int:
    """Active tariff.  BE: 1 = day (weekdays 07-22), 2 = night/weekend.
    NL: 2 = normal (weekdays 07-23), 1 = low."""
    weekday = lt.weekday() < 5
    if kind == "be":
        return 1 if weekday and 7 <= lt.hour < 22 else 2
    return 2 if weekday and 7 <= lt.hour < 23 else 1


def hex_ascii(text: str) -> str:
    return text.encode("ascii").hex().upper()


def serial_number(rng, prefix: str, length: int) -> str:
    """A random equipment id of `length` characters, hex-encoded as meters send it."""
    digits = length - len(prefix)
    return hex_ascii(f"{prefix}{rng.randrange(10 ** digits):0{digits}d}")


# -- the meter -----------------------------------------------------------------------


class Meter:
    """A meter of one profile; next_telegram() returns consecutive telegrams."""

    def __init__(self, profile: str, start: str | None = None, seed: int = 0,
                 messages: bool = False):
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (choose from {', '.join(PROFILES)})")
        self.name = profile
        self.profile = p = PROFILES[profile]
        self.interval = p["interval"]
        self.step = power_step(p)
        self.seed = seed
        self.messages = messages and profile == "be"
        self.house = Household(seed)
        t0 = parse_start(start) if start else int(time.time())
        rng = random.Random(f"meter:{seed}:{profile}")

        prefix, gas_prefix, length = p["ids"]
        self.eid = serial_number(rng, prefix, length)
        self.gas_id = serial_number(rng, gas_prefix, length)
        self.static = self._static(rng, t0)

        # Energy registers in joules: [tariff 1, tariff 2].
        self.imp_j = [rng.randint(2000, 9000) * 1000 * WH + rng.randrange(1000 * WH),
                      rng.randint(1500, 7000) * 1000 * WH + rng.randrange(1000 * WH)]
        self.exp_j = [rng.randint(500, 4000) * 1000 * WH + rng.randrange(1000 * WH),
                      rng.randint(100, 1500) * 1000 * WH + rng.randrange(1000 * WH)]
        self.gas_l = rng.uniform(800, 6000) * 1000  # litres

        # Capacity: this month's peak so far and ~12 earlier months (oldest first).
        lt0 = local(t0)
        self.history = self._past_peaks(rng, lt0)
        self.peak_w, self.peak_ts = self._peak_so_far(rng, t0, lt0)

        # Warm up from the quarter's start, so 1-0:1.4.0 is a full average from the
        # first telegram on (the registers simply include that energy).
        quarter = t0 - t0 % QUARTER
        t = t0 - (t0 - quarter) // self.interval * self.interval
        self.q_from = t  # since when q_j accumulates
        self.q_j = 0
        every = p["gas_every"]
        self.gas_snap = (stamp(local(t - t % every), p["gas_flag"]), int(self.gas_l))
        while t < t0:
            self._sample(t, local(t))
            self._integrate(t, t + self.interval)
            t += self.interval
        self.t = t0

    # -- setup --

    def _static(self, rng, t0: int) -> dict:
        """Event counters and the power failure log (they do not change)."""
        fails = []
        for _ in range(rng.randint(1, 3)):
            when = stamp(local(t0 - rng.randint(20, 900) * 86400 - rng.randrange(86400)))
            fails.append(f"({when})({rng.randint(180, 40000):010d}*s)")
        fails.sort()
        return {
            "fail_short": rng.randint(2, 15), "fail_long": len(fails),
            "fail_log": f"{len(fails)})(0-0:96.7.19){''.join(fails)}"[:-1],
            "sag1": rng.randint(0, 3), "sag2": rng.randint(0, 3), "sag3": rng.randint(0, 3),
            "swell1": 0, "swell2": rng.randint(0, 1), "swell3": 0,
        }

    def _past_peaks(self, rng, lt0: datetime) -> list:
        """(month stamp, peak stamp, W) for the 12 months before lt0's month.  As real
        meters do, the month stamp is midnight on the 1st of the following month."""
        history = []
        for back in range(12, 0, -1):
            year, month = lt0.year, lt0.month - back
            first = local(month_start(year, month))
            end = epoch_of(datetime(first.year, first.month, rng.randint(1, 28),
                                    rng.randint(7, 21), rng.choice((0, 15, 30, 45))))
            winter = abs(first.month - 7) / 6  # 0 in July, 1 in January
            watts = int(2500 + 2500 * winter * rng.random() + rng.uniform(0, 1500))
            history.append((stamp(local(month_start(year, month + 1))), stamp(local(end)), watts))
        return history

    def _peak_so_far(self, rng, t0: int, lt0: datetime) -> tuple:
        """A plausible peak for the part of the current month before t0."""
        first = month_start(lt0.year, lt0.month)
        quarters = (t0 - t0 % QUARTER - first) // QUARTER
        if quarters < 1:
            return 0, stamp(local(first))
        end = first + QUARTER * rng.randint(1, quarters)
        return int(rng.uniform(1800, 5500)), stamp(local(end))

    # -- simulation --

    def _sample(self, t: int, lt: datetime) -> None:
        """Instantaneous values at t (kept until the next telegram)."""
        watts = [round(w) for w in self.house.power(t, lt)]
        net = sum(watts)
        if self.step > 1:
            net = (net + self.step // 2) // self.step * self.step
        self.phase_w = watts
        self.p_imp = max(net, 0)
        self.p_exp = max(-net, 0)
        self.tariff = tariff(self.profile["tariffs"], lt)
        self.gas_rate = self.house.gas_rate(t, lt)

    def _integrate(self, t0: int, t1: int) -> None:
        """Advance the registers from t0 to t1 with the power sampled at t0."""
        dt = t1 - t0
        self.imp_j[self.tariff - 1] += self.p_imp * dt
        self.exp_j[self.tariff - 1] += self.p_exp * dt
        # Gas: the meter publishes a captured value every gas_every seconds.
        every = self.profile["gas_every"]
        b = t0 - t0 % every + every
        while b <= t1:
            self.gas_snap = (stamp(local(b), self.profile["gas_flag"]),
                             int(self.gas_l + self.gas_rate * (b - t0)))
            b += every
        self.gas_l += self.gas_rate * dt
        # Quarters: split the interval at quarter boundaries.
        t = t0
        while True:
            end = t - t % QUARTER + QUARTER
            if end > t1:
                self.q_j += self.p_imp * (t1 - t)
                break
            self.q_j += self.p_imp * (end - t)
            self._close_quarter(end)
            t = end

    def _close_quarter(self, end: int) -> None:
        """A quarter ended at `end`: update the month peak; roll the month over."""
        seconds = end - self.q_from
        average = (self.q_j + seconds // 2) // seconds
        lt = local(end)
        if average > self.peak_w:
            self.peak_w, self.peak_ts = average, stamp(lt)
        if lt.day == 1 and lt.hour == 0 and lt.minute == 0:
            self.history.append((stamp(lt), self.peak_ts, self.peak_w))
            del self.history[:-MAX_HISTORY]
            self.peak_w, self.peak_ts = 0, stamp(lt)
        self.q_j = 0
        self.q_from = end

    def message(self, t: int) -> str:
        """The 0-0:96.13.0 text: now and then a long one with --messages."""
        window = t // 600
        if not self.messages or noise(self.seed + 17, window) >= 0.3:
            return ""
        text = MESSAGES[window % len(MESSAGES)] * 8
        return hex_ascii(text[:64 + int(448 * noise(self.seed + 19, window))])

    def reading(self, t: int, lt: datetime) -> dict:
        """All values of the telegram at t, as exact integers (thousandths)."""
        elapsed = t - self.q_from
        volts = self.house.voltages(t, self.phase_w)
        r = {
            "ts": stamp(lt), "eid": self.eid, "tariff": self.tariff,
            "imp1": self.imp_j[0] // WH, "imp2": self.imp_j[1] // WH,
            "exp1": self.exp_j[0] // WH, "exp2": self.exp_j[1] // WH,
            "p_imp": self.p_imp, "p_exp": self.p_exp,
            "avg": (self.q_j + elapsed // 2) // elapsed if elapsed else 0,
            "peak": self.peak_w, "peak_ts": self.peak_ts, "history": self.history,
            "msg": self.message(t),
            "gas_id": self.gas_id, "gas_ts": self.gas_snap[0], "gas": self.gas_snap[1],
        }
        # Totals (meters without tariff registers) and reactive energy (not simulated:
        # a share of the active energy, so the registers still only go up).
        r["imp"] = r["imp1"] + r["imp2"]
        r["exp"] = r["exp1"] + r["exp2"]
        r["rimp"] = r["imp"] // 25
        r["rexp"] = r["exp"] // 10
        for i, (w, v) in enumerate(zip(self.phase_w, volts), 1):
            r[f"pi{i}"] = max(w, 0)
            r[f"pe{i}"] = max(-w, 0)
            r[f"v{i}"] = round(v * 1000)
            r[f"i{i}"] = round(abs(w) / v * 1000)
        r.update(self.static)
        return r

    def next_telegram(self) -> tuple:
        """(wire bytes, {"t": local ISO time, "corrupt": False, "values": {...}}) for
        the telegram at the current simulated time; then advance one interval."""
        t = self.t
        lt = local(t)
        self._sample(t, lt)
        wire, values = encode(self.name, self.reading(t, lt))
        self._integrate(t, t + self.interval)
        self.t = t + self.interval
        return wire, {"t": lt.isoformat(), "corrupt": False, "values": values}


# -- replay ----------------------------------------------------------------------------


def read_telegrams(path: str) -> list:
    """The telegrams in a file: a JSON file of records with "text" (or of strings), or
    telegrams as they are on the wire, one after the other."""
    data = open(path, "rb").read()
    try:
        doc = json.loads(data)
    except ValueError:
        return [b"/" + part for part in data.split(b"/")[1:]]
    records = doc.get("telegrams", []) if isinstance(doc, dict) else doc
    return [(r["text"] if isinstance(r, dict) else r).encode("latin-1") for r in records]


class Replay:
    """Given telegrams, sent in turn like a meter's (and again from the first)."""

    def __init__(self, path: str, interval: float = 1.0, parity: bool = False):
        self.telegrams = read_telegrams(path)
        if not self.telegrams:
            raise ValueError(f"--replay {path}: no telegrams in it")
        self.interval = interval
        self.parity = parity
        self.profile = {"crc": True}
        self.sent = 0

    def next_telegram(self) -> tuple:
        i = self.sent % len(self.telegrams)
        wire = self.telegrams[i]
        self.profile = {"crc": not wire.endswith(b"!\r\n")}  # for corrupt()
        if self.parity:
            wire = add_parity(wire)
        self.sent += 1
        return wire, {"t": datetime.now(TZ).isoformat(), "corrupt": False,
                      "values": {"replay": i}}


# -- outputs -------------------------------------------------------------------------


class StdoutOutput:
    def __init__(self):
        self.dropped = 0

    def idle(self, seconds: float) -> None:
        time.sleep(seconds)

    def write(self, data: bytes) -> bool:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return True

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass


class PtyOutput:
    """A pty pair; readers open the slave (or the symlink to it).

    We keep the slave open ourselves, so writes never fail for want of a reader,
    and a telegram is always written whole.  When the pty buffer is full we wait up
    to a second for a (slow) reader; if nobody takes data, the stale unread data is
    discarded (counted in `dropped`) and the new telegram written.  Until the unread
    count goes down again (a reader appeared), a full buffer is discarded at once,
    so the simulation keeps its pace.  Before anyone has read at all, the first wait
    is longer: a reader that is still starting up gets every telegram."""

    WAIT = 1.0
    FIRST_WAIT = 10.0

    def __init__(self, link: str | None = None):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.link = None
        if link:
            if os.path.islink(link):
                os.unlink(link)
            elif os.path.exists(link):
                raise OSError(f"{link} exists and is not a symlink")
            os.symlink(self.path, link)
            self.link = link
        self.dropped = 0
        self.reader = True  # assume one until a full buffer proves otherwise
        self.has_read = False  # a reader has taken data at least once
        self.unread = 0  # unread bytes after our last write
        print(f"pty: {self.path}", flush=True)

    def _unread(self) -> int:
        """Bytes written but not yet read from the slave (its line buffer)."""
        return struct.unpack("i", fcntl.ioctl(self.slave, termios.FIONREAD, b"\0" * 4))[0]

    def _drain(self) -> None:
        """Discard anything written back to us (echo, if a reader turned it on)."""
        try:
            while os.read(self.master, 4096):
                pass
        except OSError:
            pass

    def idle(self, seconds: float) -> None:
        time.sleep(seconds)

    def write(self, data: bytes) -> bool:
        if self._unread() < self.unread:
            self.reader = self.has_read = True  # someone read data
        view = memoryview(data)
        deadline = None
        discarded = False
        while view:
            try:
                view = view[os.write(self.master, view):]
                continue
            except BlockingIOError:
                pass
            self._drain()
            now = time.monotonic()
            if deadline is None:
                patience = self.WAIT if self.has_read else self.FIRST_WAIT
                deadline = now + (patience if self.reader else 0)
            if now < deadline:
                select.select([], [self.master], [], deadline - now)
                continue
            if discarded:
                return False  # full right after discarding: give up on this one
            termios.tcflush(self.slave, termios.TCIFLUSH)
            discarded = True
            view = memoryview(data)  # our partial write went too: start over
            if not self.dropped:
                print("digimon meter: nobody reads the pty, discarding unread telegrams",
                      file=sys.stderr, flush=True)
            self.dropped += 1
            self.reader = False
        self.unread = self._unread()
        return True

    def finish(self) -> None:
        """Give a reader up to a second to take the last telegrams.  The count of
        unread bytes can show 0 while the last bytes are still on their way through
        the pty, so it must stay 0 for a moment before we close."""
        deadline = time.monotonic() + self.WAIT
        quiet = 0
        while self.reader and quiet < 10 and time.monotonic() < deadline:
            quiet = 0 if self._unread() else quiet + 1
            time.sleep(0.02)

    def close(self) -> None:
        if self.link and os.path.islink(self.link) and os.readlink(self.link) == self.path:
            os.unlink(self.link)
        os.close(self.master)
        os.close(self.slave)


class TcpOutput:
    """A ser2net-style server: every connected client gets every telegram."""

    def __init__(self, host: str, port: int):
        self.server = socket.create_server((host, port))
        self.server.setblocking(False)
        self.clients: list[socket.socket] = []
        self.dropped = 0
        addr = self.server.getsockname()
        print(f"tcp: {addr[0]}:{addr[1]}", flush=True)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except BlockingIOError:
                return
            client.settimeout(1.0)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.clients.append(client)

    def idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if select.select([self.server], [], [], left)[0]:
                self._accept()

    def write(self, data: bytes) -> bool:
        self._accept()
        for client in list(self.clients):
            try:
                client.sendall(data)
            except OSError:  # gone, or not reading for a second
                client.close()
                self.clients.remove(client)
        return True

    def finish(self) -> None:
        pass

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.server.close()


def open_output(spec: str):
    """--out value -> output object."""
    if spec == "-":
        return StdoutOutput()
    if spec == "pty" or spec.startswith("pty:"):
        return PtyOutput(spec[4:] or None)
    if spec.startswith("tcp://"):
        url = urlsplit(spec)
        if url.port is None:
            raise ValueError(f"--out {spec}: missing port (tcp://:2001 or tcp://host:2001)")
        return TcpOutput(url.hostname or "", url.port)
    raise ValueError(f"--out {spec!r}: expected pty, pty:/path/to/link, tcp://[host]:port or -")


# -- command line -------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="pty",
                        help="pty, pty:/path/to/symlink, tcp://[host]:port or - (stdout); default pty")
    parser.add_argument("--profile", default="be", choices=list(PROFILES),
                        help="be (Fluvius e-MUCS), nl5 (DSMR 5), nl5-mbus2 (DSMR 5, an empty "
                             "M-Bus channel 1, gas on 2), nl4 (DSMR 4.2), nl22 (DSMR 2.2), "
                             "lu (Luxembourg Smarty), se (Swedish); lu and se send totals only")
    parser.add_argument("--replay", default=None,
                        help="send the telegrams of this file instead (as they are on the wire, "
                             "or a JSON file of records with their \"text\")")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="--replay: seconds between telegrams (default 1)")
    parser.add_argument("--parity", action="store_true",
                        help="--replay: send them as a 9600 7E1 meter does (even parity in bit 7)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated seconds per real second (default 1)")
    parser.add_argument("--start", default=None,
                        help="local time of the first telegram, e.g. 2026-03-29T01:50:00 (default now)")
    parser.add_argument("--seed", type=int, default=0, help="household seed (default 0)")
    parser.add_argument("--count", type=int, default=None, help="stop after N telegrams")
    parser.add_argument("--fast", type=int, default=0,
                        help="send the first N telegrams as fast as they are read (history), then at --speed")
    parser.add_argument("--log", default=None, help="append one JSON line per telegram sent")
    parser.add_argument("--corrupt", type=float, default=0.0,
                        help="fraction of telegrams damaged after the CRC (0..1)")
    parser.add_argument("--messages", action="store_true",
                        help="be: send long 0-0:96.13.0 text messages now and then")


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(args) -> int:
    def fail(message: str) -> int:
        print(f"digimon meter: {message}", file=sys.stderr)
        return 2

    if not args.speed > 0:
        return fail("--speed must be > 0")
    if not 0 <= args.corrupt <= 1:
        return fail("--corrupt must be between 0 and 1")
    if args.count is not None and args.count < 0:
        return fail("--count must be >= 0")
    if args.fast < 0:
        return fail("--fast must be >= 0")
    if not args.interval > 0:
        return fail("--interval must be > 0")
    try:
        if args.replay:
            meter = Replay(args.replay, args.interval, args.parity)
        else:
            meter = Meter(args.profile, args.start, args.seed, args.messages)
        out = open_output(args.out)
    except (ValueError, OSError) as err:
        return fail(str(err))
    log = open(args.log, "a", buffering=1) if args.log else None
    signal.signal(signal.SIGTERM, _stop)
    rng = random.Random(f"corrupt:{args.seed}")
    period = meter.interval / args.speed
    due = time.monotonic()
    sent = 0
    try:
        while args.count is None or sent < args.count:
            wire, entry = meter.next_telegram()
            damaged = args.corrupt > 0 and rng.random() < args.corrupt
            if damaged:
                wire = corrupt(wire, rng, meter.profile["crc"])
            delay = due - time.monotonic()
            if sent < args.fast:
                due = time.monotonic()  # filling history: the reader sets the pace
            elif delay > 0:
                out.idle(delay)
            elif delay < -1.0:
                due = time.monotonic()  # fell behind (slow reader): slow down, no burst
            sent += 1
            if out.write(wire) and log:
                log.write(json.dumps({"n": sent, "t": entry["t"], "corrupt": damaged,
                                      "values": entry["values"]}) + "\n")
            due += period
        out.finish()
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # stdout reader went away
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        out.close()
        if log:
            log.close()
    if out.dropped:
        print(f"digimon meter: discarded unread output {out.dropped} time(s)", file=sys.stderr)
    return 0


def cli(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="digimon meter", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(cli())
