"""WiFi: join the configured network, else open the setup access point with its
captive-portal DNS; set the clock by NTP once joined. Nothing here blocks start-up:
the P1 reader and the history run whatever the network does.
"""

import asyncio
import socket
import time

AP_SSID = "DigitaleMeterMonitor"
CONNECT_MS = 20000  # one attempt to join
CHECK_MS = 10000  # joined: how often the link is checked
RETRY_MS = 5 * 60 * 1000  # setup mode with a config: try the configured network again
NTP_RETRY_S = (60, 300, 3600)  # waits after failed NTP tries; then once a day
NTP_DAY_S = 86400
NTP_1970 = 2208988800  # seconds from 1900 (NTP's epoch) to 1970


class Wifi:
    def __init__(self, board, cfg, events):
        self.board = board
        self.cfg = cfg
        self.events = events
        self.mode = "starting"  # then "station" or "setup"
        self.ip = None  # the station's address
        self.ap = None  # the setup access point's address
        self.dns = None
        self.clock_set = board.ntp_host is None  # the unix port's clock is the host's
        self.ntp = None  # the task that keeps the clock set, once joined

    def network(self):
        n = self.cfg["network"]
        w = self.cfg["wifi"]
        return {"ssid": w["ssid"], "password": w["password"], "hostname": n["device_name"],
                "dhcp": n["dhcp"], "ip": n["ip"], "gateway": n["gateway"],
                "subnet": n["subnet"]}

    async def _join(self):
        ip = await self.board.wifi_connect(self.network(), CONNECT_MS)
        if ip is None:
            return False
        self.ip = ip
        self.mode = "station"
        self.events.add("wifi", "joined %s as %s (%s.local)" % (
            self.cfg["wifi"]["ssid"], ip, self.cfg["network"]["device_name"]))
        if self.ap is not None:
            self._close_ap()
        return True

    def _open_ap(self, why):
        self.mode = "setup"
        self.ap = self.board.ap_start(AP_SSID)
        self.events.add("wifi", "%s: setup access point %s open at http://%s/setup" % (
            why, AP_SSID, self.ap))
        if self.board.dns_addr is not None:
            from firmware.device.captive import CaptiveDns

            self.dns = CaptiveDns(self.ap.partition(":")[0], self.board.dns_addr)
            asyncio.create_task(self.dns.run())

    def _close_ap(self):
        if self.dns is not None:
            self.dns.stop()
            self.dns = None
        self.board.ap_stop()
        self.ap = None

    async def run(self):
        ssid = self.cfg["wifi"]["ssid"]
        if not ssid:
            self._open_ap("no WiFi network configured")
        elif not await self._join():
            self._open_ap("cannot join %s" % ssid)
        while True:
            if self.mode == "setup":
                await asyncio.sleep_ms(RETRY_MS)
                if ssid:
                    await self._join()  # the access point stays open meanwhile
                continue
            if not self.clock_set and self.ntp is None:
                self.ntp = asyncio.create_task(self.keep_clock())
            await asyncio.sleep_ms(CHECK_MS)
            if self.board.wifi_ip() is None:
                self.events.add("wifi", "lost %s; joining again" % ssid)
                self.ip = None
                while not await self._join():
                    await asyncio.sleep_ms(CHECK_MS)

    async def keep_clock(self):
        """Set the clock by NTP now, and again once a day."""
        fails = 0
        while True:
            epoch = await ntp_time(self.board.ntp_host)
            if epoch is None:
                wait = NTP_RETRY_S[min(fails, len(NTP_RETRY_S) - 1)]
                fails += 1
            else:
                self.board.set_time(epoch)
                if not self.clock_set:  # not for each daily resync
                    self.events.add("clock", "set by NTP from " + self.board.ntp_host)
                self.clock_set = True
                fails = 0
                wait = NTP_DAY_S
            await asyncio.sleep(wait)


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
                return int.from_bytes(msg[40:44], "big") - NTP_1970
    except OSError:
        pass
    finally:
        if s is not None:
            s.close()
    return None
