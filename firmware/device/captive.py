"""Captive-portal DNS for the setup access point: every name resolves to our IP.

A queries get one answer; other types (AAAA, HTTPS, ...) get NOERROR with no
answer, so phones fall back to IPv4. Anything else is dropped without a reply.
"""

import asyncio
import socket

MAX_PACKET = 512  # plain DNS over UDP, no EDNS
MAX_NAME = 255  # RFC 1035 limit on a name's wire length


class CaptiveDns:
    """A UDP DNS server answering every name with ip; run() until stop()."""

    def __init__(self, ip, addr):
        parts = [int(p) for p in ip.split(".")]
        if len(parts) != 4:
            raise ValueError("bad IPv4 address")
        # answer record: name pointer to offset 12, type A, class IN, TTL 60, rdlength 4
        self._rr = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes(parts)
        self.addr = addr
        self._mv = memoryview(bytearray(MAX_PACKET))  # the reply is built here
        self._sock = self._task = None
        self.answered = self.ignored = 0

    def reply(self, q):
        """Build the reply to query q in the buffer; its length, or 0 to ignore q."""
        n = len(q)
        # header: QR=0 and opcode 0, exactly one question
        if n < 12 or q[2] & 0xF8 or q[4] or q[5] != 1:
            return 0
        i = 12
        while i < n and q[i]:  # labels up to the root one
            if q[i] > 63:  # a compression pointer (or reserved): not in a question
                return 0
            i += q[i] + 1
        end = i + 5  # root byte, QTYPE, QCLASS
        if end > n or i - 11 > MAX_NAME:
            return 0
        mv = self._mv
        mv[:end] = memoryview(q)[:end]  # ID and question echoed
        mv[2] = 0x84 | q[2] & 1  # QR=1, AA=1, RD copied
        mv[3] = 0  # RA=0, RCODE=0 (NOERROR)
        for j in range(6, 12):  # ANCOUNT, NSCOUNT, ARCOUNT
            mv[j] = 0
        if q[i + 1] == 0 and q[i + 2] == 1 and q[i + 3] == 0 and q[i + 4] == 1:  # A, IN
            mv[7] = 1
            mv[end:end + 16] = self._rr
            end += 16
        return end

    async def run(self):
        """Bind the socket and answer queries until stop()."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(socket.getaddrinfo(self.addr[0], self.addr[1])[0][-1])
        s.setblocking(False)
        self._sock, self._task = s, asyncio.current_task()
        try:
            while self._sock:
                # wait for a datagram in asyncio's poller, as asyncio's Stream does
                yield asyncio.core._io_queue.queue_read(s)
                try:
                    q, peer = s.recvfrom(MAX_PACKET)  # no recvfrom_into on the ports
                except OSError:  # spurious wake-up (EAGAIN), ICMP error, closed
                    continue
                n = self.reply(q)
                if n:
                    try:
                        s.sendto(self._mv[:n], peer)
                        self.answered += 1
                        continue
                    except OSError:  # e.g. ENOMEM on the board
                        pass
                self.ignored += 1
        except asyncio.CancelledError:
            if self._sock:  # cancelled by someone else than stop()
                raise
        finally:
            self._sock = self._task = None
            s.close()

    def stop(self):
        """Close the socket and end run()."""
        s, t, self._sock = self._sock, self._task, None
        if t:
            try:
                t.cancel()  # takes run() off the IO queue
            except RuntimeError:  # stop() called from within run()'s task
                pass
        if s:
            s.close()
