"""The HTTP server: microdot, sized for a small heap, and the answers every route
family shares (the JSON error, streamed JSON).

Requests are served one at a time, with limits on the request line, headers and
body (too large: 400 or 413), a cap on waiting connections and a watchdog for stalled clients.
"""

import asyncio
import gc
import time

from microdot import Microdot, Request, Response

Request.max_content_length = 4096
Request.max_body_length = 4096
Request.max_readline = 1024
Response.default_content_type = "application/json"

CHUNK = 512  # a streamed answer goes out in pieces of about this size
MAX_HEAD = 4096  # the request line and all headers together
REQUEST_TIMEOUT_MS = 3000  # a client gets this long for its request
MAX_CONNECTIONS = 6  # served or waiting; more are refused at once
_BUSY_BODY = b'{"status": "error", "des": "busy: too many connections"}'
BUSY = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Retry-After: 1\r\nContent-Length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY))


def error(status, des, headers=None):
    """The JSON error body every endpoint uses."""
    return {"status": "error", "des": des}, status, headers or {}


def chunks(pieces):
    """Join a generator of small strings into pieces of about CHUNK bytes."""
    part = []
    n = 0
    for p in pieces:
        part.append(p)
        n += len(p)
        if n >= CHUNK:
            yield "".join(part)
            part = []
            n = 0
    if part:
        yield "".join(part)


def json_stream(pieces):
    """A JSON answer sent in chunks as `pieces` are made."""
    return Response(chunks(pieces), headers={"Content-Type": "application/json"})


class CappedReader:
    """The client's stream, with the request line and headers capped at MAX_HEAD bytes
    in all (microdot caps each line, not how many there are), and a count of the body
    bytes a handler has read."""

    def __init__(self, stream):
        self.s = stream
        self.left = MAX_HEAD
        self.body = 0

    async def readline(self):
        line = await self.s.readline()
        self.left -= len(line)
        if self.left < 0:
            raise ValueError("request headers too large")
        return line

    async def readexactly(self, n):
        data = await self.s.readexactly(n)
        self.body += len(data)
        return data

    async def read(self, n=-1):
        data = await self.s.read(n)
        self.body += len(data)
        return data

    async def readinto(self, buf):
        n = await self.s.readinto(buf)
        self.body += n or 0
        return n


class Server(Microdot):
    """Microdot, one request at a time: the heap has room for one, not for many.

    A few more connections wait their turn; past MAX_CONNECTIONS a canned 503 goes
    out before anything is allocated for the request. A watchdog hangs up on a
    client that takes longer than REQUEST_TIMEOUT_MS, so it cannot hold up the rest.
    """

    def __init__(self):
        super().__init__()
        self.one_at_a_time = asyncio.Lock()
        self.connections = 0
        self.refused = 0
        self.serving = None  # writer of the request being served
        self.serving_since = 0
        self._scratch = bytearray(256)
        self.paths = {}  # fixed path -> (methods, handler), see exact()
        self.after = None  # called after each request
        self.big_bodies = {}  # path -> the largest body it takes (read as a stream)

    def exact(self, path, methods=("GET",)):
        """Decorator: a route for one fixed path, found with a dict lookup. (microdot
        compiles a regular expression for each route it tries a request against, and
        keeps it: a KB of heap per route once requests have come by.)"""
        def decorated(f):
            self.paths[path] = (methods, f)
            return f
        return decorated

    def find_route(self, req):
        route = self.paths.get(req.path)
        if route is None or req.method == "OPTIONS":
            return super().find_route(req)
        req.url_args = {}
        method = "GET" if req.method == "HEAD" else req.method
        return (route[1] if method in route[0] else 405), "", None

    async def dispatch_request(self, req):
        """Routes in big_bodies take larger bodies. What a handler left of a large
        body is read and dropped before the answer goes out: a client still sending
        would otherwise see the connection reset instead of the answer."""
        if req is None:
            return await super().dispatch_request(req)
        req.max_content_length = self.big_bodies.get(req.path, Request.max_content_length)
        res = await super().dispatch_request(req)
        if Request.max_body_length < req.content_length <= req.max_content_length:
            await self._drain(req.stream, req.content_length - req.stream.body)
        return res

    async def _drain(self, stream, left):
        scratch = memoryview(self._scratch)
        while left > 0:
            n = await stream.readinto(scratch[:min(left, len(scratch))])
            if not n:
                return
            left -= n
            self.progress()

    async def handle_request(self, reader, writer):
        if self.connections >= MAX_CONNECTIONS:
            self.refused += 1
            try:
                await reader.readinto(self._scratch)  # take the request, so no reset
                await writer.awrite(BUSY)
                await writer.aclose()
            except OSError:
                pass
            return
        self.connections += 1
        try:
            async with self.one_at_a_time:
                gc.collect()  # a request needs a few KB in one piece: free the holes first
                self.serving = writer
                self.serving_since = time.ticks_ms()
                await super().handle_request(CappedReader(reader), writer)
        except Exception as e:  # hung up on, or no memory left to answer
            print("http: dropped a connection:", repr(e))
            await _close(writer)
        finally:
            self.serving = None
            self.connections -= 1
            if self.after is not None:
                self.after()

    def progress(self):
        """A handler doing long work (reading the SD card) is not a stalled client."""
        self.serving_since = time.ticks_ms()

    async def watchdog(self):
        while True:
            await asyncio.sleep_ms(REQUEST_TIMEOUT_MS // 4)
            w = self.serving
            if w is not None and time.ticks_diff(time.ticks_ms(), self.serving_since) \
                    > REQUEST_TIMEOUT_MS:
                self.serving = None
                await _close(w)


async def _close(writer):
    try:
        await writer.aclose()
    except OSError:
        pass
