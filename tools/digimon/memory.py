"""The firmware's memory on the board stand-in: the heap after start-up and the names
MicroPython interns (qstrs), measured by tools/bench_heap.py on the 32-bit interpreter,
with the budgets they must keep to (host_tests/test_memory.py checks them).

Budgets, for the 32-bit MicroPython 1.28 at the board's 112k heap (DESIGN §5), with the
SD card a FAT image mounted with VfsFat as on the board (its 4 KB sector window alone
is 4.6 KB of heap):
- STARTUP_MAX: the heap in use after start-up. At run time the rest is a few KB more
  (tasks, names of what was loaded per request), and the largest request needs up to
  10 KB on top: 112 KB less all that must leave 8 KB free (host_tests/test_budget.py
  runs it).
- QSTR_MAX: interned names once every module has been loaded. MicroPython keeps them in
  pools that double; on this build the pool after 1248 names is a block of 9 KB taken at
  once, which the heap cannot spare: stay well below it.
"""

import json
import re
import subprocess

from digimon import runtime
from digimon.build import SLOT, build

STARTUP_MAX = 93 * 1024
QSTR_MAX = 1200
_QSTR = re.compile(r"(\w+) qstr pool: n_pool=(\d+), n_qstr=(\d+), n_str_data_bytes=(\d+), "
                   r"n_total_bytes=(\d+)")


def measure(heap=None, rt=None, fs=None):
    """Run tools/bench_heap.py on the built tree: {"heap_used", "heap_free", ...,
    "qstrs": {"startup": {...}, "all": {...}}}."""
    fs = fs or build()
    out = subprocess.run(
        [runtime.micropython(rt), "-X", "heapsize=" + (heap or runtime.heap(rt)),
         str(runtime.ROOT / "tools" / "bench_heap.py")],
        cwd=fs / SLOT, env={"MICROPYPATH": ".frozen"}, capture_output=True, text=True,
        timeout=120)
    if out.returncode:
        raise RuntimeError("bench_heap.py failed:\n%s%s" % (out.stdout, out.stderr))
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["qstrs"] = {m.group(1): {"pools": int(m.group(2)), "count": int(m.group(3)),
                                 "chars": int(m.group(4)), "bytes": int(m.group(5))}
                    for m in _QSTR.finditer(out.stdout)}
    return res


def _top_level_imports(path):
    """The modules a source file imports when it is imported (not those its functions
    import later): names as written, and for `from a import b` also a.b."""
    import ast

    found = []
    todo = list(ast.parse(path.read_text()).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [node.module + "." + a.name for a in node.names]
        elif isinstance(node, (ast.If, ast.Try)):
            todo += node.body + node.orelse + getattr(node, "handlers", []) \
                + getattr(node, "finalbody", [])
        elif isinstance(node, ast.ExceptHandler):
            todo += node.body
    return found


def _source(name):
    base = runtime.ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def import_order(names):
    """`names` ordered so that each module comes after its packages and the modules it
    imports at module level (those among `names`)."""
    names = set(names)
    order = []

    def visit(name, path=()):
        if name in order or name in path:
            return
        parts = name.split(".")
        deps = [".".join(parts[:i]) for i in range(1, len(parts))]
        src = _source(name) if name.startswith("firmware") else None
        deps += _top_level_imports(src) if src else []
        for dep in deps:
            if dep in names:
                visit(dep, path + (name,))
        order.append(name)

    for name in sorted(names):
        visit(name)
    return order


def module_table(fs=None, rt=None):
    """Per module, the heap it takes once imported on the 32-bit interpreter: the
    resident ones (imported at start-up and kept: [name, bytes, what else it brought])
    and those loaded per use ([name, bytes], while a request holds it)."""
    fs = fs or build()
    resident = import_order(n for n in measure(rt=rt, fs=fs)["resident"] if n != "__main__")
    per_use = sorted(
        name for name in (module_name(p) for p in (runtime.ROOT / "firmware").rglob("*.py"))
        if name not in resident and "esp32" not in name and not name.endswith(".pins"))
    out = subprocess.run(
        [runtime.micropython(rt), "-X", "heapsize=1024k",
         str(runtime.ROOT / "tools" / "bench_modules.py"), *resident, "--", *per_use],
        cwd=fs / SLOT, env={"MICROPYPATH": ".frozen"}, capture_output=True, text=True,
        timeout=120)
    if out.returncode:
        raise RuntimeError("bench_modules.py failed:\n%s%s" % (out.stdout, out.stderr))
    return json.loads(out.stdout.strip().splitlines()[-1])


def module_name(path):
    rel = path.relative_to(runtime.ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)
