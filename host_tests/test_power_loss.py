"""Power cuts at every block write on a FAT SD card (see mp_power_loss.py)."""

import json
import subprocess
from pathlib import Path

from digimon import runtime

ROOT = Path(__file__).resolve().parents[1]


def test_no_power_cut_damages_a_file_or_loses_more_than_a_minute():
    mp = runtime.micropython()
    out = subprocess.run([mp, "-X", "heapsize=32m", "host_tests/mp_power_loss.py", "1"],
                         cwd=ROOT, env={"MICROPYPATH": ".frozen:."}, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["failed"] == 0, res["failures"]
    assert res["cuts"] == res["block_writes"] > 100  # every write was a cut point once
    assert res["half_written"] > 0  # cuts did leave half files, and recovery handled them
    assert res["worst_lost_s"] <= 60
