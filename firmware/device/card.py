"""The SD card coming and going: the history and the event log go to a card once it
is there (at start-up or later), a card that went missing or fails is mounted again,
and one that brings another config.json restarts the device. Loaded when the card is
found or in trouble (core.cold)."""

import asyncio

from firmware.core import cold
from firmware.history.store import HistoryStore


def attach(state, sd):
    """The SD card is there: history and events go to it; this month's peak is read
    back from its files."""
    state.events.attach(sd)
    store = HistoryStore(sd, state.log)
    pending = cold.load("firmware.history.scan").recover(store)
    state.store = store
    state.recorder.attach(store, pending)
    state.peaks.attach(store)
    asyncio.create_task(state.peaks.rebuild())


def check(state):
    """The card is missing or failing: try it again."""
    board = state.board
    events = state.events
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
