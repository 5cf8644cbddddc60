"""The host tests: pytest, and the harness `digimon bench` shares (device, budget)."""

import sys

if sys.implementation.name != "micropython":  # (the core tests run there too)
    import types

    # The firmware's modules use MicroPython's const(); under CPython it is the value.
    sys.modules.setdefault("micropython", types.SimpleNamespace(const=lambda value: value))
