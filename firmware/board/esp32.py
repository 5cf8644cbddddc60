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
AP_IP = "192.168.4.1"  # the setup access point's own address (and gateway, DNS)
WIFI_POLL_MS = 250  # how often wifi_connect() looks whether the link is up
# Seconds from 1970-01-01 to 2000-01-01 UTC: the esp32 port's time epoch is 2000
# (see set_time()).
EPOCH_2000 = 946_684_800

# machine.reset_cause() in words. The esp32 port (MicroPython >= 1.23) maps the
# ESP-IDF reasons onto these: a brownout counts as "power on" (there is no
# constant of its own), machine.reset() and a crash (panic) as "hard reset";
# "soft reset" is Ctrl-D / machine.soft_reset() (the chip itself kept running).
RESET_CAUSES = {
    machine.PWRON_RESET: "power on",
    machine.HARD_RESET: "hard reset",
    machine.WDT_RESET: "watchdog",
    machine.DEEPSLEEP_RESET: "deep sleep",
    machine.SOFT_RESET: "soft reset",
}


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
            self._mount_sd()
        return SD_MOUNT if self._sd_ok else None

    def sd_retry(self):
        """Mount the SD card again (after it was missing or failed); sd_path().

        Call it only after the card failed: a mounted /sd is unmounted first
        (files still open on it are dead anyway) and mounted afresh.
        """
        self._sd_tried = True
        self._sd_ok = False
        try:
            vfs.umount(SD_MOUNT)
        except OSError:
            pass  # was not mounted
        card, self._sd_card = self._sd_card, None
        if card is not None:
            try:
                card.deinit()  # free SPI slot 2 for the new SDCard
            except Exception:
                pass
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
                self._sd_card = card
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

    def flash_path(self):
        """The root of the LittleFS flash: "/config.json", "/app/..."."""
        return ""

    def flash_space(self):
        """(free bytes, block size) of the LittleFS flash."""
        st = os.statvfs("/")
        return st[0] * st[3], st[0]

    def firmware_partition(self):
        """The next OTA app partition, None on a build without OTA partitions."""
        try:
            from esp32 import Partition

            # the stubs know only labels; the docs also take RUNNING
            return Partition(Partition.RUNNING).get_next_update()  # type: ignore[arg-type]
        except (ImportError, OSError):
            return None

    def firmware_ok(self):
        """Keep the running MicroPython image (after an image update the bootloader
        would otherwise go back to the previous one at the next reset)."""
        try:
            from esp32 import Partition

            Partition.mark_app_valid_cancel_rollback()
        except (ImportError, OSError):
            pass

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
        """Why the device (re)started, in words (see RESET_CAUSES)."""
        cause = machine.reset_cause()
        return RESET_CAUSES.get(cause, "unknown (%d)" % cause)

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
        """Join the WiFi network in net; the IP (str), or None after timeout_ms.

        connect() only starts the join: the link is polled without blocking
        the event loop.
        """
        # Before the interface is up: the hostname goes to DHCP, and the esp32
        # port's built-in mDNS responder answers <hostname>.local with it.
        network.hostname(net["hostname"])
        sta = network.WLAN(network.STA_IF)
        sta.active(True)
        if not net["dhcp"]:
            # Static address; the config has no DNS server, so the gateway is
            # used as the DNS server too (what home routers provide).
            sta.ifconfig((net["ip"], net["subnet"], net["gateway"], net["gateway"]))
        sta.connect(net["ssid"], net["password"])
        start = time.ticks_ms()
        while not sta.isconnected():
            if time.ticks_diff(time.ticks_ms(), start) >= timeout_ms:
                sta.disconnect()  # stop retrying in the background
                return None
            await asyncio.sleep_ms(WIFI_POLL_MS)
        return sta.ifconfig()[0]

    def wifi_ip(self):
        """The station's IP while connected, else None."""
        sta = network.WLAN(network.STA_IF)
        return sta.ifconfig()[0] if sta.isconnected() else None

    def wifi_scan(self):
        """[(ssid, rssi), ...] in range, strongest first, one entry per SSID.

        Blocks for the scan itself (a second or two).
        """
        sta = network.WLAN(network.STA_IF)
        if not sta.active():
            sta.active(True)  # scanning needs the station interface up
        best = {}  # type: dict[str, int]
        for ap in sta.scan():  # (ssid, bssid, channel, rssi, security, hidden)
            try:
                ssid = ap[0].decode()
            except UnicodeError:  # not UTF-8: keep it readable
                ssid = "".join(chr(b) if 32 <= b < 127 else "?" for b in ap[0])
            if ssid and (ssid not in best or ap[3] > best[ssid]):
                best[ssid] = ap[3]  # hidden networks have an empty SSID
        return sorted(best.items(), key=lambda item: -item[1])

    def ap_start(self, ssid):
        """Open the setup access point (no password); returns its address."""
        ap = network.WLAN(network.AP_IF)
        ap.active(True)
        # ssid / security: the current names (essid / authmode still work).
        ap.config(ssid=ssid, security=network.AUTH_OPEN)
        ap.ifconfig((AP_IP, "255.255.255.0", AP_IP, AP_IP))
        return AP_IP

    def ap_stop(self):
        """Close the setup access point."""
        network.WLAN(network.AP_IF).active(False)

    def set_time(self, epoch_s):
        """Set the clock from UTC seconds since 1970-01-01 (e.g. from NTP).

        MicroPython's time epoch depends on the port: unix, rp2, mimxrt (and
        a few others) count from 1970, the esp32 port from 2000-01-01 (also in
        MicroPython >= 1.22; gmtime(0)[0] tells which). gmtime() takes seconds
        since that epoch, so shift by 30 years when it is 2000.
        """
        secs = int(epoch_s)
        if time.gmtime(0)[0] == 2000:
            secs -= EPOCH_2000
        year, month, day, hour, minute, second, weekday, _ = time.gmtime(secs)
        # RTC order: (year, month, day, weekday, hours, minutes, seconds,
        # subseconds); the esp32 port works the weekday out itself.
        machine.RTC().datetime(
            (year, month, day, weekday, hour, minute, second, 0))
