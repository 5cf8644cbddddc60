"""ESP32 boards (ESP32-C3 / S2 / S3): the Board interface on real hardware.

See firmware/board/__init__.py for the interface and firmware/board/pins.py
for the pin tables. Kept thin: everything here is a line or two of machine /
network calls; the rare calls (the SD card's mount, WiFi joins and scans, the access
point, the clock, the OTA partition) are in board.esp32setup, loaded per use.
"""

import asyncio
import binascii
import gc
import os
import time

import machine
import network
from machine import Pin

from firmware.board import pins
from firmware.core import cold

SD_MOUNT = "/sd"
P1_RXBUF = 4096  # one whole telegram fits in the UART driver's buffer


def _setup():
    return cold.load("firmware.board.esp32setup")


class Board:
    """One ESP32 board, configured from its row in pins.BOARDS."""

    dns_addr = ("0.0.0.0", 53)  # captive-portal DNS server, on every interface
    ntp_host = "be.pool.ntp.org"

    def __init__(self, name=None, p1_baud=None, overrides=None):
        if name is None:
            name = pins.select(os.uname().machine)
        elif name not in pins.BOARDS:
            print("board: unknown board %r, detecting instead" % name)
            name = pins.select(os.uname().machine)
        self.name = name
        row = dict(pins.row(name))
        if overrides:
            row.update(overrides)  # e.g. pins from config.json
        self._row = row
        self.set_p1_baud(p1_baud)  # sets p1_baud and p1_7e1
        self._uart = None
        self._wdt = None
        self._sd_card = None  # the machine.SDCard we mounted (deinit on retry)
        self._sd_ok = False
        self._sd_tried = False
        self.sd_error = None  # why the SD card is not mounted, for /about
        if row["sd_power"] is not None:
            # T8-S2: this GPIO high switches on the SD card / 3V3 rail.
            Pin(row["sd_power"], Pin.OUT, value=1)
            time.sleep_ms(50)
        # RTS starts released (high impedance): no data request yet.
        self._rts = Pin(row["rts"])
        self.p1_request(False)
        self._boot = Pin(row["boot"], Pin.IN, Pin.PULL_UP)
        self._led = None
        self._pwm = None
        if row["led"] is not None:
            if row["led_duty"]:
                self._pwm = machine.PWM(Pin(row["led"]), freq=1000, duty_u16=0)
            else:
                self._led = Pin(row["led"], Pin.OUT, value=0)

    # --- P1 port ------------------------------------------------------------

    def set_p1_baud(self, baud):
        """115200 8N1 (DSMR 4/5, e-MUCS) or 9600 7E1 (DSMR 2.2/3): config.json's
        p1.baud, else what the P1 reader learns from the line (None until then).

        Takes effect at the next p1_open(); call p1_close() first if open.
        """
        self.p1_baud = baud
        self.p1_7e1 = baud == 9600

    async def p1_open(self):
        """Open UART1 on the P1 pins; returns an asyncio.StreamReader."""
        if self._uart is None:
            row = self._row
            # The meter's TX is an open-collector opto output, so the line is
            # inverted: the UART's own RX inverter undoes that.
            # timeout=0: reads return what has arrived (asyncio polls first).
            if self.p1_7e1:
                bits, parity = 7, 0  # 7 data bits, even parity
            else:
                bits, parity = 8, None
            self._uart = machine.UART(
                1, baudrate=self.p1_baud, bits=bits, parity=parity, stop=1,
                rx=row["rx"], tx=row["tx"], invert=machine.UART.INV_RX,
                rxbuf=P1_RXBUF, timeout=0)
        return asyncio.StreamReader(self._uart)

    def p1_close(self):
        """Release the UART (after an error; p1_open() makes a new one)."""
        uart, self._uart = self._uart, None
        if uart is not None:
            try:
                uart.deinit()
            except Exception:
                pass

    def p1_request(self, on):
        """P1 Data Request on the RTS pin: True drives it high, False releases it.

        SAFETY: the RTS pin is NEVER driven low. As an output it is only ever
        set up with value=1, which MicroPython's esp32 port writes to the
        output latch before it enables the driver (no low glitch). To stop,
        the pin becomes an input without pulls (high impedance), never an
        output at 0. There is no value(0) / off() / low() on this pin.
        """
        if on:
            self._rts.init(Pin.OUT, value=1)
        else:
            # pull=None disables both pulls on the esp32 port; the stub types
            # pull as int only.
            self._rts.init(Pin.IN, pull=None)  # type: ignore[arg-type]

    # --- SD card ------------------------------------------------------------

    def sd_path(self):
        """"/sd" when the SD card is mounted, else None (see sd_error)."""
        if not self._sd_tried:
            self._sd_tried = True
            _setup().mount_sd(self)
        return SD_MOUNT if self._sd_ok else None

    def sd_retry(self):
        """Mount the SD card again (after it was missing or failed); sd_path()."""
        return _setup().sd_retry(self)

    def flash_path(self):
        """The root of the LittleFS flash: "/config.json", "/app/..."."""
        return ""

    def flash_space(self):
        """(free bytes, block size) of the LittleFS flash."""
        st = os.statvfs("/")
        return st[0] * st[3], st[0]

    def firmware_partition(self):
        """The next OTA app partition, None on a build without OTA partitions."""
        return _setup().firmware_partition()

    def firmware_ok(self):
        """Keep the running MicroPython image (after an image update)."""
        _setup().firmware_ok()

    # --- LED, button ----------------------------------------------------------

    def led(self, on):
        """Status LED on / off."""
        if self._pwm is not None:
            self._pwm.duty_u16(self._row["led_duty"] if on else 0)
        elif self._led is not None:
            self._led.value(1 if on else 0)

    def button(self):
        """True while BOOT is held (active low)."""
        return self._boot.value() == 0

    # --- identity, memory, reset ----------------------------------------------

    def unique_id(self):
        """12 lowercase hex chars: the WiFi station MAC."""
        try:
            mac = network.WLAN(network.STA_IF).config("mac")
        except Exception:
            mac = machine.unique_id()
        return binascii.hexlify(mac).decode()[:12]

    def memory(self):
        """Heap and flash (LittleFS) sizes in bytes."""
        free = gc.mem_free()
        st = os.statvfs("/")
        return {
            "heap_total": free + gc.mem_alloc(),
            "heap_free": free,
            "flash_total": st[0] * st[2],
            "flash_free": st[0] * st[3],
        }

    def reset(self):
        """Restart the device."""
        machine.reset()

    def reset_cause(self):
        """Why the device (re)started, in words."""
        return _setup().reset_cause()

    def watchdog(self, timeout_ms):
        """Start the hardware watchdog (at least 1000 ms on the esp32).

        Once started it cannot be stopped: watchdog_feed() must follow within
        every timeout_ms, else the chip resets (reset_cause() "watchdog").
        """
        self._wdt = machine.WDT(timeout=timeout_ms)

    def watchdog_feed(self):
        """Keep the watchdog quiet (nothing to do before watchdog())."""
        if self._wdt is not None:
            self._wdt.feed()

    # --- network --------------------------------------------------------------

    async def wifi_connect(self, net, timeout_ms):
        """Join the WiFi network in net; the IP (str), or None after timeout_ms."""
        return await _setup().wifi_connect(self, net, timeout_ms)

    def wifi_ip(self):
        """The station's IP while connected, else None."""
        sta = network.WLAN(network.STA_IF)
        return sta.ifconfig()[0] if sta.isconnected() else None

    def wifi_scan(self):
        """[(ssid, rssi), ...] in range, strongest first, one entry per SSID."""
        return _setup().wifi_scan(self)

    def ap_start(self, ssid):
        """Open the setup access point (no password); returns its address."""
        return _setup().ap_start(self, ssid)

    def ap_stop(self):
        """Close the setup access point."""
        _setup().ap_stop(self)

    def set_time(self, epoch_s):
        """Set the clock from UTC seconds since 1970-01-01 (e.g. from NTP)."""
        _setup().set_time(self, epoch_s)
