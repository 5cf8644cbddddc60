"""The /about body: version, board, runtime, meter, counters, memory, SD card and
history, update, and what the device is doing in words. Loaded per request
(core.cold)."""

import sys

from firmware.core import dsmr
from firmware.device.wifi import AP_SSID
from firmware.web.reply import allowed, json_obj


def status_words(state):
    """What the device is doing, in words, for /about (the LED says it in Morse)."""
    p1 = state.p1
    age = p1.age_ms()
    if p1.error:
        words = ["cannot open the P1 port: " + p1.error]
    elif state.p1_stale():
        silent_s = state.uptime_s() if age is None else age // 1000
        words = ["no telegram for %d s: check the cable and that the P1 port is opened"
                 % silent_s]
    elif age is None:
        words = ["waiting for the first telegram"]
    else:
        words = ["running"]
    wifi = state.wifi
    if wifi.mode == "setup":
        words.append("setup mode: join the WiFi %s and open http://%s/setup" % (
            AP_SSID, wifi.ap))
    sd = state.sd_trouble()
    if sd:
        words.append("SD card: %s; history is not kept" % sd)
    return "; ".join(words)


def runtime():
    """The interpreter, e.g. "micropython 1.28.0 32-bit (linux)"."""
    impl = sys.implementation
    return "%s %s %s-bit (%s)" % (impl.name, ".".join(str(v) for v in impl.version[:3]),
                                  32 if sys.maxsize < 1 << 32 else 64, sys.platform)


def mqtt(m):
    """integrations.mqtt's session, for people."""
    return {"host": m.cfg["host"], "port": m.port, "tls": m.cfg["tls"],
            "connected": m.conn is not None, "error": m.error,
            "failures_since_start": m.errors, "messages_sent": m.writes,
            "last_tick_took_ms": m.took_ms, "quarters_waiting": len(m.quarters),
            "quarters_dropped": m.dropped}


async def handle(request, state, app):
    """GET /about: the JSON object."""
    refused = allowed(request, {"/about": "GET"})
    if refused:
        return refused
    reader = state.p1
    r = reader.reading
    memory = state.board.memory()
    memory["heap_min_free"] = state.heap_low
    memory["heap_min_at"] = state.heap_low_at
    memory["errors"] = state.memory_errors + app.memory_errors
    have = reader.last_ms is not None
    return json_obj({
        "version": state.version,
        "board": state.board.name,
        "serial": state.serial,
        "runtime": runtime(),
        "uptime_s": state.uptime_s(),
        "status": status_words(state),
        "meter": {
            "id": r.text_of("unique_id") if have and r.has("unique_id") else None,
            "model": dsmr.meter_model(r) if have else None,
            "smr_version": dsmr.smr_version(r) if have else None,
            "crc": r.crc if have else None,
        },
        "p1": reader.counters(),
        "last_telegram_ms_ago": reader.age_ms(),
        "memory": memory,
        "sd": {"present": state.store is not None, "error": state.sd_trouble()},
        "history": None if state.store is None else {
            "writes": state.store.writes, "errors": state.store.errors,
            "error": state.store.error, "peak_rebuilt": state.peaks.rebuilt},
        "http": {"refused": app.refused, "low_memory": app.low_memory,
                 "memory_errors": app.memory_errors, "cut_off": app.cut_off},
        "config_errors": state.config_errors,
        "config": state.config_where,
        "wifi": {"mode": state.wifi.mode, "ssid": state.cfg["wifi"]["ssid"], "ip": state.wifi.ip,
                 "access_point": state.wifi.ap, "clock_set": state.wifi.clock_set},
        "led": state.led_code() or "blink per telegram",
        "reset_cause": state.board.reset_cause(),
        "update": state.update,
        "mqtt": None if state.mqtt is None else mqtt(state.mqtt),
    })
