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

import hashlib
import json
import os

from micropython import const

from firmware.core import cold

_NAME = const("/config.json")
_NEW = const("/config.new")
_BAK = const("/config.bak")
_WIPED = const("/config.wiped")


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
    new = _read(folder + _NEW)
    if new is None:
        return
    if _whole(new):
        if _read(folder + _NAME) != new:
            _write(folder + _NAME, new)
            log("config: finished a save cut short by a power cut")
    else:
        log("config: dropped a save cut short by a power cut")
    _remove(folder + _NEW)


def save(folder, text):
    """Replace folder/config.json with text, safe against power cuts. OSError on failure."""
    old = _read(folder + _NAME)
    _write(folder + _NEW, text)
    if old is not None and old != text:
        _write(folder + _BAK, old)
    _write(folder + _NAME, text)
    _remove(folder + _NEW)


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
    """(text, where, problem) of the config.json to use: the first one, SD card first,
    that is a JSON object. problem says why a file before it was passed over (not
    valid JSON), else None; (None, None, problem) when there is no usable one. A
    config read from the SD card is copied to flash when the copy differs; a broken
    file is never written over."""
    found = folders(board)
    for folder, _where in found:
        recover(folder, log)
    problem = None
    for folder, where in found:
        text = _read(folder + _NAME)
        if text is None:
            continue
        if not _whole(text):
            problem = problem or "config.json on the %s is not valid JSON (%s)" % (
                where, cold.load("firmware.core.jsonerror").json_error(text))
            continue
        flash = board.flash_path()
        if folder != flash and flash is not None and _read(flash + _NAME) != text:
            try:
                save(flash, text)
            except OSError as e:
                log("config: cannot copy config.json to flash: %s" % e)
        return text, where, problem
    return None, None, problem


def digest(text):
    """What tells one config.json from another, without keeping its text."""
    return None if text is None else hashlib.sha256(text).digest()


def start(state):
    """At start-up: config.json (SD card, else the flash copy) -> state.cfg, its
    errors (also in the event log), where it came from, its digest and the login."""
    config = cold.load("firmware.core.config")
    text, state.config_where, problem = load(state.board, state.log)
    state.config_sum = digest(text)
    errors = [problem] if problem else []
    if text is None:
        state.cfg = config.defaults()
        if problem is None:
            state.events.add("config", "no config.json: first setup")
        else:
            errors[0] += ": first setup"
    else:
        state.cfg, more = config.parse(text)
        if problem:
            errors[0] += ": using the last good copy in flash"
        errors += ["config.json (%s): %s" % (state.config_where, e) for e in more]
    for e in errors:
        state.events.add("config", e)
    state.config_errors = errors
    state.login = config.login(state.cfg)  # (user, password) or None: web.auth checks it


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
        text = _read(folder + _NAME)
        if text is not None:
            _write(folder + _WIPED, text)
            _remove(folder + _NAME)
        _remove(folder + _NEW)


async def wipe_now(state):
    """BOOT held 20 s: forget the WiFi and the login, say "bye", restart."""
    state.events.add("wipe", "BOOT held: config.json moved to config.wiped")
    wipe(state.board)
    await state.led.say("bye")
    state.board.reset()
