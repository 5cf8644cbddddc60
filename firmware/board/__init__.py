"""Board layer: the only place that touches hardware.

Every board module defines a class `Board` with this interface (services get the
instance, never a hardware module):

    name                      str, e.g. "unix", "lilygo-t8-c3"
    p1_7e1                    True when the P1 line is 7E1 (DSMR 2.2/3): mask bit 7
    p1_baud                   115200, 9600, or None while nothing has set it
    set_p1_baud(baud)         115200 (8N1) or 9600 (7E1): config.json's p1.baud, a
                              board's own setting, or what the P1 reader learns
    unique_id()               12 lowercase hex chars (the MAC on a board)
    async p1_open()           a stream with `async readinto(buf) -> int` (asyncio.StreamReader)
    p1_close()                close the stream (after an error; p1_open() is called again)
    p1_request(on)            P1 Data Request: True drives RTS high, False releases it
                              (input / high impedance); it is never driven low
    sd_path()                 the SD card's mount point ("/sd") or None when there is none
    sd_error                  why there is no SD card (str) or None
    sd_retry()                try to mount the SD card again (after it was missing or
                              failed); returns sd_path()
    flash_path()              the root of the board's flash ("" on a board): the copy of
                              config.json and the app slots (see boot.py) are there;
                              None when there is no flash to keep them
    flash_space()             (free bytes, block size) of the flash
    firmware_partition()      the next OTA app partition for a MicroPython image (an
                              esp32.Partition: info(), writeblocks(), set_boot()), or None
    firmware_ok()             the running MicroPython image works: keep it (cancels the
                              bootloader's roll back after an image update)
    led(on)                   status LED on / off
    button()                  True while the BOOT button is held
    memory()                  dict of heap / flash sizes in bytes for /about
    reset()                   restart the device
    reset_cause()             why the device (re)started, in words ("power on", "watchdog")
    watchdog(timeout_ms)      start the hardware watchdog; watchdog_feed() keeps it quiet
    watchdog_feed()

Network (the WiFi station, the setup access point, the clock):
    async wifi_connect(net, timeout_ms)
                              join a WiFi network; net is a dict with ssid, password,
                              hostname (also the mDNS name <hostname>.local), dhcp, and
                              ip, gateway, subnet for a static address. Returns the IP
                              address (str), or None when it did not connect in time.
    wifi_ip()                 the station's IP while connected, else None
    wifi_scan()               [(ssid, rssi), ...] of the networks in range, strongest first
    ap_start(ssid)            open the setup access point (no password); returns the
                              address the device is reached on there ("192.168.4.1")
    ap_stop()
    dns_addr                  (host, port) for the captive-portal DNS server, or None
    ntp_host                  the NTP server to set the clock from, or None (clock is set)
    set_time(epoch_s)         set the clock (UTC seconds since 1970-01-01)
"""


def load(argv=None):
    """Pick the board for this runtime: the unix port or an ESP32 board."""
    import sys
    if sys.platform == "linux":
        from firmware.board.unix import Board
        return Board(argv or [])
    from firmware.board.esp32 import Board
    return Board()
