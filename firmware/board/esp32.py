"""ESP32 boards (ESP32-C3 / S2 / S3): the Board interface on real hardware.

See firmware/board/__init__.py for the interface and firmware/board/pins.py
for the pin tables. Kept thin: everything here is a line or two of machine /
network / vfs calls.
"""

import asyncio
import binascii
import gc
import os
import time

import machine
import network
import vfs
from machine import Pin

from firmware.board import pins

SD_MOUNT = "/sd"
P1_RXBUF = 4096  # one whole telegram fits in the UART driver's buffer


class Board:
    """One ESP32 board, configured from its row in pins.BOARDS."""

    def __init__(self, name=None, p1_baud=115200, overrides=None):
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
        """115200 8N1 (DSMR 4/5, e-MUCS) or 9600 7E1 (DSMR 2.2/3).

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
            self._mount_sd()
        return SD_MOUNT if self._sd_ok else None

    def _mount_sd(self):
        # MicroPython >= 1.25 has machine.SDCard in SPI mode on every ESP32
        # chip (on the S2 / C3 without an SD/MMC host too): slot=2 is the first
        # general-purpose SPI bus (SPI2; the only one on the C3, so machine.SPI
        # cannot be used next to it there), with the pins routed through the
        # GPIO matrix. So no sdcard.py driver over machine.SPI is needed.
        row = self._row
        try:
            if any(m[1] == SD_MOUNT for m in vfs.mount()):
                self._sd_ok = True  # mounted before (e.g. by boot.py)
                return
        except Exception:
            pass
        if row["sd_cs"] is None:
            self.sd_error = "SD card: no slot on this board"
            return
        # Some cards do not start at full speed through the GPIO matrix:
        # try once more, slower.
        errors = []
        for freq in (row["sd_freq"], 4_000_000):
            card = None
            try:
                card = machine.SDCard(
                    slot=2, sck=row["sd_sck"], miso=row["sd_miso"],
                    mosi=row["sd_mosi"], cs=row["sd_cs"], freq=freq)
                # (the stub wrongly makes VfsFat an abstract block device)
                fat = vfs.VfsFat(card)  # type: ignore[abstract]
                vfs.mount(fat, SD_MOUNT)
                self._sd_ok = True
                self.sd_error = None
                return
            except Exception as e:
                errors.append("%d MHz: %r" % (freq // 1_000_000, e))
            if card is not None:
                try:
                    card.deinit()  # free the SPI bus for the next try
                except Exception:
                    pass
        self.sd_error = "SD card not mounted (" + "; ".join(errors) + ")"
        print(self.sd_error)

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
