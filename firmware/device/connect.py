"""The network's rare jobs for device.wifi: joining the station, the setup access
point with its captive-portal DNS, and setting the clock by NTP. Loaded for the job
(core.cold)."""

import asyncio
import socket
import time

from micropython import const

_CONNECT_MS = const(20000)  # one attempt to join
_NTP_RETRY_S = const((60, 300, 3600))  # waits after failed NTP tries; then once a day
_NTP_DAY_S = const(86400)
_NTP_1970 = const(2208988800)  # seconds from 1900 (NTP's epoch) to 1970


def network(cfg):
    """The board's wifi_connect() argument from the config."""
    n = cfg["network"]
    w = cfg["wifi"]
    return {"ssid": w["ssid"], "password": w["password"], "hostname": n["device_name"],
            "dhcp": n["dhcp"], "ip": n["ip"], "gateway": n["gateway"], "subnet": n["subnet"]}


async def join(wifi):
    """Join the configured network; True once joined (the access point closes)."""
    cfg = wifi.cfg
    ip = await wifi.board.wifi_connect(network(cfg), _CONNECT_MS)
    if ip is None:
        return False
    wifi.ip = ip
    wifi.mode = "station"
    wifi.events.add("wifi", "joined %s as %s (%s.local)" % (
        cfg["wifi"]["ssid"], ip, cfg["network"]["device_name"]))
    if wifi.ap is not None:
        close_ap(wifi)
    return True


def open_ap(wifi, why):
    """Setup mode: the open access point, and a DNS server that sends every name to
    the device, so a phone opens the setup page by itself."""
    from firmware.device.wifi import AP_SSID

    board = wifi.board
    wifi.mode = "setup"
    wifi.ap = board.ap_start(AP_SSID)
    wifi.events.add("wifi", "%s: setup access point %s open at http://%s/setup" % (
        why, AP_SSID, wifi.ap))
    if board.dns_addr is not None:
        from firmware.device.captive import CaptiveDns

        wifi.dns = CaptiveDns(wifi.ap.partition(":")[0], board.dns_addr)
        asyncio.create_task(wifi.dns.run())


def close_ap(wifi):
    if wifi.dns is not None:
        wifi.dns.stop()
        wifi.dns = None
    wifi.board.ap_stop()
    wifi.ap = None


async def set_clock(wifi):
    """Set the clock by NTP; the milliseconds until it is to be set again."""
    board = wifi.board
    epoch = await ntp_time(board.ntp_host)
    if epoch is None:
        wait = _NTP_RETRY_S[min(wifi.ntp_fails, len(_NTP_RETRY_S) - 1)]
        wifi.ntp_fails += 1
        return wait * 1000
    board.set_time(epoch)
    if not wifi.clock_set:  # not for each daily resync
        wifi.events.add("clock", "set by NTP from " + board.ntp_host)
    wifi.clock_set = True
    wifi.ntp_fails = 0
    return _NTP_DAY_S * 1000


async def ntp_time(host, timeout_ms=3000):
    """UTC seconds since 1970 from an NTP server (SNTP, one request), or None."""
    s = None
    try:
        addr = socket.getaddrinfo(host, 123)[0][-1]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        query = bytearray(48)
        query[0] = 0x1B  # version 3, client
        s.sendto(query, addr)
        start = time.ticks_ms()
        while time.ticks_diff(time.ticks_ms(), start) < timeout_ms:
            await asyncio.sleep_ms(100)
            try:
                msg = s.recv(48)
            except OSError:
                continue  # nothing yet
            if len(msg) == 48:
                return int.from_bytes(msg[40:44], "big") - _NTP_1970
    except OSError:
        pass
    finally:
        if s is not None:
            s.close()
    return None
