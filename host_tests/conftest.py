"""Shared fixtures."""

import sys
import types

import pytest

# The firmware's modules use MicroPython's const(); under CPython it is the value itself.
sys.modules.setdefault("micropython", types.SimpleNamespace(const=lambda value: value))

from host_tests.device import Device  # noqa: E402


@pytest.fixture
def device(tmp_path):
    """device(**options) starts a simulated meter and the firmware; stopped afterwards."""
    made = []

    def make(**kw):
        d = Device(tmp_path / ("dev%d" % len(made)), **kw)
        made.append(d)
        return d

    yield make
    for d in made:
        d.stop()
