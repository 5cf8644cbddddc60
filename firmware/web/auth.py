"""HTTP Basic auth: constant-time credential check, backoff after bad logins."""

import binascii
import hashlib

from micropython import const

_MAX_FAILS = const(5)  # after this many bad logins in a row, each answer is delayed
_DELAY_MS = const(1000)  # per failed attempt beyond _MAX_FAILS, capped at _MAX_DELAY_MS
_MAX_DELAY_MS = const(8000)


def _digest(b):
    return hashlib.sha256(b).digest()


def same(a, b):
    """Compare two byte strings in time independent of where they differ."""
    x = _digest(a)
    y = _digest(b)
    d = 0
    for i in range(len(x)):
        d |= x[i] ^ y[i]
    return d == 0


def decode(header):
    """'Basic base64(user:pass)' -> (user, password) as bytes, or None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        raw = binascii.a2b_base64(header[6:].strip())
    except ValueError:
        return None
    user, sep, password = raw.partition(b":")
    if not sep:
        return None
    return user, password


class Guard:
    """Checks Authorization headers against one login, counting failures."""

    def __init__(self, login):
        self.login = None if login is None else (login[0].encode(), login[1].encode())
        self.fails = 0

    def check(self, header):
        cred = decode(header)
        if self.login is None or cred is None:
            return False
        ok = same(cred[0], self.login[0]) & same(cred[1], self.login[1])
        self.fails = 0 if ok else self.fails + 1
        return ok

    def delay_ms(self):
        """How long to hold back the answer to a failed login."""
        over = self.fails - _MAX_FAILS
        return 0 if over <= 0 else min(over * _DELAY_MS, _MAX_DELAY_MS)
