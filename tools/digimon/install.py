"""Put a built flash tree onto a flash: which files to copy and remove, and doing it
for a folder that stands for the flash (digimon run). digimon deploy does the same
to a board over mpremote.

Only boot.py, main.py and app/ are the tree's: config.json's copy and anything else
on the flash is never touched. After an install slot a runs: app/state.json and the
other slot (app/b, from an update) are removed.
"""

import shutil
from pathlib import Path

from digimon.build import sha256

OWNED = ("boot.py", "main.py")  # and everything under app/


def owned(path):
    return path in OWNED or path.startswith("app/")


def tree_hashes(fs):
    """{relative path: sha256} of every file of the built tree."""
    fs = Path(fs)
    return {str(f.relative_to(fs)): sha256(f) for f in sorted(fs.rglob("*")) if f.is_file()}


def plan(local, target):
    """(copy, remove): the tree's files whose sha256 differs on the flash, and the
    flash's files of the app that the tree does not have. local and target are
    {path: sha256}; target may hold other files (they are left alone)."""
    copy = sorted(p for p, h in local.items() if target.get(p) != h)
    remove = sorted(p for p in target if p not in local and owned(p))
    return copy, remove


def install_dir(fs, flash):
    """Install tree `fs` into folder `flash`; returns (copied, removed)."""
    fs, flash = Path(fs), Path(flash)
    flash.mkdir(parents=True, exist_ok=True)
    target = {p: h for p, h in tree_hashes(flash).items() if owned(p)}
    copy, remove = plan(tree_hashes(fs), target)
    for path in copy:
        (flash / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fs / path, flash / path)
    for path in remove:
        (flash / path).unlink()
    for folder in sorted((flash / "app").rglob("*"), reverse=True):  # deepest first
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return copy, remove
