"""config.json on the SD card, with a copy in flash: find, save without tearing, wipe.

The SD card's config.json is the one people edit on a computer, so it wins. The board
keeps a copy of the last one it read in flash, so it still joins the WiFi (and serves
live data) when the card is missing.

A save must never leave a torn file, and FAT has no atomic rename (see history.py), so
nothing is renamed: the new text goes to config.new first, then config.json is written
in place, then config.new is removed. A power cut while config.json is written leaves
config.new whole, and recover() finishes the save at the next start; a cut while
config.new is written leaves config.json untouched, and recover() drops the torn
config.new. The text it replaces is kept in config.bak.
"""

import json
import os

NAME = "/config.json"
NEW = "/config.new"
BAK = "/config.bak"
WIPED = "/config.wiped"


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _remove(path):
    try:
        os.remove(path)
        return True
    except OSError:
        return False


def _whole(text):
    """True when text is a JSON object (a save that got to its end)."""
    try:
        return isinstance(json.loads(text), dict)
    except (TypeError, ValueError):
        return False


def recover(folder, log=print):
    """Finish or drop a save that a power cut interrupted."""
    new = _read(folder + NEW)
    if new is None:
        return
    if _whole(new):
        if _read(folder + NAME) != new:
            _write(folder + NAME, new)
            log("config: finished a save cut short by a power cut")
    else:
        log("config: dropped a save cut short by a power cut")
    _remove(folder + NEW)


def save(folder, text):
    """Replace folder/config.json with text, safe against power cuts. OSError on failure."""
    old = _read(folder + NAME)
    _write(folder + NEW, text)
    if old is not None and old != text:
        _write(folder + BAK, old)
    _write(folder + NAME, text)
    _remove(folder + NEW)


def folders(board):
    """Where config.json may be, the SD card first: [(folder, where), ...]."""
    out = []
    sd = board.sd_path()
    if sd is not None:
        out.append((sd, "SD card"))
    flash = board.flash_path()
    if flash is not None:
        out.append((flash, "flash"))
    return out


def load(board, log=print):
    """(text, where) of the config.json in use, or (None, None) when there is none.
    A config read from the SD card is copied to flash when the copy differs."""
    found = folders(board)
    for folder, _where in found:
        recover(folder, log)
    for folder, where in found:
        text = _read(folder + NAME)
        if text is None:
            continue
        flash = board.flash_path()
        if folder != flash and flash is not None and _whole(text) \
                and _read(flash + NAME) != text:
            try:
                save(flash, text)
            except OSError as e:
                log("config: cannot copy config.json to flash: %s" % e)
        return text, where
    return None, None


def save_everywhere(board, text):
    """Save to the SD card (when there is one) and to flash; the places written."""
    done = []
    for folder, where in folders(board):
        save(folder, text)
        done.append(where)
    if not done:
        raise OSError("no SD card and no flash to save config.json to")
    return done


def wipe(board):
    """BOOT held: forget the WiFi and the login. config.json is moved aside to
    config.wiped (kept, not deleted), so the device starts in first setup."""
    for folder, _where in folders(board):
        text = _read(folder + NAME)
        if text is not None:
            _write(folder + WIPED, text)
            _remove(folder + NAME)
        _remove(folder + NEW)
