"""The /about body: version, board, meter, counters, memory, SD card and history,
and what the device is doing in words. Loaded per request (core.cold)."""

from firmware.core import cold

STALE_MS = 30000  # no telegram for this long: say so


def status_words(state):
    """What the device is doing, in words, for /about."""
    p1 = state.p1
    age = p1.age_ms()
    if p1.error:
        words = "cannot open the P1 port: " + p1.error
    elif age is None:
        words = "waiting for the first telegram"
    elif age > STALE_MS:
        words = "no telegram for %d s: check the cable and that the P1 port is opened" % (age // 1000)
    else:
        words = "running"
    if state.board.sd_path() is None:
        words += "; no SD card: history is not kept"
    return words


def body(state, app):
    """The /about JSON object."""
    homewizard = cold.load("firmware.homewizard")  # not kept: see core.cold
    reader = state.p1
    r = reader.reading
    memory = state.board.memory()
    memory["heap_min_free"] = state.heap_low
    have = reader.last_ms is not None
    return {
        "version": state.version,
        "board": state.board.name,
        "uptime_s": state.uptime_s(),
        "status": status_words(state),
        "meter": {
            "id": r.text_of("unique_id") if have and r.has("unique_id") else None,
            "model": homewizard.meter_model(r) if have else None,
            "smr_version": homewizard.smr_version(r) if have else None,
            "crc": r.crc if have else None,
        },
        "p1": reader.counters(),
        "last_telegram_ms_ago": reader.age_ms(),
        "memory": memory,
        "sd": {"present": state.board.sd_path() is not None, "error": state.board.sd_error},
        "history": None if state.store is None else {
            "writes": state.store.writes, "errors": state.store.errors,
            "error": state.store.error, "peak_rebuilt": state.peaks.rebuilt},
        "http": {"refused": app.refused},
        "config_errors": state.config_errors,
    }
