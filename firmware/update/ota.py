"""Updates over the air: an app bundle (POST /update) into the slot that does not
run, or a MicroPython firmware image (POST /update/firmware) into the next OTA
partition where the board has one. Loaded per request (core.cold).

An app bundle is the app's MANIFEST followed by the files it lists, in its order:

    digimon-app 1
    version 0.2.0
    <sha256 hex> <size> <path>        one line per file
    end <files> <bytes>

The body is read in CHUNK pieces and written straight to flash, never held in RAM.
The running version is not touched: the other slot is emptied and filled, every
file's sha256 is checked, and only then does one atomic write of app/state.json
switch slots (see boot.py). On any error the half-filled slot is emptied again.
"""

import binascii
import hashlib
import os

from firmware.device import CONFIRM_MS
from firmware.files import makedirs
from firmware.update import slots

HEAD = b"digimon-app 1"
CHUNK = 512
MAX_LINE = 160
MAX_FILES = 200
RESERVE = 16384  # flash kept free for config.json's copy, the state file and LittleFS
SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./"
FIRMWARE_MAGIC = 0xE9  # the first byte of an ESP32 app image


class Refused(Exception):
    """The update cannot be taken: (HTTP status, what to tell the user)."""


async def _read(stream, mv):
    """Read into memoryview mv; the byte count (0 at the end). A body small enough
    for microdot to have read already comes as a stream without readinto()."""
    if hasattr(stream, "readinto"):
        return await stream.readinto(mv) or 0
    data = await stream.read(len(mv))
    mv[:len(data)] = data
    return len(data)


class Body:
    """The request body in CHUNK pieces, with a count of the bytes still to come."""

    def __init__(self, stream, length, progress):
        self.stream = stream
        self.left = length
        self.progress = progress
        self.buf = bytearray(CHUNK)
        self.mv = memoryview(self.buf)
        self.start = self.end = 0

    async def fill(self):
        if self.left <= 0:
            raise Refused(400, "the bundle ends too early: is it cut short?")
        n = await _read(self.stream, self.mv[:min(CHUNK, self.left)])
        if not n:
            raise Refused(400, "the upload was cut off with %d bytes still to come" % self.left)
        self.left -= n
        self.start, self.end = 0, n
        self.progress()

    async def readline(self):
        """One line without its newline, as str (at most MAX_LINE bytes)."""
        line = b""
        while True:
            if self.start == self.end:
                await self.fill()
            i = self.buf.find(b"\n", self.start, self.end)
            stop = self.end if i < 0 else i
            line += self.buf[self.start:stop]
            self.start = stop if i < 0 else i + 1
            if len(line) > MAX_LINE:
                raise Refused(400, "not a digimon app bundle (a MANIFEST line is too long)")
            if i >= 0:
                return line.decode()

    async def copy(self, size, out, digest):
        """The next `size` bytes into file `out` and the hash `digest`."""
        while size:
            if self.start == self.end:
                await self.fill()
            n = min(size, self.end - self.start)
            piece = self.mv[self.start:self.start + n]
            out.write(piece)
            digest.update(piece)
            self.start += n
            size -= n


def _hex(digest):
    return binascii.hexlify(digest.digest()).decode()


def _entry(line):
    """(sha256, size, path) of a MANIFEST file line; Refused when it is not one."""
    parts = line.split(" ")
    if len(parts) == 3 and len(parts[0]) == 64 and parts[1].isdigit():
        path = parts[2]
        if path and all(c in SAFE for c in path) and ".." not in path \
                and not path.startswith("/") and path != "MANIFEST":
            return parts[0], int(parts[1]), path
    raise Refused(400, "bad MANIFEST line: %r" % line[:80])


def remove_tree(path):
    """Remove a folder and everything in it (no error when it is not there)."""
    try:
        entries = list(os.ilistdir(path))
    except OSError:
        return
    for entry in entries:
        child = path + "/" + entry[0]
        if entry[1] == 0x4000:
            remove_tree(child)
        else:
            os.remove(child)
    os.rmdir(path)


