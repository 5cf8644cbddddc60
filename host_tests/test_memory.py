"""The memory budgets of the board stand-in (tools/digimon/memory.py says why these
numbers): the 32-bit MicroPython 1.28 at 112k, the board's heap."""

import pytest

from digimon import memory, runtime

needs_32 = pytest.mark.skipif(not runtime.MP32.exists(),
                              reason="no 32-bit MicroPython (make mp32 needs ../shared)")


@pytest.fixture(scope="module")
def measured():
    return memory.measure(rt="32")


@needs_32
def test_startup_heap_fits_the_budget(measured):
    assert measured["heap_total"] < 113 * 1024  # really the board's heap
    assert measured["heap_used"] <= memory.STARTUP_MAX, measured


@needs_32
def test_interned_names_stay_below_the_next_pool(measured):
    q = measured["qstrs"]
    assert q["startup"]["count"] < q["all"]["count"] <= memory.QSTR_MAX, q
    assert q["all"]["pools"] == q["startup"]["pools"]  # no new pool for what loads later
    assert measured["modules"] > 40  # every module was loaded
