"""The core unit tests again, on the MicroPython unix port (the firmware's runtime)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["host_tests.core.test_dsmr_core", "host_tests.core.test_quarter_core",
           "host_tests.core.test_recorder", "host_tests.core.test_peak_core",
           "host_tests.core.test_config_core"]


def test_core_tests_pass_on_micropython():
    mp = str(Path(sys.executable).with_name("micropython"))
    out = subprocess.run([mp, "-X", "heapsize=1m", "host_tests/mp_run.py", *MODULES],
                         cwd=ROOT, env={"MICROPYPATH": ".frozen:."}, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " 0 failed" in out.stdout
