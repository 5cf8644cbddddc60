"""The device's own life: WiFi and the setup access point (wifi, captive), the status
LED (led), the BOOT button (button), the once-a-second checks (health), the event log
(events), config.json on the SD card and in flash (configfile) and its save from the
setup page (setupsave)."""

RESTART_MS = 2000  # after a change that needs a restart: time for the answer to go out
