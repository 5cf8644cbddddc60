"""Modules used now and then: imported for a job and not kept.

A module's code and constants take heap for as long as the module is imported. For
start-up work and rare requests, load() imports a module and lets sys.modules and its
package forget it at once, with every module it imported that was not imported before:
its code stays in the heap only while the caller holds something from it, then the
collector takes it back. (Its names stay: MicroPython interns them for good.)
"""

import sys


def load(name):
    """Import module `name` (a dotted path) without keeping it, nor what it imports."""
    before = len(sys.modules)
    names = list(sys.modules) if before else ()
    mod = __import__(name, None, None, ("_",))
    if len(sys.modules) != before:
        new = [n for n in sys.modules if n not in names]
        new.sort(key=len, reverse=True)  # modules before their packages
        for n in new:
            forget(n)
    return mod


def forget(name):
    """Drop module `name` from sys.modules and from its package."""
    sys.modules.pop(name, None)
    parent, _, leaf = name.rpartition(".")
    pkg = sys.modules.get(parent)
    if pkg is not None and leaf in pkg.__dict__:
        delattr(pkg, leaf)


def warm_up(package="firmware", skip=()):
    """Load once each module of `package` (a folder in the working directory) that is
    not imported yet, except those whose names start with one of `skip`. MicroPython
    interns a module's names for good when it first loads it: doing it for all of them
    at start-up puts the names in the heap while it is still in one piece, not here and
    there in a fragmented heap later."""
    import gc
    import os

    for entry in os.ilistdir(package.replace(".", "/")):
        name = package + "." + entry[0].rpartition(".")[0]
        if entry[1] == 0x4000:
            warm_up(package + "." + entry[0], skip)
        elif entry[0].endswith((".mpy", ".py")) and name not in sys.modules \
                and not name.startswith(skip) and not name.endswith(".__init__"):
            try:
                load(name)
            except Exception:  # a module another board needs, or no memory for it
                pass
    gc.collect()
