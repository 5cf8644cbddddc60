"""Shared fixtures."""

import pytest

from host_tests.device import Device


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
