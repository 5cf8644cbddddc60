"""The core unit tests again, on the MicroPython unix port (the firmware's runtime): on
the 32-bit build where it is built, and on the 64-bit wheel."""

import subprocess
from pathlib import Path

import pytest

from digimon import runtime

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["host_tests.core.test_dsmr_core", "host_tests.core.test_quarter_core",
           "host_tests.core.test_recorder", "host_tests.core.test_peak_core",
           "host_tests.core.test_config_core", "host_tests.core.test_capacity_core"]
RUNTIMES = ["32", "64"] if runtime.MP32.exists() else ["64"]


@pytest.mark.parametrize("rt", RUNTIMES)
def test_core_tests_pass_on_micropython(rt):
    out = subprocess.run([runtime.micropython(rt), "-X", "heapsize=1m", "host_tests/mp_run.py",
                          *MODULES], cwd=ROOT, env={"MICROPYPATH": ".frozen:."},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " 0 failed" in out.stdout
