"""The web UI's files from data/, as the build stores them: text files gzipped only."""

import os

from microdot import Response

from firmware.web.server import error

CONTENT_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript", "css": "text/css",
                 "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
                 "ico": "image/x-icon", "txt": "text/plain"}


def _file_exists(path):
    try:
        return os.stat(path)[0] & 0x8000 != 0
    except OSError:
        return False


def static(request, path):
    """A file from data/. The build stores text files gzipped only (flash is small),
    so they go out gzipped; a client that takes no gzip gets them only from a source
    tree that still has the plain file."""
    if ".." in path or path.startswith("/") or "\\" in path:
        return error(400, "bad path")
    name = "data/" + path
    ext = path.rpartition(".")[2]
    ctype = CONTENT_TYPES.get(ext, "application/octet-stream")
    gz = _file_exists(name + ".gz")
    if gz and "gzip" in request.headers.get("Accept-Encoding", ""):
        return Response.send_file(name, content_type=ctype, compressed=True, file_extension=".gz")
    if _file_exists(name):
        return Response.send_file(name, content_type=ctype)
    if gz:
        return error(406, "/%s is stored gzipped: ask with Accept-Encoding: gzip" % path)
    return error(404, "no such file: /" + path)
