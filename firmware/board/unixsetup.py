"""The unix board's rare calls (board.unix loads this per use, core.cold): the command
line, the serial line's settings, the flash's used blocks, and the simulated WiFi air
(the FAT image that stands for the SD card is board.unixcard)."""

import json
import os
import termios

# Linux termios bits (the unix port's termios module has no constants for them)
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
BAUDS = {9600: termios.B9600, 115200: termios.B115200}

USAGE = """usage: main.py --p1 <device | tcp://host:port> --sd <dir | FAT image> --http <host:port>
               [--baud 115200|9600] [--flash <dir>] [--flash-size <bytes|NNNk|NM>]
               [--led <file>] [--button <file>] [--wifi <file>] [--dns <host:port>]
  --baud 9600 means DSMR 2.2/3: 9600 baud 7E1 (bit 7 is masked); config.json's p1.baud wins;
  without either, the line is learned (115200 8N1, then 9600 7E1, ...)"""


def parse_args(argv):
    """--name value pairs -> dict. Raises ValueError with a clear message."""
    opts = {"p1": None, "sd": None, "http": "127.0.0.1:8080", "baud": None, "flash": None,
            "flash-size": "2M", "led": None, "button": None, "wifi": None, "dns": None}
    i = 0
    while i < len(argv):
        name = argv[i]
        if not name.startswith("--") or name[2:] not in opts or i + 1 >= len(argv):
            raise ValueError("bad argument %r\n%s" % (name, USAGE))
        opts[name[2:]] = argv[i + 1]
        i += 2
    if not opts["p1"]:
        raise ValueError("--p1 is required\n" + USAGE)
    if opts["baud"] is not None:
        try:
            opts["baud"] = int(opts["baud"])
            if opts["baud"] not in BAUDS:
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


def setup_tty(fd, baud):
    """Raw mode at the meter's line settings (115200 8N1 or 9600 7E1), in one TCSANOW
    call: unlike termios.setraw this keeps bytes that arrived before the port opened."""
    attrs = termios.tcgetattr(fd)
    speed = BAUDS[baud]
    attrs[0] &= ~_IFLAG_COOKED
    attrs[1] &= ~_OPOST
    attrs[3] &= ~_LFLAG_COOKED
    cflag = attrs[2] & ~(_CSIZE | _PARENB | _PARODD | _CSTOPB)
    cflag |= _CREAD | _CLOCAL | (_CS7 | _PARENB if baud == 9600 else _CS8)
    attrs[2] = cflag
    attrs[4] = speed
    attrs[5] = speed
    # VMIN = VTIME = 0: a read returns what has arrived instead of waiting to fill
    # the buffer (asyncio has already polled the device for data).
    attrs[6][_VTIME] = 0
    attrs[6][_VMIN] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def used(path, block):
    """Bytes a folder takes in blocks of `block` (a block per folder, too)."""
    total = block
    for entry in os.ilistdir(path):
        if entry[1] == 0x4000:
            total += used(path + "/" + entry[0], block)
        else:
            total += max(1, (os.stat(path + "/" + entry[0])[6] + block - 1) // block) * block
    return total


def air(path):
    """The simulated WiFi air: {ssid: password}; None without --wifi."""
    if path is None:
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}
