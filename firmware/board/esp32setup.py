"""The ESP32 board's rare calls (board.esp32 loads this per use, core.cold): mounting
the SD card, joining and scanning WiFi, the setup access point, the clock, the reset
cause and the OTA partition. Kept out of board.esp32, whose code stays in the heap."""

import asyncio
import time

import machine
import network
import vfs

SD_MOUNT = "/sd"
AP_IP = "192.168.4.1"  # the setup access point's own address (and gateway, DNS)
WIFI_POLL_MS = 250  # how often wifi_connect() looks whether the link is up
# Seconds from 1970-01-01 to 2000-01-01 UTC: the esp32 port's time epoch is 2000
# (see set_time()).
EPOCH_2000 = 946_684_800


def mount_sd(board):
    """Mount the SD card on SD_MOUNT; board.sd_error says why when it fails."""
    # MicroPython >= 1.25 has machine.SDCard in SPI mode on every ESP32
    # chip (on the S2 / C3 without an SD/MMC host too): slot=2 is the first
    # general-purpose SPI bus (SPI2; the only one on the C3, so machine.SPI
    # cannot be used next to it there), with the pins routed through the
    # GPIO matrix. So no sdcard.py driver over machine.SPI is needed.
    row = board._row
    try:
        if any(m[1] == SD_MOUNT for m in vfs.mount()):
            board._sd_ok = True  # mounted before (e.g. by boot.py)
            return
    except Exception:
        pass
    if row["sd_cs"] is None:
        board.sd_error = "SD card: no slot on this board"
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
            board._sd_card = card
            board._sd_ok = True
            board.sd_error = None
            return
        except Exception as e:
            errors.append("%d MHz: %r" % (freq // 1_000_000, e))
        if card is not None:
            try:
                card.deinit()  # free the SPI bus for the next try
            except Exception:
                pass
    board.sd_error = "SD card not mounted (" + "; ".join(errors) + ")"
    print(board.sd_error)


def sd_retry(board):
    """Mount the SD card again (after it was missing or failed); the mount point or
    None.

    Call it only after the card failed: a mounted /sd is unmounted first
    (files still open on it are dead anyway) and mounted afresh.
    """
    board._sd_tried = True
    board._sd_ok = False
    try:
        vfs.umount(SD_MOUNT)
    except OSError:
        pass  # was not mounted
    card, board._sd_card = board._sd_card, None
    if card is not None:
        try:
            card.deinit()  # free SPI slot 2 for the new SDCard
        except Exception:
            pass
    mount_sd(board)
    return SD_MOUNT if board._sd_ok else None


def firmware_partition():
    """The next OTA app partition, None on a build without OTA partitions."""
    try:
        from esp32 import Partition

        # the stubs know only labels; the docs also take RUNNING
        return Partition(Partition.RUNNING).get_next_update()  # type: ignore[arg-type]
    except (ImportError, OSError):
        return None


def firmware_ok():
    """Keep the running MicroPython image (after an image update the bootloader
    would otherwise go back to the previous one at the next reset)."""
    try:
        from esp32 import Partition

        Partition.mark_app_valid_cancel_rollback()
    except (ImportError, OSError):
        pass


def reset_cause():
    """Why the device (re)started, in words. The esp32 port (MicroPython >= 1.23) maps
    the ESP-IDF reasons onto these: a brownout counts as "power on" (there is no
    constant of its own), machine.reset() and a crash (panic) as "hard reset"; "soft
    reset" is Ctrl-D / machine.soft_reset() (the chip itself kept running)."""
    cause = machine.reset_cause()
    words = {machine.PWRON_RESET: "power on", machine.HARD_RESET: "hard reset",
             machine.WDT_RESET: "watchdog", machine.DEEPSLEEP_RESET: "deep sleep",
             machine.SOFT_RESET: "soft reset"}
    return words.get(cause, "unknown (%d)" % cause)


async def wifi_connect(board, net, timeout_ms):
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


def wifi_scan(board):
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


def ap_start(board, ssid):
    """Open the setup access point (no password); returns its address."""
    ap = network.WLAN(network.AP_IF)
    ap.active(True)
    # ssid / security: the current names (essid / authmode still work).
    ap.config(ssid=ssid, security=network.AUTH_OPEN)
    ap.ifconfig((AP_IP, "255.255.255.0", AP_IP, AP_IP))
    return AP_IP


def ap_stop(board):
    """Close the setup access point."""
    network.WLAN(network.AP_IF).active(False)


def set_time(board, epoch_s):
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
