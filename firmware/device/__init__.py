"""The device's own life: WiFi and the setup access point (wifi, connect, captive), the
status LED (led), the once-a-second checks with the BOOT button (health), the event log
(events, eventfile), the SD card coming and going (card), config.json on the SD card
and in flash (configfile) and its save from the setup page (setupsave)."""

from micropython import const

RESTART_MS = const(2000)  # after a change that needs a restart: time for the answer to go out
CONFIRM_MS = const(30000)  # a new version that has run this long is kept (see boot.py)

