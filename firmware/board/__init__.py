"""Board layer: the only place that touches hardware.

Every board module defines a class `Board` with this interface (services get the
instance, never a hardware module):

    name                      str, e.g. "unix", "lilygo-t8-c3"
    p1_7e1                    True when the P1 line is 7E1 (DSMR 2.2/3): mask bit 7
    set_p1_baud(baud)         config.json's p1.baud: 115200 (8N1) or 9600 (7E1)
    unique_id()               12 lowercase hex chars (the MAC on a board)
    async p1_open()           a stream with `async readinto(buf) -> int` (asyncio.StreamReader)
    p1_close()                close the stream (after an error; p1_open() is called again)
    p1_request(on)            P1 Data Request: True drives RTS high, False releases it
                              (input / high impedance); it is never driven low
    sd_path()                 the SD card's mount point ("/sd") or None when there is none
    led(on)                   status LED on / off
    button()                  True while the BOOT button is held
    memory()                  dict of heap / flash sizes in bytes for /about
    reset()                   restart the device
"""


def load(argv=None):
    """Pick the board for this runtime: the unix port or an ESP32 board."""
    import sys
    if sys.platform == "linux":
        from firmware.board.unix import Board
        return Board(argv or [])
    from firmware.board.esp32 import Board
    return Board()
