"""The HTTP server: microdot, sized for a small heap, and the JSON error.

A connection first sends its request line and headers, read whole into a small buffer
of its own under a deadline (HEAD_TIMEOUT_MS), outside the lock that serves one request
at a time: a client that does not send holds up nobody. A client address holds at most
MAX_PER_CLIENT connections; when MAX_CONNECTIONS are open, the oldest one still sending
its head makes room, else the newcomer gets a canned 503. A request is served only with
MIN_FREE bytes of heap free (else a canned 503): the P1 reader and the history keep
theirs. Routes are found without regular expressions: a family of routes per path
prefix, its module loaded per request, and one handler for the rest (the web UI's
files).
"""

import asyncio
import gc
import time

from microdot import Microdot, Request, Response
from micropython import const

Request.max_content_length = 2048
Request.max_body_length = 2048
Request.max_readline = 1024
Response.default_content_type = "application/json"
Response.send_file_buffer_size = 256  # the heap is fragmented: small pieces

MAX_HEAD = const(4096)  # the request line and all headers together
_HEAD_STEP = const(512)  # a head is read in pieces of at most this size
HEAD_TIMEOUT_MS = const(2000)  # to send the request line and headers
REQUEST_TIMEOUT_MS = const(3000)  # to be served, once the head is in
MAX_CONNECTIONS = const(8)  # open at once, served or waiting (each takes some heap)
MAX_PER_CLIENT = const(6)  # open at once from one address (a browser opens 6)
MIN_FREE = const(6144)  # heap a request needs to be served

# microdot's parts this server never calls: its regular-expression routing and the
# decorators that fill it, its own server loop and cookies (Server takes
# the handlers' lists directly). Let go of at import: about 2.8 KB of code.
_UNUSED = const((
    ("Microdot", "route get post put patch delete query mount abort start_server run shutdown"
     " find_route error_response before_request after_request after_error_request"
     " errorhandler"),
    ("Request", "form files after_request"),
    ("Response", "set_cookie delete_cookie"),
    ("", "URLPattern abort urlencode"),
))


def _let_go_of_unused():
    import microdot
    import microdot.microdot as md

    for where, names in _UNUSED:
        for owner in (getattr(md, where),) if where else (md, microdot):
            for name in names.split():
                if hasattr(owner, name):
                    # a class keeps a deleted attribute's value in its table until
                    # the slot is reused: overwritten first, the code can be collected
                    setattr(owner, name, None)
                    delattr(owner, name)


_let_go_of_unused()


