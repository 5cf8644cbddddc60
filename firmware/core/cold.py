"""Modules used now and then: imported for a job and not kept.

A module's code and constants take heap for as long as the module is imported. For
start-up work and rare requests, load() imports a module and lets sys.modules and its
package forget it at once (and a package that was imported only for it): its code
stays in the heap only while the caller holds something from it, then the collector
takes it back.
"""

import sys


def load(name):
    """Import module `name` (a dotted path) without keeping it imported."""
    parts = name.split(".")
    new = [n for n in (".".join(parts[:i]) for i in range(1, len(parts)))
           if n not in sys.modules]  # packages this import brings in
    mod = __import__(name, None, None, ("_",))
    forget(name)
    for n in reversed(new):
        forget(n)
    return mod


def forget(name):
    """Drop module `name` from sys.modules and from its package."""
    sys.modules.pop(name, None)
    parent, _, leaf = name.rpartition(".")
    pkg = sys.modules.get(parent)
    if pkg is not None and leaf in pkg.__dict__:
        delattr(pkg, leaf)
