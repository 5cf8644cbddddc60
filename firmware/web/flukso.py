"""GET /sensor/<id>: the Fluksometer's local real-time API. <id> is the device's
serial (in /about); the answer is the last 60 seconds of net power as
[[unix time, W], ...], "nan" for a second without a telegram, and callback(...)
around it when callback= is given (JSONP). The points come from
integrations.flukso, which the first request starts (the answers have "nan" for the
seconds before it). Loaded per request (core.cold)."""

from microdot import Response
from micropython import const

from firmware.web.reply import chunks
from firmware.web.server import error

_UNIX_2000 = const(946684800)  # 2000-01-01 in unix time
_SECONDS = const(60)  # the points integrations keeps, and its mark of none:
_NONE = const(-0x3FFFFFFF)
_ARGS = const((("interval", "minute"), ("unit", "watt")))
_NAME_MAX = const(64)


def pieces(second, w):
    """The 60 points up to `second` (UTC seconds since 2000) of the ring w
    (integrations.flukso.POINTS), as JSON pieces."""
    last = w[_SECONDS]
    for s in range(second - _SECONDS + 1, second + 1):
        v = w[s % _SECONDS] if last - _SECONDS < s <= last else _NONE
        yield '%s[%d,%s]' % ("," if s > second - _SECONDS + 1 else "[", s + _UNIX_2000,
                             '"nan"' if v == _NONE else v)
    yield "]"


async def handle(request, state, app):
    if request.method not in ("GET", "HEAD"):
        return error(405, "method not allowed: %s %s" % (request.method, request.path))
    if request.path != "/sensor/" + state.serial:
        return error(404, "no such sensor: %s (this device's is %s)" % (
            request.path[8:], state.serial))
    args = request.args
    for name, value in _ARGS:
        if args.get(name) != value:
            return error(400, "the query needs %s=%s" % (name, value))
    version = args.get("version")
    if version is not None and version != "1.0":
        return error(400, "version must be 1.0")
    callback = args.get("callback")
    if callback is not None:  # a JavaScript name (dots allowed): nothing else goes out
        ok = 0 < len(callback) <= _NAME_MAX and not callback[0].isdigit()
        for ch in callback:
            ok = ok and (ch.isalpha() or ch.isdigit() or ch == "_" or ch == "$" or ch == ".") \
                and ord(ch) < 128
        if not ok:
            return error(400, "callback must be a JavaScript function name")
    from firmware.integrations import flukso  # kept (not core.cold): the ring lives on

    if flukso.on_reading not in state.p1.listeners:
        state.p1.listeners.append(flukso.on_reading)  # from now on
    now = flukso.POINTS[_SECONDS]
    if now:  # the newest second, and as many more as have gone by since
        now += (state.p1.age_ms() or 0) // 1000
    body = list(chunks(pieces(now, flukso.POINTS))) if now else ["[]"]
    kind = "application/json"
    if callback:
        body.insert(0, callback + "(")
        body.append(")")
        kind = "application/javascript"
    return Response(iter(body), headers={"Content-Type": kind})