def _canned(des, status=b"503 Service Unavailable"):
    """An answer made once, sent before anything is allocated for the request."""
    body = b'{"status": "error", "des": "%s"}' % des
    return (b"HTTP/1.0 %s\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (status, len(body), body))


BUSY = _canned(b"busy: too many connections")
LOW_MEMORY = _canned(b"busy: low on memory, try again")
HEAD_TOO_LARGE = _canned(b"request line and headers over 4 KB", b"400 Bad Request")


def error(status, des, headers=None):
    """The JSON error body every endpoint uses."""
    return {"status": "error", "des": des}, status, headers or {}


class HeadReader:
    """The client's stream: the request line and headers read whole first (read_head),
    at most MAX_HEAD bytes, kept in pieces of at most _HEAD_STEP bytes (no big block of
    heap for them); then microdot reads the head line by line, and the body, counted,
    from what came with the head and then from the stream."""

    def __init__(self, stream, scratch):
        self.s = stream
        self.scratch = scratch  # the server's read buffer, _HEAD_STEP bytes
        self.parts = []  # what came, not yet handed out: bytes pieces
        self.pos = 0  # how much of parts[0] is handed out
        self.got = 0  # bytes received with the head
        self.body = 0  # body bytes handed out

    async def read_head(self):
        # wait for the first bytes before any buffer is made: an idle connection (a
        # browser's spare one, a stalled client) holds none
        yield asyncio.core._io_queue.queue_read(self.s.s)
        buf = self.scratch  # shared: each read is copied out before anything else runs
        seen = b""  # the last bytes read, to find the blank line across pieces
        while True:
            got = await self.s.readinto(buf)
            if not got:
                raise OSError("closed before the end of the request head")
            piece = bytes(memoryview(buf)[:got])
            self.parts.append(piece)
            self.got += got
            if (seen + piece).find(b"\r\n\r\n") >= 0:
                return
            if self.got >= MAX_HEAD:
                raise ValueError("request headers too large")
            seen = piece[-3:]

    def _take(self, n, line=False):
        """Up to n bytes of what came (to the end of a line, with line), or b""."""
        out = b""
        while self.parts and n > 0:
            p = self.parts[0]
            end = len(p)
            if line:
                i = p.find(b"\n", self.pos)
                end = end if i < 0 else i + 1
            end = min(end, self.pos + n)
            out += p[self.pos:end]
            n -= end - self.pos
            self.pos = end
            if end == len(p):
                self.parts.pop(0)
                self.pos = 0
            if line and out.endswith(b"\n"):
                break
        return out

    async def readline(self):  # the head only: microdot reads it line by line
        return self._take(MAX_HEAD, True)

    async def readexactly(self, n):
        data = self._take(n)
        self.body += len(data)
        if len(data) < n:
            more = await self.s.readexactly(n - len(data))
            self.body += len(more)
            data += more
        return data

    async def readinto(self, buf):
        data = self._take(len(buf))
        if data:
            buf[:len(data)] = data
            self.body += len(data)
            return len(data)
        n = await self.s.readinto(buf)
        self.body += n or 0
        return n


class Server(Microdot):
    """Microdot, one request at a time: the heap has room for one, not for many."""

    def __init__(self):
        super().__init__()
        self.one_at_a_time = asyncio.Lock()
        self.conns = []  # [writer, client address, since (ticks_ms), head read]
        self.refused = 0  # connections refused: too many
        self.low_memory = 0  # requests refused: too little heap
        self.memory_errors = 0  # requests that ran out of memory (answered 503)
        self.cut_off = 0  # connections closed for not sending or not taking the answer
        self.serving = None  # writer of the request being served
        self.serving_since = 0
        # read through by every connection: a head's bytes are copied out of it before
        # anything else runs; bodies drained and discarded pass through it too
        self._scratch = bytearray(_HEAD_STEP)
        self.families = ()  # (path prefix, module), see find_route()
        self.family = None  # the handler of every family (loads its module per request)
        self.fallback = None  # GET requests nothing else takes (the web UI's files)
        self.big_bodies = {}  # path -> the largest body it takes (read as a stream)

    def find_route(self, req):
        """No regular expressions: the first family whose prefix the path starts with
        (its module, in req.g.family, answers 404 or 405 itself: see allowed()), else
        the fallback for GET."""
        req.url_args = {}
        if req.method == "OPTIONS":
            return self.options_handler(req), "", None
        for start, module in self.families:
            if req.path.startswith(start):
                req.g.family = module
                return self.family, "", None
        return (self.fallback if req.method in ("GET", "HEAD") else 405), "", None

    async def error_response(self, req, status_code, reason=None):
        """microdot's own errors (400, 404, 405, 413) as our JSON error."""
        if status_code == 404:
            des = "not found: " + req.path
        elif status_code == 405:
            des = "method not allowed: %s %s" % (req.method, req.path)
        elif status_code == 413:
            des = "request too large"
        else:  # 400: the request could not be read
            des = "bad request"
        return error(status_code, des)

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
        elif req.content_length > req.max_content_length:  # answered 413
            self._discard(req.stream.s)
        return res

    async def _drain(self, stream, left):
        scratch = memoryview(self._scratch)
        while left > 0:
            n = await stream.readinto(scratch[:min(left, len(scratch))])
            if not n:
                return
            left -= n
            self.progress()

    def _admit(self, peer):
        """Room for a connection from `peer`: at most MAX_PER_CLIENT from it, and
        when MAX_CONNECTIONS are open the oldest that is still sending its head goes."""
        mine = 0
        oldest = None
        for c in self.conns:
            if c[1] == peer:
                mine += 1
            if not c[3] and (oldest is None or time.ticks_diff(oldest[2], c[2]) > 0):
                oldest = c
        if mine >= MAX_PER_CLIENT:
            return False
        if len(self.conns) >= MAX_CONNECTIONS:
            if oldest is None:
                return False
            self._cut(oldest)
        return True

    def _cut(self, conn):
        self.cut_off += 1
        if conn in self.conns:
            self.conns.remove(conn)
        try:
            conn[0].s.close()  # its task wakes up with an error and ends
        except OSError:
            pass

    def _discard(self, reader):
        """Read and drop what the client has sent so far (up to 8 KB, not waiting for
        more), so that closing does not reset the connection before the answer is read."""
        try:
            for _ in range(32):
                if not reader.s.readinto(self._scratch):
                    return
        except (OSError, AttributeError):
            pass

    async def _refuse(self, reader, writer, canned, linger=False):
        """Send a canned answer and hang up. linger: the client may still be sending
        (a head too large): read and drop what comes for a moment first, so that it
        reads the answer instead of a reset connection."""
        self._discard(reader)
        try:
            await writer.awrite(canned)
            if linger:
                for _ in range(16):  # up to 4 KB more, 0.5 s at most
                    if not await asyncio.wait_for_ms(reader.readinto(self._scratch), 500):
                        break
        except (OSError, asyncio.TimeoutError):
            pass
        await _close(writer)

    async def handle_request(self, reader, writer):
        try:  # the client's address: a (host, port) tuple on a board, the raw
            peer = writer.get_extra_info("peername")  # sockaddr bytes on the unix port
            peer = peer[0] if isinstance(peer, tuple) else bytes(peer[4:8])
        except (OSError, TypeError, IndexError, KeyError):
            peer = None
        if not self._admit(peer):
            self.refused += 1
            await self._refuse(reader, writer, BUSY)
            return
        conn = [writer, peer, time.ticks_ms(), False]
        self.conns.append(conn)
        stream = HeadReader(reader, self._scratch)
        try:
            try:
                await stream.read_head()
            except ValueError:
                await self._refuse(reader, writer, HEAD_TOO_LARGE, True)
                return
            conn[3] = True
            async with self.one_at_a_time:
                gc.collect()  # a request needs a few KB: free the holes first
                if gc.mem_free() < MIN_FREE:
                    self.low_memory += 1
                    await self._refuse(reader, writer, LOW_MEMORY)
                    return
                self.serving = writer
                self.serving_since = time.ticks_ms()
                await super().handle_request(stream, writer)
        except MemoryError:  # in microdot's own code: nothing to answer with
            self.memory_errors += 1
            await _close(writer)
        except Exception as e:  # hung up on, cut off, or a bad request head
            if stream.got and conn in self.conns:  # (not a connection that sent nothing)
                print("http: dropped a connection:", repr(e))
            await _close(writer)
        finally:
            self.serving = None
            if conn in self.conns:
                self.conns.remove(conn)

    async def serve(self, host, port):
        """Accept connections for ever (instead of asyncio.start_server, whose accept
        loop ends at the first MemoryError, the server with it): a connection there is
        no heap for is closed and counted, and the next one is tried."""
        import socket

        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(socket.getaddrinfo(host, port)[0][-1])
        s.listen(5)
        s.setblocking(False)
        wait = asyncio.core._io_queue.queue_read
        while True:
            yield wait(s)
            try:
                conn, peer = s.accept()
            except OSError:  # the client went away first
                continue
            except MemoryError:  # (or its socket object did not fit)
                self.memory_errors += 1
                continue
            try:
                conn.setblocking(False)
                stream = asyncio.StreamReader(conn, {"peername": peer})
                asyncio.create_task(self.handle_request(stream, stream))
            except MemoryError:
                self.memory_errors += 1
                conn.close()

    def progress(self):
        """A handler doing long work (reading the SD card) is not a stalled client."""
        self.serving_since = time.ticks_ms()

    async def watchdog(self):
        """Hang up on a client that does not send its head in time, and on one that
        is not done with in REQUEST_TIMEOUT_MS."""
        while True:
            await asyncio.sleep_ms(250)
            now = time.ticks_ms()
            for c in self.conns:
                if not c[3] and time.ticks_diff(now, c[2]) > HEAD_TIMEOUT_MS:
                    self._cut(c)
                    break  # the list changed: the rest next time
            w = self.serving
            if w is not None and time.ticks_diff(now, self.serving_since) > REQUEST_TIMEOUT_MS:
                self.serving = None
                self.cut_off += 1
                await _close(w)


async def _close(writer):
    try:
        await writer.aclose()
    except OSError:
        pass
