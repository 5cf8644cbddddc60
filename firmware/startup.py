"""The device's start, loaded once for it (core.cold) so that its code leaves the heap:
build() makes the services of the running device (firmware.app.State), start() starts
their tasks and then the web server, when it fits. The services' modules are imported
here at the call, not when this module loads: they stay imported (core.cold forgets
only what a module's own import brings)."""

import asyncio
import gc
import time

from micropython import const

from firmware.core import cold
from firmware.version import VERSION

# heap the web server takes (34 KB on the 32-bit port: microdot and the server 27, the
# routes 5, the per-use modules' names 2) and the least a request is served with
# (web.server.MIN_FREE): with less free it does not start (the P1 reader and the history
# go on without it)
_WEB_NEEDS = const(40 * 1024)


def build(state, board):
    """The services, in this order: their big buffers first, in a heap in one piece."""
    from firmware.app import log
    from firmware.device.events import EventLog
    from firmware.device.led import StatusLed
    from firmware.device.wifi import Wifi
    from firmware.history.peaks import PeakTracker
    from firmware.history.recorder import Recorder
    from firmware.history.store import HistoryStore  # noqa: F401  (kept: device.card makes one)
    from firmware.p1.reader import P1Reader

    state.board = board
    state.version = VERSION
    state.log = log
    state.started_ms = time.ticks_ms()
    state.memory_errors_web = 0  # tries to start the web server that found no heap
    state.health_memory_errors = 0  # once-a-second checks that found no heap
    state.events = EventLog(state.uptime_s, log)
    state.events.add("boot", "digimon %s on %s: %s" % (VERSION, board.name,
                                                        board.reset_cause()))
    # cfg, config_errors, config_where, config_sum and login, from config.json
    cold.load("firmware.device.configfile").start(state)
    if state.cfg["p1"]["baud"]:  # an override: else the board's default, or what the
        board.set_p1_baud(state.cfg["p1"]["baud"])  # P1 reader learns from the line
    state.serial = board.unique_id()
    state.p1 = P1Reader(board, log)
    state.store = None
    state.recorder = Recorder(None, None, log)
    state.peaks = PeakTracker(None, state.recorder)
    state.recorder.on_quarter = state.peaks.on_quarter
    state.p1.listeners.append(state.recorder.on_reading)
    state.mqtt = None  # MQTT's session (integrations.mqtt) when config.json has a host
    if state.cfg["mqtt"]["host"]:
        state.mqtt = cold.load("firmware.integrations.mqttconnect").start(state)
    else:
        del state.cfg["mqtt"]  # off: its settings take no heap
    sd = board.sd_path()
    if sd is not None:
        cold.load("firmware.device.card").attach(state, sd)
    else:
        state.events.add("sd", "no SD card (%s): history is not kept" % board.sd_error)
    state.wifi = Wifi(board, state.cfg, state.events)
    state.led = StatusLed(board, state.led_code)
    state.p1.listeners.append(state.led.on_reading)
    state.writes_seen = 0
    state.p1.listeners.append(state.note_write)
    state.update = cold.load("firmware.update.slots").at_start(board, state.events)  # for /about
    gc.collect()
    state.heap_low = gc.mem_free()  # the least free heap seen, see note_heap()
    state.heap_low_at = "start-up"  # what was going on then


async def start(state, board):
    """The tasks, then the web server (retried every minute while it does not fit);
    (web server, host, port)."""
    from firmware.app import log

    asyncio.StreamReader, asyncio.Lock, asyncio.wait_for_ms  # noqa: B018  (asyncio loads
    gc.collect()  # these on first use: now, while there is heap, not in a task later)
    from firmware.device import health

    for job in (state.p1.run(), state.led.run(), state.wifi.run(), health.watch(state)):
        asyncio.create_task(job)
    gc.threshold(8192)  # collect often: garbage freed early leaves fewer holes
    host, port = getattr(board, "http", ("0.0.0.0", 80))
    while True:
        try:
            gc.collect()
            if gc.mem_free() < _WEB_NEEDS:  # a try that cannot succeed would leave holes
                raise MemoryError
            from firmware.web import server  # noqa: F401  (microdot, after the rest: the
            # routes' families import it per request, so it stays; routes only makes the app)
            web = cold.load("firmware.web.routes").create(state)
            break
        except MemoryError:
            cold.forget("firmware.web.server")
            state.memory_errors_web += 1
            if state.memory_errors_web == 1:
                state.events.add("memory", "no heap for the web server: the P1 reader and "
                                           "the history go on; trying again every minute")
            gc.collect()
            await asyncio.sleep_ms(60000)
    # every module loaded per use later, once now (not the boards' own, not the table
    # that dsmr read at import, not the update installer: it restarts the device)
    skip = ("firmware.board", "firmware.core.obis", "firmware.update.ota")
    if state.mqtt is None:  # MQTT off: none of its names
        skip += ("firmware.integrations.mqtt", "firmware.integrations.discovery")
    cold.warm_up("firmware", skip)
    log("digimon %s on %s: http://%s:%d/" % (VERSION, board.name, host, port))
    asyncio.create_task(web.watchdog())
    if state.mqtt is not None:  # its ticks and the requests take turns: one big job at a time
        state.one_at_a_time = web.one_at_a_time
        asyncio.create_task(state.mqtt.run(state))
    return web, host, port


