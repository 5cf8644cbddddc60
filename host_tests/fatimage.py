"""FAT images that stand for the SD card (the unix board mounts one given as --sd with
the VfsFat the board uses), made and read with MicroPython's own VfsFat."""

import base64
import json
import subprocess
from pathlib import Path

from digimon import runtime

ROOT = Path(__file__).resolve().parents[1]
_SCRIPT = """
import json, os, sys, vfs, binascii
from firmware.board.unixcard import ImageFile
op, path = sys.argv[1], sys.argv[2]
if op == "make":
    with open(path, "wb") as f:
        block = bytes(512)
        for _ in range(int(sys.argv[3])):
            f.write(block)
    dev = ImageFile(path)
    vfs.VfsFat.mkfs(dev)
vfs.mount(vfs.VfsFat(ImageFile(path)), "/img")
if op == "make":
    for name, data in json.loads(sys.stdin.read()).items():
        with open("/img/" + name, "wb") as f:
            f.write(binascii.a2b_base64(data))
elif op == "read":  # a line per file, [path, base64]: a month of files is many
    def walk(d):
        for e in os.ilistdir(d):
            p = d + "/" + e[0]
            if e[1] == 0x4000:
                walk(p)
            else:
                with open(p, "rb") as f:
                    print(json.dumps([p[5:], binascii.b2a_base64(f.read()).decode().strip()]))
    walk("/img")
elif op == "remove":
    for name in json.loads(sys.stdin.read()):
        os.remove("/img/" + name)
elif op == "free":
    st = os.statvfs("/img")
    print(st[0] * st[3])
vfs.umount("/img")
"""


def _run(op, path, *args, data=None):
    out = subprocess.run([runtime.micropython(), "-X", "heapsize=4m", "-c", _SCRIPT, op,
                          str(path), *args], input=data, cwd=ROOT, capture_output=True,
                         text=True, env={"MICROPYPATH": ".frozen:" + str(ROOT)}, timeout=600)
    if out.returncode:
        raise RuntimeError("fatimage %s failed:\n%s%s" % (op, out.stdout, out.stderr))
    return out.stdout


def make(path, sectors, files=None):
    """A FAT image of `sectors` 512-byte sectors with {name: bytes} in its root."""
    files = {k: base64.b64encode(v).decode() for k, v in (files or {}).items()}
    _run("make", path, str(sectors), data=json.dumps(files))
    return Path(path)


def read(path):
    """{path inside the image: bytes} of every file."""
    return {k: base64.b64decode(v) for k, v in map(json.loads, _run("read", path).split("\n")[:-1])}


def remove(path, names):
    _run("remove", path, data=json.dumps(list(names)))


def free(path):
    """Free bytes on the image."""
    return int(_run("free", path))
