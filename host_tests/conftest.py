"""Shared fixtures: each makes things that run (a device, a fed firmware, a broker, a
subscriber) on demand, and stops them all afterwards."""

import pytest

from host_tests.device import Device


def started(make_one):
    """A fixture's body: make(*args, **kw) returns make_one(n, *args, **kw), the n-th of
    the test; every one is stopped when the test ends."""
    made = []

    def make(*args, **kw):
        made.append(make_one(len(made), *args, **kw))
        return made[-1]

    yield make
    for x in made:
        x.stop()


@pytest.fixture
def device(tmp_path):
    """device(**options) starts a simulated meter and the firmware."""
    yield from started(lambda n, **kw: Device(tmp_path / ("dev%d" % n), **kw))


@pytest.fixture
def fed(tmp_path):
    """fed(**options): the firmware fed chosen telegrams (host_tests.feeder)."""
    from host_tests.feeder import Fed

    yield from started(lambda n, **kw: Fed(tmp_path / ("fed%d" % n), **kw))


@pytest.fixture
def broker(tmp_path):
    """broker(**options): a mosquitto of the test's own (host_tests.mqtt_broker)."""
    from host_tests.mqtt_broker import Broker

    yield from started(lambda n, **kw: Broker(tmp_path / ("broker%d" % n), **kw))


@pytest.fixture
def subscriber():
    """subscriber(port, **options): a paho-mqtt client that keeps what it gets."""
    from host_tests.mqtt_broker import Subscriber

    yield from started(lambda n, port, **kw: Subscriber(port, **kw))
