"""The SD card coming and going: the history and the event log go to a card once it
is there (at start-up or later), a card that went missing or fails is mounted again,
one that brings another config.json restarts the device, and a full one is used again
once it has room. Loaded when the card is found or in trouble (core.cold)."""

import asyncio
import os

from micropython import const

from firmware.core import cold
from firmware.history.store import HistoryStore

_ROOM = const(64 * 1024)  # free bytes on a full card that count as room again


def attach(state, sd):
    """The SD card is there: history and events go to it; this month's peak is read
    back from its files."""
    state.events.attach(sd)
    store = HistoryStore(sd, state.log)
    pending = cold.load("firmware.history.recover").recover(store)
    state.store = store
    state.recorder.attach(store, pending)
    state.peaks.attach(store)
    asyncio.create_task(state.peaks.rebuild())


def check(state):
    """The card is missing, failing or full: try it again."""
    board = state.board
    events = state.events
    store = state.store
    if store is not None and store.full:
        full(state, store, board.sd_path())
        return
    sd = board.sd_retry()
    if sd is None:
        if events.folder is not None:
            events.detach()
            events.add("sd", "SD card lost: " + str(state.sd_trouble()))
        return
    if state.store is None:
        events.add("sd", "SD card found")
        attach(state, sd)
    else:
        state.store.error = None  # mounted again: the next write tells (no remount loop)
        if events.folder is None:
            events.attach(sd)
            events.add("sd", "SD card back")
    configfile = cold.load("firmware.device.configfile")
    if configfile.digest(configfile.load(board, state.log)[0]) != state.config_sum:
        state.restart("the SD card has another config.json")


def full(state, store, sd):
    """A full card is not lost: say so once, and write to it again once it has room (a
    card freed on a computer; the event log waits in RAM meanwhile)."""
    try:
        st = os.statvfs(sd)
        room = st[0] * st[3]
        enough = min(_ROOM, st[0] * st[2] // 8)  # (an eighth of a small card will do)
    except (OSError, TypeError):
        room = enough = 0
    if room >= enough > 0:
        store.full = store.error = None
        if state.events.folder is None:
            state.events.attach(sd)
        state.events.add("sd", "the SD card has room again (%d KB): history goes on"
                         % (room // 1024))
    elif store.full is True:
        store.full = "said"
        state.events.add("sd", "the SD card is full: live data goes on, history is not kept "
                               "until there is room (%d KB free)" % (room // 1024))
