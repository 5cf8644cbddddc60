"""The web UI's files from data/, as the build stores them: text files gzipped only,
with a 512-byte window, so that a client that takes no gzip gets them decompressed on
the way for a few hundred bytes of heap. Loaded per request (core.cold)."""

import os

from microdot import Response

from firmware.web.server import error

CONTENT_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript", "css": "text/css",
                 "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
                 "ico": "image/x-icon", "txt": "text/plain"}
WINDOW_BITS = 9  # the build's gzip window (tools/digimon/build.py): 512 bytes


def _file_exists(path):
    try:
        return os.stat(path)[0] & 0x8000 != 0
    except OSError:
        return False


def takes_gzip(header):
    """Whether a client with this Accept-Encoding takes gzip (RFC 9110 12.5.3: no
    header means any coding; gzip or * with a q other than 0 counts)."""
    if header is None:
        return True
    star = False
    for part in header.split(","):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        q = params.strip()
        ok = not q.startswith("q=") or q[2:].strip() not in ("0", "0.0", "0.00", "0.000")
        if name in ("gzip", "x-gzip"):
            return ok
        if name == "*":
            star = ok
    return star


def static(request, path):
    """A file from data/: gzipped to a client that takes it, else decompressed on the
    way (or the plain file of a source tree)."""
    if ".." in path or path.startswith("/") or "\\" in path:
        return error(400, "bad path")
    name = "data/" + path
    ctype = CONTENT_TYPES.get(path.rpartition(".")[2], "application/octet-stream")
    gz = _file_exists(name + ".gz")
    if gz and takes_gzip(request.headers.get("Accept-Encoding")):
        return Response.send_file(name, content_type=ctype, compressed=True, file_extension=".gz")
    if _file_exists(name):
        return Response.send_file(name, content_type=ctype)
    if gz:
        import deflate

        body = deflate.DeflateIO(open(name + ".gz", "rb"), deflate.GZIP, WINDOW_BITS)
        return Response(body, headers={"Content-Type": ctype})
    return error(404, "no such file: /" + path)
