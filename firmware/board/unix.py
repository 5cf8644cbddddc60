"""The unix board: the firmware on a Linux host under the MicroPython unix port.

P1 comes from a serial device (a USB P1 cable, or the simulator's pty) set up with
termios, or from a ser2net-style TCP bridge (tcp://host:port). The SD card is a
directory, and so is the flash that keeps the copy of config.json. The LED, the button
and the WiFi are simulated:
- the LED's changes go to a timeline file, one "<ticks_ms> <0|1>" line each (--led);
- the BOOT button is held while a file exists (--button);
- the WiFi networks in range are a JSON file {"ssid": "password", ...} (--wifi): joining
  works when the configured network is in it with its password; without --wifi the host's
  network stands for any configured one. The setup access point is the --http address,
  and the captive-portal DNS server listens where --dns says.
The flash is a folder (--flash): boot.py, main.py and the app slots are there, and
the copy of config.json; its size is --flash-size (default 2M, as on a 4 MB board),
counted in 4 KB blocks as LittleFS does. There is no MicroPython image to update.
The host's clock is already set (no NTP); the host's process supervisor is the watchdog
(`digimon run` starts the firmware again when it resets).
"""

import asyncio
import gc
import json
import os
import sys
import termios
import time

# Linux termios c_cflag bits (the unix port's termios module has no constants for them)
_CSIZE = 0o60
_CS7 = 0o40
_CS8 = 0o60
_PARENB = 0o400
_PARODD = 0o1000
_CSTOPB = 0o100
_CREAD = 0o200
_CLOCAL = 0o4000
_IFLAG_COOKED = 0o1 | 0o2 | 0o10 | 0o40 | 0o100 | 0o200 | 0o400 | 0o2000  # IGNBRK..IXON
_OPOST = 0o1
_LFLAG_COOKED = 0o1 | 0o2 | 0o10 | 0o100 | 0o100000  # ISIG ICANON ECHO ECHONL IEXTEN
_VTIME = 5  # indices in c_cc
_VMIN = 6
_BAUDS = {9600: termios.B9600, 115200: termios.B115200}

USAGE = """usage: main.py --p1 <device | tcp://host:port> --sd <dir> --http <host:port> [--baud 115200|9600]
               [--flash <dir>] [--flash-size <bytes|NNNk|NM>] [--led <file>] [--button <file>]
               [--wifi <file>] [--dns <host:port>]
  --baud 9600 means DSMR 2.2/3: 9600 baud 7E1 (bit 7 is masked)"""
RESET_EXIT = 3  # the exit status that means "restart me" (see digimon run)
FAIL_MS = 1000  # how long a simulated failed WiFi join takes
BLOCK = 4096  # the flash's block size


def parse_args(argv):
    """--name value pairs -> dict. Raises ValueError with a clear message."""
    opts = {"p1": None, "sd": None, "http": "127.0.0.1:8080", "baud": "115200", "flash": None,
            "flash-size": "2M",
            "led": None, "button": None, "wifi": None, "dns": None}
    i = 0
    while i < len(argv):
        name = argv[i]
        if not name.startswith("--") or name[2:] not in opts or i + 1 >= len(argv):
            raise ValueError("bad argument %r\n%s" % (name, USAGE))
        opts[name[2:]] = argv[i + 1]
        i += 2
    if not opts["p1"]:
        raise ValueError("--p1 is required\n" + USAGE)
    try:
        opts["baud"] = int(opts["baud"])
        if opts["baud"] not in _BAUDS:
            raise ValueError
    except ValueError:
        raise ValueError("--baud must be 115200 or 9600")
    size = opts["flash-size"]
    try:
        opts["flash-size"] = int(size[:-1]) * {"k": 1024, "M": 1 << 20}[size[-1]] \
            if size[-1] in "kM" else int(size)
    except (ValueError, KeyError):
        raise ValueError("--flash-size must be bytes, NNNk or NM, e.g. 2M")
    for name in ("http", "dns"):
        if opts[name] is None:
            continue
        host, _, port = opts[name].rpartition(":")
        try:
            opts[name] = (host or "0.0.0.0", int(port))
        except ValueError:
            raise ValueError("--%s must be host:port, e.g. 127.0.0.1:8080" % name)
    return opts


