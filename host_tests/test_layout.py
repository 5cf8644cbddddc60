"""The firmware's layout: what may import what (firmware/__init__.py states the rules).

Every import of every firmware module is read with ast: import statements anywhere in
a module (also inside functions), and the modules loaded per request by name
(core.cold.load("firmware....") and __import__). A forbidden arrow fails the test.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
SERVICES = ("p1", "history", "device", "update", "integrations", "files", "version")


def module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name):
    """True when firmware name is a module or package of the tree."""
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def imports(source):
    """The firmware modules a module's source imports: [(line, module name)]."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:  # "from firmware.device import button" is a module
                sub = node.module + "." + a.name
                found.append((node.lineno, sub if is_module(sub) else node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("load", "__import__"):
                found.append((node.lineno, node.args[0].value))
    return [(line, n) for line, n in found if n == "firmware" or n.startswith("firmware.")]


def layer(name):
    """core, board, app, web, service or package (firmware itself)."""
    parts = name.split(".")
    if len(parts) == 1:
        return "package"
    top = parts[1]
    if top == "startup":  # the composition root's start-up steps, loaded once
        return "app"
    if top in ("core", "board", "app", "web"):
        return top
    if top in SERVICES:
        return "service"
    raise AssertionError("%s is in no layer: add its folder to firmware/__init__.py's rules"
                         % name)


def forbidden(src_layer, dst_layer):
    """Why an import from one layer to another is not allowed, or None."""
    if dst_layer == "package" or src_layer == "app":
        return None
    if src_layer == "core" and dst_layer != "core":
        return "core imports nothing of the firmware but core"
    if src_layer == "board" and dst_layer not in ("core", "board"):
        return "board imports only core"
    if dst_layer == "app":
        return "only main.py starts firmware.app"
    if dst_layer == "board" and src_layer != "board":
        return "services and web get the board object from app, they never import board"
    if dst_layer == "web" and src_layer != "web":
        return "no service imports web"
    return None


def violations(path, source):
    src = module_name(path)
    out = []
    for line, dst in imports(source):
        assert is_module(dst), "%s:%d imports %s, which does not exist" % (path, line, dst)
        why = forbidden(layer(src), layer(dst))
        if why:
            out.append("%s:%d %s -> %s: %s" % (path.relative_to(ROOT), line, src, dst, why))
    return out


def firmware_files():
    return sorted(FIRMWARE.rglob("*.py"))


def test_no_forbidden_import():
    bad = []
    for path in firmware_files():
        bad += violations(path, path.read_text())
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("where, source", [
    ("core/clock.py", "from firmware.history import store"),
    ("core/clock.py", "import firmware.device.events"),
    ("board/unix.py", "from firmware.files import exists"),
    ("history/peaks.py", "from firmware.app import RESTART_MS"),
    ("history/peaks.py", "def f():\n    from firmware.web import server"),
    ("device/wifi.py", "x = cold.load('firmware.web.about')"),
    ("device/wifi.py", "from firmware.board import unix"),
    ("web/routes.py", "from firmware import app"),
])
def test_forbidden_arrows_are_caught(where, source):
    assert violations(FIRMWARE / where, source)


def test_allowed_arrows_pass():
    assert not violations(FIRMWARE / "web/about.py", "from firmware.device.wifi import AP_SSID")
    assert not violations(FIRMWARE / "app.py", "from firmware.web import routes")
    assert not violations(FIRMWARE / "history/peaks.py",
                          "x = cold.load('firmware.history.answers')")


def test_routes_are_in_web_and_hardware_in_board():
    """Each HTTP route is declared in firmware/web/, so the tree tells where it lives."""
    outside = []
    for path in firmware_files():
        if FIRMWARE / "web" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in node.decorator_list:
                    text = ast.unparse(d)
                    if text.startswith(("app.", "self.route", "server.")):
                        outside.append("%s: @%s" % (path.relative_to(ROOT), text))
    assert not outside, outside
