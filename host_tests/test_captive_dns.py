"""The captive-portal DNS server (firmware/captive.py) on the MicroPython unix port,
queried over UDP with hand-built DNS packets."""

import os
import socket
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digimon import runtime
from host_tests.device import free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]
MICROPYTHON = runtime.micropython()
ENV = dict(os.environ, MICROPYPATH=".frozen:%s" % ROOT)
IP = "192.168.4.1"
SERVE = """
import asyncio
from firmware.device.captive import CaptiveDns
asyncio.run(CaptiveDns(%r, ("127.0.0.1", %d)).run())
"""
A, AAAA, HTTPS, IN = 1, 28, 65, 1


def name(text):
    out = b""
    for label in text.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qname, qtype=A, qid=0x1234, flags=0x0100, qdcount=1, qclass=IN):
    """A DNS query: header (RD set by default) and one question."""
    return (struct.pack(">HHHHHH", qid, flags, qdcount, 0, 0, 0) + name(qname)
            + struct.pack(">HH", qtype, qclass))


def ask(sock, packet, qid):
    """Send packet; the first reply carrying qid (replies to earlier packets are skipped)."""
    sock.send(packet)
    while True:
        reply = sock.recv(2048)
        check_reply_shape(reply)
        if reply[:2] == struct.pack(">H", qid):
            return reply


def check_reply_shape(reply):
    """Whatever the server sends: a header with QR=1, AA=1, RA=0, NOERROR, one question."""
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", reply[:12])
    assert flags & 0xFEFF == 0x8400, hex(flags)  # all but RD, which is copied
    assert (qd, ns, ar) == (1, 0, 0) and an in (0, 1)


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen([MICROPYTHON, "-X", "heapsize=192k", "-c", SERVE % (IP, port)],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        probe = client(port, timeout=0.2)
        wait_until(lambda: up(probe) or proc.poll() is not None, 10, "the DNS server")
        probe.close()
        assert proc.poll() is None, proc.stdout.read().decode()
        yield port
        assert proc.poll() is None, "the server died: " + proc.stdout.read().decode()
    finally:
        proc.kill()
        proc.wait()


def client(port, timeout=2.0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    return sock


def up(sock):
    try:
        return ask(sock, query("probe.test", qid=7), 7)
    except OSError:  # timed out, or refused: not bound yet
        return None


@pytest.fixture
def dns(server):
    sock = client(server)
    yield sock
    sock.close()


def test_a_query_gets_our_ip(dns):
    q = query("connectivitycheck.gstatic.com", qid=0xBEEF)
    reply = ask(dns, q, 0xBEEF)
    assert struct.unpack(">HHHHHH", reply[:12]) == (0xBEEF, 0x8500, 1, 1, 0, 0)  # RD copied
    assert reply[12:len(q)] == q[12:]  # the question echoed
    answer = reply[len(q):]
    assert answer == b"\xc0\x0c" + struct.pack(">HHIH", A, IN, 60, 4) + socket.inet_aton(IP)


def test_rd_clear_is_copied(dns):
    reply = ask(dns, query("example.com", qid=5, flags=0), 5)
    assert struct.unpack(">H", reply[2:4])[0] == 0x8400


@pytest.mark.parametrize("qtype", [AAAA, HTTPS, 255])
def test_other_types_get_noerror_without_answers(dns, qtype):
    q = query("www.apple.com", qtype, qid=0x0A0A)
    reply = ask(dns, q, 0x0A0A)
    assert struct.unpack(">HHHHHH", reply[:12]) == (0x0A0A, 0x8500, 1, 0, 0, 0)
    assert reply[12:] == q[12:]


def test_a_query_of_another_class_gets_no_answer(dns):
    reply = ask(dns, query("example.com", A, qid=9, qclass=3), 9)  # CHAOS
    assert reply[6:8] == b"\0\0"


def test_longest_name_is_answered(dns):
    long = ".".join(["a" * 63] * 3 + ["b" * 61])  # 255 bytes on the wire
    assert len(name(long)) == 255
    reply = ask(dns, query(long, qid=11), 11)
    assert reply[6:8] == b"\0\1" and reply[-4:] == socket.inet_aton(IP)


GOOD = query("example.com", qid=0x4242)
BAD = {
    "garbage": b"\xde\xad\xbe\xef garbage",
    "empty": b"",
    "header only": GOOD[:12],
    "cut in the name": GOOD[:16],
    "cut in qtype/qclass": GOOD[:-1],
    "a response": query("example.com", qid=1, flags=0x8180),
    "opcode 2 (status)": query("example.com", qid=1, flags=0x1000),
    "two questions": query("example.com", qid=1, qdcount=2) + name("b.com") + b"\0\1\0\1",
    "no question": query("example.com", qid=1, qdcount=0),
    "compression pointer": GOOD[:12] + b"\xc0\x0c\0\1\0\1",
    "label too long": GOOD[:12] + b"\x40" + b"a" * 64 + b"\0\0\1\0\1",
    "name too long": query(".".join(["a" * 63] * 4), qid=1),  # 257 bytes
}


@pytest.mark.parametrize("packet", BAD.values(), ids=BAD.keys())
def test_bad_packets_get_no_reply_and_the_server_goes_on(dns, packet):
    dns.send(packet)
    dns.send(query("example.com", qid=0x5151))
    reply = dns.recv(2048)  # the first reply is to the good query
    assert reply[:2] == b"\x51\x51" and reply[-4:] == socket.inet_aton(IP)


def test_many_queries_in_a_row(dns):
    for i in range(300):
        dns.send(query("host%d.lan" % i, A if i % 2 else AAAA, qid=i))
        if i % 20 == 19:  # stay within the socket buffers
            for j in range(i - 19, i + 1):
                reply = dns.recv(2048)
                assert struct.unpack(">H", reply[:2])[0] == j
                assert reply[6:8] == (b"\0\1" if j % 2 else b"\0\0")


@settings(max_examples=50, deadline=None)
@given(junk=st.one_of(st.binary(max_size=600),
                      st.binary(max_size=80).map(lambda b: GOOD[:12] + b),
                      st.builds(lambda i, b: GOOD[:i] + b, st.integers(0, len(GOOD)),
                                st.binary(max_size=8))))
def test_random_bytes_never_stop_the_server(server, junk):
    sock = client(server)
    try:
        sock.send(junk)
        qid = 0xF00D if junk[:2] != b"\xf0\x0d" else 0xF00E
        reply = ask(sock, query("example.com", qid=qid), qid)
        assert reply[-4:] == socket.inet_aton(IP)
    finally:
        sock.close()


STOP = """
import asyncio, socket
from firmware.device.captive import CaptiveDns
dns = CaptiveDns(%r, ("127.0.0.1", %d))
async def poke():
    await asyncio.sleep_ms(50)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    to = socket.getaddrinfo("127.0.0.1", %d)[0][-1]
    c.sendto(%r, to)
    c.sendto(b"junk", to)
    await asyncio.sleep_ms(50)
    dns.stop()
async def main():
    asyncio.create_task(poke())
    await dns.run()
    print("stopped", dns.answered, dns.ignored)
asyncio.run(main())
"""


def test_stop_ends_run_and_counts():
    port = free_port()
    out = subprocess.run([MICROPYTHON, "-X", "heapsize=192k", "-c",
                          STOP % (IP, port, port, GOOD)],
                         env=ENV, capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split() == ["stopped", "1", "1"]