def _used(path):
    """Bytes a folder takes in BLOCK-sized blocks (a block per folder, too)."""
    total = BLOCK
    for entry in os.ilistdir(path):
        if entry[1] == 0x4000:
            total += _used(path + "/" + entry[0])
        else:
            total += max(1, (os.stat(path + "/" + entry[0])[6] + BLOCK - 1) // BLOCK) * BLOCK
    return total


class Board:
    name = "unix"

    def __init__(self, argv):
        self.opts = parse_args(argv)
        self.http = self.opts["http"]
        self.p1_7e1 = self.opts["baud"] == 9600
        self.sd_error = None
        self._file = None
        self._writer = None
        self._led = False
        self._timeline = None if self.opts["led"] is None else open(self.opts["led"], "a")
        self.dns_addr = self.opts["dns"]
        self.ntp_host = None
        self._ip = None

    def set_p1_baud(self, baud):
        pass  # on Linux the command line's --baud sets the line, not config.json

    def unique_id(self):
        try:
            with open("/etc/machine-id") as f:
                return f.read(12)
        except OSError:
            return "000000000000"

    async def p1_open(self):
        src = self.opts["p1"]
        if src.startswith("tcp://"):
            host, _, port = src[6:].rpartition(":")
            reader, self._writer = await asyncio.open_connection(host or "127.0.0.1", int(port))
            return reader
        f = open(src, "r+b")
        try:
            self._setup_tty(f.fileno())
        except OSError:
            pass  # a plain file or fifo: no line settings to make
        self._file = f
        return asyncio.StreamReader(f)

    def _setup_tty(self, fd):
        """Raw mode at the meter's line settings, in one TCSANOW call: unlike
        termios.setraw this keeps bytes that arrived before the port was opened."""
        attrs = termios.tcgetattr(fd)
        speed = _BAUDS[self.opts["baud"]]
        attrs[0] &= ~_IFLAG_COOKED
        attrs[1] &= ~_OPOST
        attrs[3] &= ~_LFLAG_COOKED
        cflag = attrs[2] & ~(_CSIZE | _PARENB | _PARODD | _CSTOPB)
        cflag |= _CREAD | _CLOCAL | (_CS7 | _PARENB if self.p1_7e1 else _CS8)
        attrs[2] = cflag
        attrs[4] = speed
        attrs[5] = speed
        # VMIN = VTIME = 0: a read returns what has arrived instead of waiting to fill
        # the buffer (asyncio has already polled the device for data).
        attrs[6][_VTIME] = 0
        attrs[6][_VMIN] = 0
        termios.tcsetattr(fd, termios.TCSANOW, attrs)

    def p1_close(self):
        for f in (self._file, self._writer):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self._file = self._writer = None

    def p1_request(self, on):
        # USB P1 cables tie Data Request to +5 V themselves; nothing to drive here.
        pass

    def sd_path(self):
        path = self.opts["sd"]
        if not path:
            self.sd_error = "no --sd directory given"
            return None
        try:
            os.stat(path)
        except OSError:
            self.sd_error = "SD directory %s does not exist" % path
            return None
        self.sd_error = None
        return path

    def sd_retry(self):
        return self.sd_path()

    def flash_path(self):
        return self.opts["flash"]

    def flash_space(self):
        used = _used(self.opts["flash"]) if self.opts["flash"] else 0
        return max(0, self.opts["flash-size"] - used), BLOCK

    def firmware_partition(self):
        return None  # the unix port is not a firmware image to replace

    def firmware_ok(self):
        pass

    def led(self, on):
        if on != self._led and self._timeline is not None:
            self._timeline.write("%d %d\n" % (time.ticks_ms(), on))
            self._timeline.flush()
        self._led = on

    def button(self):
        if self.opts["button"] is None:
            return False
        try:
            os.stat(self.opts["button"])
            return True
        except OSError:
            return False

    # --- WiFi, simulated ---

    def _in_range(self):
        """The simulated air: {ssid: password}; None without --wifi."""
        if self.opts["wifi"] is None:
            return None
        try:
            with open(self.opts["wifi"]) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def _host_ip(self):
        host = self.http[0]
        return "127.0.0.1" if host == "0.0.0.0" else host

    async def wifi_connect(self, net, timeout_ms):
        air = self._in_range()
        if air is None or air.get(net["ssid"]) == net["password"]:
            self._ip = self._host_ip() if net["dhcp"] else net["ip"]
            return self._ip
        await asyncio.sleep_ms(min(timeout_ms, FAIL_MS))
        return None

    def wifi_ip(self):
        air = self._in_range()
        if air is not None and self._ip is not None and not air:
            self._ip = None  # every network went away
        return self._ip

    def wifi_scan(self):
        air = self._in_range() or {}
        return [(ssid, -50 - 5 * i) for i, ssid in enumerate(sorted(air))]

    def ap_start(self, ssid):
        return "%s:%d" % (self._host_ip(), self.http[1])

    def ap_stop(self):
        pass

    def set_time(self, epoch_s):
        pass  # the host keeps its own clock

    def reset_cause(self):
        return "power on"

    def watchdog(self, timeout_ms):
        pass  # the host's process supervisor restarts a hung firmware

    def watchdog_feed(self):
        pass

    def memory(self):
        gc.collect()
        free = gc.mem_free()
        alloc = gc.mem_alloc()
        return {"heap_total": free + alloc, "heap_free": free}

    def reset(self):
        sys.exit(RESET_EXIT)
