"""The host tests: pytest, and the harness `digimon bench` shares (device, budget)."""

import sys

if sys.implementation.name != "micropython":  # (the core tests run there too)
    import types

    # The firmware's modules use MicroPython's const(); under CPython it is the value.
    sys.modules.setdefault("micropython", types.SimpleNamespace(const=lambda value: value))
    import os

    # ... and MicroPython's os.ilistdir(): (name, type, inode) per entry, one at a time
    if not hasattr(os, "ilistdir"):
        os.ilistdir = lambda path=".": ((e.name, 0x4000 if e.is_dir() else 0x8000, e.inode())
                                        for e in os.scandir(path))