def _blocks(size, block):
    return max(1, (size + block - 1) // block) * block


async def _receive(body, folder, space):
    """Read MANIFEST into folder, check it and the room needed, then every file.
    Returns the bundle's version."""
    free, block = space
    try:
        head = await body.readline()
    except Refused:  # no line at all
        head = None
    if head != HEAD.decode():
        raise Refused(400, "not a digimon app bundle (it does not start with %r)"
                      % HEAD.decode())
    version = (await body.readline()).partition("version ")[2]
    if not version:
        raise Refused(400, "not a digimon app bundle (no version line)")
    makedirs(folder)
    count = total = 0
    need = 2 * block
    with open(folder + "/MANIFEST", "w") as manifest:
        manifest.write("%s\nversion %s\n" % (HEAD.decode(), version))
        while True:
            line = await body.readline()
            manifest.write(line + "\n")
            if line.startswith("end "):
                break
            _, size, _ = _entry(line)
            count += 1
            total += size
            need += _blocks(size, block)
            if count > MAX_FILES:
                raise Refused(400, "more than %d files in the bundle" % MAX_FILES)
    if line != "end %d %d" % (count, total):
        raise Refused(400, "the MANIFEST lists %d files of %d bytes, but says %r"
                      % (count, total, line))
    if body.left + body.end - body.start != total:
        raise Refused(400, "the bundle has %d bytes of files, its MANIFEST lists %d: "
                      "cut short or damaged" % (body.left + body.end - body.start, total))
    if need > free - RESERVE:
        raise Refused(507, "the bundle needs %d KB of flash, %d KB are free"
                      % (need // 1024, max(0, free - RESERVE) // 1024))
    with open(folder + "/MANIFEST") as manifest:
        manifest.readline()
        manifest.readline()
        for _ in range(count):
            digest, size, path = _entry(manifest.readline().rstrip("\n"))
            target = folder + "/" + path
            makedirs(target.rpartition("/")[0])
            h = hashlib.sha256()
            with open(target, "wb") as out:
                await body.copy(size, out, h)
            if _hex(h) != digest:
                raise Refused(400, "%s: its sha256 does not match the MANIFEST" % path)
    return version


async def install_app(state, request, progress):
    """POST /update: the bundle in the body -> the other slot -> restart into it."""
    board = state.board
    root = slots.root(board)
    running = slots.running()
    if root is None or running is None:
        return 501, "this device does not run from an app slot in flash: nothing to update"
    if slots.read(root).get("good") is not None:
        return 409, "the running version is still on trial: try again in %d s" % (
            CONFIRM_MS // 1000)
    if not request.content_length:
        return 411, "send the bundle as the request body, with a Content-Length"
    target = slots.other(running)
    folder = slots.folder(root, target)
    remove_tree(folder)  # what an earlier version left there
    space = board.flash_space()
    if request.content_length > space[0] - RESERVE:
        return 507, "the bundle is %d KB, the flash has %d KB free" % (
            request.content_length // 1024, max(0, space[0] - RESERVE) // 1024)
    try:
        version = await _receive(Body(request.stream, request.content_length, progress),
                                 folder, space)
    except Refused as e:
        remove_tree(folder)
        return e.args
    except OSError as e:
        remove_tree(folder)
        return 507, "writing to flash failed (%s): is it full?" % e
    slots.switch(root, target, running)
    state.restart("update: version %s is in slot %s" % (version, target))
    return 200, version


async def install_firmware(state, request, progress):
    """POST /update/firmware: a MicroPython image into the next OTA partition."""
    part = state.board.firmware_partition()
    if part is None:
        return 501, "this board has no OTA partition for a MicroPython image: " \
                    "upload an app bundle to /update"
    size = request.content_length
    capacity = part.info()[3]
    if not size or size > capacity:
        return 413, "the image is %d bytes, the partition holds %d" % (size, capacity)
    block = bytearray(4096)
    mv = memoryview(block)
    n = 0
    while size:
        want = min(4096, size)
        filled = 0
        while filled < want:
            got = await _read(request.stream, mv[filled:want])
            if not got:
                return 400, "the upload was cut off with %d bytes still to come" % size
            filled += got
        progress()
        if n == 0 and block[0] != FIRMWARE_MAGIC:
            return 400, "not an ESP32 firmware image (it does not start with 0xE9)"
        for i in range(want, 4096):
            block[i] = 0xFF  # the rest of the last block, as erased flash
        part.writeblocks(n, block)
        size -= want
        n += 1
    try:
        part.set_boot()  # checks the image: a damaged one is refused here
    except OSError as e:
        return 400, "the image did not verify: %s" % e
    state.restart("update: a new MicroPython image")
    return 200, "firmware"
