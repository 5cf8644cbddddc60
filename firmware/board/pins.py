"""Pin tables of the ESP32 boards, as data, and board auto-detection.

Pure: no hardware imports, so it also runs (and is tested) under CPython.

Keys of a row (GPIO numbers; None = not present):
    rx, tx        P1 UART (RX is the meter's data line, inverted in the UART)
    rts           P1 Data Request: driven high or released, never driven low
    led           status LED (active high)
    led_duty      None: plain on/off; else PWM duty_u16 used for "on" (dimmed)
    boot          BOOT button (active low, internal pull-up)
    sd_sck, sd_miso, sd_mosi, sd_cs, sd_freq
                  SD card over SPI (machine.SDCard slot 2)
    sd_power      GPIO driven high before the SD card is used (powers its rail)
"""

DEFAULT = "lilygo-t8-c3"

BOARDS = {
    # LilyGo T8-C3. GPIO9 is BOOT: it must never be RTS (the P1 port would
    # pull it low and the chip would boot into download mode).
    "lilygo-t8-c3": {
        "rx": 2, "tx": 0, "rts": 8, "led": 3, "led_duty": None, "boot": 9,
        "sd_sck": 4, "sd_miso": 5, "sd_mosi": 7, "sd_cs": 6,
        "sd_freq": 20_000_000, "sd_power": None,
    },
    # LilyGo T8-S2: GPIO14 high powers the SD card / 3V3 rail.
    "lilygo-t8-s2": {
        "rx": 18, "tx": 17, "rts": 19, "led": 36, "led_duty": None, "boot": 0,
        "sd_sck": 12, "sd_miso": 13, "sd_mosi": 11, "sd_cs": 10,
        "sd_freq": 20_000_000, "sd_power": 14,
    },
    # Wemos/Lolin S2 mini: builtin LED on GPIO15, SD on the default SPI pins.
    "lolin-s2-mini": {
        "rx": 38, "tx": 40, "rts": 36, "led": 15, "led_duty": None, "boot": 0,
        "sd_sck": 7, "sd_miso": 9, "sd_mosi": 11, "sd_cs": 12,
        "sd_freq": 18_000_000, "sd_power": None,
    },
    # Classic ESP32 dev board: UART2's usual pins, LED on GPIO2, SD on the
    # VSPI default pins.
    "generic": {
        "rx": 16, "tx": 17, "rts": 4, "led": 2, "led_duty": None, "boot": 0,
        "sd_sck": 18, "sd_miso": 19, "sd_mosi": 23, "sd_cs": 5,
        "sd_freq": 20_000_000, "sd_power": None,
    },
    # ESP32-S3 dev board (the classic row does not fit: there is no GPIO23
    # and GPIO19/20 are USB). SD on the FSPI IO_MUX pins; no plain LED.
    "generic-s3": {
        "rx": 5, "tx": 6, "rts": 7, "led": None, "led_duty": None, "boot": 0,
        "sd_sck": 12, "sd_miso": 13, "sd_mosi": 11, "sd_cs": 10,
        "sd_freq": 20_000_000, "sd_power": None,
    },
}


def select(machine):
    """Board name for an os.uname().machine string.

    E.g. "ESP32C3 module with ESP32C3" -> "lilygo-t8-c3",
    "LOLIN_S2_MINI with ESP32-S2FN4R2" -> "lolin-s2-mini".
    """
    m = (machine or "").upper()
    for ch in "-_ ":
        m = m.replace(ch, "")
    if "S2MINI" in m:
        return "lolin-s2-mini"
    if "ESP32C3" in m:
        return "lilygo-t8-c3"
    if "ESP32S2" in m:
        return "lilygo-t8-s2"
    if "ESP32S3" in m:
        return "generic-s3"
    return "generic"


def row(name):
    """The pin row for a board name (KeyError for an unknown name)."""
    return BOARDS[name]
