"""The unix board: the firmware on a Linux host under the MicroPython unix port.

P1 comes from a serial device (a USB P1 cable, or the simulator's pty) set up with
termios, or from a ser2net-style TCP bridge (tcp://host:port). The SD card is a
directory or a FAT image file (mounted with VfsFat, as the board mounts its card); the
flash that keeps the copy of config.json is a directory. The rare calls are in
board.unixsetup, loaded per use. The LED, the button
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
import os
import sys
import time

from micropython import const

from firmware.core import cold

RESET_EXIT = const(3)  # the exit status that means "restart me" (see digimon run)
_FAIL_MS = const(1000)  # how long a simulated failed WiFi join takes
BLOCK = const(4096)  # the flash's block size
_SD_MOUNT = const("/sd")  # where a FAT image is mounted


def _setup():
    return cold.load("firmware.board.unixsetup")


def _is_dir(path):
    try:
        return os.stat(path)[0] & 0x4000 != 0
    except OSError:
        return None  # not there


class Board:
    name = "unix"

    def __init__(self, argv):
        self.opts = _setup().parse_args(argv)
        self.http = self.opts["http"]
        self.set_p1_baud(self.opts["baud"])  # None: the P1 reader learns it (p1.line)
        self.sd_error = None
        self._file = None
        self._writer = None
        self._led = False
        self._timeline = None if self.opts["led"] is None else open(self.opts["led"], "a")
        self.dns_addr = self.opts["dns"]
        self.ntp_host = None
        self._ip = None
        self._mounted = False  # a FAT image is mounted on _SD_MOUNT

    def set_p1_baud(self, baud):
        """115200 (8N1) or 9600 (7E1), from the next p1_open() on: config.json's
        p1.baud, else --baud, else what the P1 reader learns from the line."""
        self.p1_baud = baud
        self.p1_7e1 = baud == 9600

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
            _setup().setup_tty(f.fileno(), self.p1_baud)
        except OSError:
            pass  # a plain file or fifo: no line settings to make
        self._file = f
        return asyncio.StreamReader(f)

    def p1_close(self):
        for f in (self._file, self._writer):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self._file = self._writer = None

    def sd_path(self):
        """--sd: a directory, or a FAT image mounted with VfsFat as the board's card."""
        path = self.opts["sd"]
        kind = None if not path else _is_dir(path)
        if kind is None:
            self.sd_error = "no --sd directory given" if not path else \
                "SD directory %s does not exist" % path
            return None
        if kind:
            self.sd_error = None
            return path
        if not self._mounted:
            self.sd_error = cold.load("firmware.board.unixcard").mount_image(path, _SD_MOUNT)
            self._mounted = self.sd_error is None
        return _SD_MOUNT if self._mounted else None

    def sd_retry(self):
        self._mounted = False  # mount the image again, as the board does its card
        return self.sd_path()

    def flash_path(self):
        return self.opts["flash"]

    def flash_space(self):
        used = _setup().used(self.opts["flash"], BLOCK) if self.opts["flash"] else 0
        return max(0, self.opts["flash-size"] - used), BLOCK

    def firmware_partition(self):
        return None  # the unix port is not a firmware image to replace

    def led(self, on):
        if on != self._led and self._timeline is not None:
            self._timeline.write("%d %d\n" % (time.ticks_ms(), on))
            self._timeline.flush()
        self._led = on

    def button(self):
        return self.opts["button"] is not None and _is_dir(self.opts["button"]) is not None

    # --- WiFi, simulated ---

    def _host_ip(self):
        host = self.http[0]
        return "127.0.0.1" if host == "0.0.0.0" else host

    async def wifi_connect(self, net, timeout_ms):
        air = _setup().air(self.opts["wifi"])
        if air is None or air.get(net["ssid"]) == net["password"]:
            self._ip = self._host_ip() if net["dhcp"] else net["ip"]
            return self._ip
        await asyncio.sleep_ms(min(timeout_ms, _FAIL_MS))
        return None

    def wifi_ip(self):
        if self.opts["wifi"] is not None and self._ip is not None \
                and not _setup().air(self.opts["wifi"]):
            self._ip = None  # every network went away
        return self._ip

    def wifi_scan(self):
        air = _setup().air(self.opts["wifi"]) or {}
        return [(ssid, -50 - 5 * i) for i, ssid in enumerate(sorted(air))]

    def ap_start(self, ssid):
        return "%s:%d" % (self._host_ip(), self.http[1])

    def reset_cause(self):
        return "power on"

    def memory(self):
        gc.collect()
        free = gc.mem_free()
        alloc = gc.mem_alloc()
        return {"heap_total": free + alloc, "heap_free": free}

    def reset(self):
        sys.exit(RESET_EXIT)

    def _nothing(self, *_):
        pass

    # Nothing to do on Linux: USB P1 cables tie Data Request to +5 V themselves; there
    # is no MicroPython image to keep, no access point to close; the host keeps its
    # clock, and its process supervisor restarts a hung firmware (digimon run).
    p1_request = firmware_ok = ap_stop = set_time = watchdog = watchdog_feed = _nothing
