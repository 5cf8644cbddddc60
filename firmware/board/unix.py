"""The unix board: the firmware on a Linux host under the MicroPython unix port.

P1 comes from a serial device (a USB P1 cable, or the simulator's pty) set up with
termios, or from a ser2net-style TCP bridge (tcp://host:port). The SD card is a
directory. The LED and the button are simulated.
"""

import asyncio
import gc
import os
import sys
import termios

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
  --baud 9600 means DSMR 2.2/3: 9600 baud 7E1 (bit 7 is masked)"""


def parse_args(argv):
    """--name value pairs -> dict. Raises ValueError with a clear message."""
    opts = {"p1": None, "sd": None, "http": "127.0.0.1:8080", "baud": "115200"}
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
    host, _, port = opts["http"].rpartition(":")
    try:
        opts["http"] = (host or "0.0.0.0", int(port))
    except ValueError:
        raise ValueError("--http must be host:port, e.g. 127.0.0.1:8080")
    return opts


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

    def led(self, on):
        self._led = on

    def button(self):
        return False

    def memory(self):
        gc.collect()
        free = gc.mem_free()
        alloc = gc.mem_alloc()
        return {"heap_total": free + alloc, "heap_free": free}

    def reset(self):
        sys.exit(3)
