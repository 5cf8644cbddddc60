"""DSMR / e-MUCS P1 telegrams: framing with CRC check, and OBIS field parsing.

Pure logic: no I/O, imports under CPython too. The hot path works in preallocated
buffers: a telegram is framed into a bytearray, parsed in place, and its values land
in a preallocated Reading (plain ints, scaled; text as offsets into the telegram).
"""

import gc
from array import array

from micropython import const

from firmware.core import cold

MAX_TELEGRAM = const(4096)

# The field table (core/obis.py): one row per OBIS code; a new meter field is one row
# there. It is parsed once at import into compact arrays below.
KINDS = const(("num", "ts", "tsnum", "text", "raw", "nextline"))
_NUM = const(0)  # the kinds, as KINDS names them
_TS = const(1)
_TSNUM = const(2)
_TEXT = const(3)
_RAW = const(4)
_NEXTLINE = const(5)
_KIND_SLOTS = const((1, 3, 4, 0, 0, 4))  # value slots per kind
_UNITS = const((None, b"kWh", b"kW", b"V", b"A", b"Hz", b"m3"))
_GAS_TYPE = const(3)  # M-Bus device type of a gas meter (0-n:24.1.0)


_OBIS_MAX = const((15, 15, 127, 127, 255))
_OBIS_SEP = const(b"-:..")


def obis_key(buf, i, end):
    """OBIS code A-B:C.D.E in buf[i:end] -> a small int, or -1 if it is not one.

    Packs A(4 bits) B(4) C(7) D(7) E(8) into 30 bits so it stays a small int on the
    board.
    """
    key = 0
    part = 0
    val = -1
    while i < end:
        c = buf[i]
        if 48 <= c <= 57:
            val = (0 if val < 0 else val * 10) + c - 48
            if val > _OBIS_MAX[part]:
                return -1
        elif part < 4 and c == _OBIS_SEP[part] and val >= 0:
            key = key * (_OBIS_MAX[part] + 1) + val
            part += 1
            val = -1
        else:
            return -1
        i += 1
    if part != 4 or val < 0:
        return -1
    key = key * 256 + val
    return key


def _key_of(obis):
    b = obis.encode()
    return obis_key(b, 0, len(b))


def mbus_channel(key):
    """The M-Bus channel 1-4 of a gas / M-Bus OBIS key, else 0."""
    a = key >> 26
    b = (key >> 22) & 15
    c = (key >> 15) & 127
    d = (key >> 8) & 127
    if a == 0 and 1 <= b <= 4 and (c == 24 or (c == 96 and d == 1)):
        return b
    return 0


_CHANNEL_BITS = const(15 << 22)


# Layout, built once from TABLE: per row its name, kind, unit, decimals, first slot.
_names = []
KIND = bytearray()
UNIT = bytearray()  # index into _UNITS
DEC = bytearray()
SLOT = bytearray()  # first value slot of the row in Reading.values
N_SLOTS = 0
_keys = []
_words = cold.load("firmware.core.obis").TABLE.split()  # one list: fewer holes than per line
_i = 0
while _i < len(_words):
    _kind = KINDS.index(_words[_i + 2])
    _wide = _kind in (_NUM, _TSNUM, _NEXTLINE)  # these rows have a unit and decimals
    if _words[_i + 1] in _names:  # another OBIS code for a field: the same row
        _row = _names.index(_words[_i + 1])
    else:
        _row = len(_names)
        _names.append(_words[_i + 1])
        KIND.append(_kind)
        UNIT.append(_UNITS.index(_words[_i + 3].encode()) if _wide and _words[_i + 3] != "-"
                    else 0)
        DEC.append(int(_words[_i + 4]) if _wide else 0)
        SLOT.append(N_SLOTS)
        N_SLOTS += _KIND_SLOTS[_kind]
    _keys.append((_key_of(_words[_i]), _row))
    _i += 5 if _wide else 3
del _words
gc.collect()  # free the table's words before the long-lived arrays below are made
# OBIS keys sorted, with their rows: a binary search finds a line's row.
_keys.sort()
KEYS = array("l", [_k[0] for _k in _keys])
ROWS = bytearray([_k[1] for _k in _keys])
_MBUS = bytes([_k[1] for _k in _keys if mbus_channel(_k[0])])  # the gas meter's rows
N_FIELDS = len(_names)


def _hash(name):
    """FNV-1a of a field name, 16 bits: the table keeps these, not the names."""
    h = 0x811C
    for c in name.encode() if isinstance(name, str) else name:
        h = ((h ^ c) * 0x193) & 0xFFFF
    return h


# The names' hashes in row order (two bytes a field instead of its name: a test checks
# that no two fields share one).
NAME_HASHES = array("H", [_hash(_n) for _n in _names])
del _keys, _i, _kind, _row, _wide, _names, _key_of  # (start-up work only)


def row(name):
    """Row of TABLE for a field name (for the API side; the parser uses row_of)."""
    h = _hash(name)
    for i in range(N_FIELDS):
        if NAME_HASHES[i] == h:
            return i
    raise KeyError(name)


def row_of(key):
    """Row of TABLE for an OBIS key, or -1."""
    lo = 0
    hi = len(KEYS)
    while lo < hi:
        mid = (lo + hi) >> 1
        if KEYS[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return ROWS[lo] if lo < len(KEYS) and KEYS[lo] == key else -1


ROW_TS = row("timestamp")
ROW_GAS_TYPE = row("gas_device_type")
IMPORT = row("total_power_import_kwh")  # its 4 tariffs follow it in the table
EXPORT = row("total_power_export_kwh")
_POW10 = const((1, 10, 100, 1000, 10000))


def total(r, first):
    """An energy register in Wh: the meter's total (row first: 1-0:1.8.0 or 2.8.0) when
    it sends one, else the sum of its tariffs (the 4 rows after it); -1: neither."""
    if r.present[first]:
        return r.values[SLOT[first]]
    wh = -1
    for i in range(first + 1, first + 5):
        if r.present[i]:
            wh = (0 if wh < 0 else wh) + r.values[SLOT[i]]
    return wh


def _real_gas(r):
    """True when the gas rows hold a real reading: a meter id, and a reading time of
    2000-2069 (an empty M-Bus channel sends 0-n:24.2.1(700101010000W)(00000000));
    else they are cleared."""
    named = dated = False
    for i in _MBUS:
        if r.present[i] and KIND[i] == _TEXT:
            named = named or r.text_len[i] > 0
        elif r.present[i] and KIND[i] != _NUM:  # a reading: timestamp yymmdd first
            dated = dated or r.values[SLOT[i]] < 700000
    if named and dated:
        return True
    for i in _MBUS:
        r.present[i] = 0
    return False


TEXT_STORE = const(768)  # the texts a Reading keeps: header, ids, a 13-month 98.1.0 (~600)


class Reading:
    """The values of one telegram, in preallocated storage (no per-telegram dicts).

    present[row] is 1 when the telegram carried that field. Numbers are ints scaled
    by 10**decimals of their row; timestamps are (yymmdd, hhmmss, dst) slots. Text
    fields are (offset, length) in `buf`: the telegram while it is parsed, then `store`
    once keep() has copied them there.
    """

    def __init__(self, store=None):
        self.values = [0] * N_SLOTS
        self.present = bytearray(N_FIELDS)
        self.text_at = array("H", bytes(2 * N_FIELDS))
        self.text_len = array("H", bytes(2 * N_FIELDS))
        self.store = bytearray(TEXT_STORE) if store is None else store
        self.buf = None
        self.header_at = 1
        self.header_len = 0
        self.crc = False  # the telegram carried a CRC (DSMR 4+ / e-MUCS)

    def clear(self):
        p = self.present
        for i in range(len(p)):
            p[i] = 0
        self.header_len = 0
        self.crc = False

    def keep(self):
        """Copy the header and the text fields out of the telegram into the store, so
        the telegram buffer can take the next one."""
        src = memoryview(self.buf)
        dst = self.store
        n = self.header_len
        dst[0:n] = src[self.header_at:self.header_at + n]
        self.header_at = 0
        for r in range(N_FIELDS):
            if self.present[r] and _TEXT <= KIND[r] <= _RAW:
                at = self.text_at[r]
                k = self.text_len[r]
                if n + k > TEXT_STORE:
                    self.present[r] = 0
                    continue
                dst[n:n + k] = src[at:at + k]
                self.text_at[r] = n
                n += k
        self.buf = dst

    def has(self, name):
        return self.present[row(name)] == 1

    def get(self, name, slot=0):
        """Scaled int value of a numeric field (slot 3 of a tsnum is its value)."""
        return self.values[SLOT[row(name)] + slot]

    def text_of(self, name):
        r = row(name)
        at = self.text_at[r]
        return bytes(self.buf[at:at + self.text_len[r]]).decode()



def smr_version(r):
    """The DSMR version (50 for 5.0) from 1-3:0.2.8, or from a Belgian 0-0:96.1.4."""
    if r.has("smr_version"):
        return r.get("smr_version")
    if r.has("smr_version_be"):  # 0-0:96.1.4 (50217) -> 50
        v = r.get("smr_version_be")
        while v >= 100:
            v //= 10
        return v
    return None


def meter_model(r):
    """The header after the manufacturer, baud digit and '\\2': FLU5\\253769484_A -> 53769484_A."""
    h = bytes(r.buf[r.header_at:r.header_at + r.header_len]).decode()
    return h[6:] if h[4:5] == "\\" else h[4:]


# ---- CRC-16/ARC (poly 0x8005 reflected = 0xA001, init 0, no final XOR) ----
# A table per 4 bits (16 entries): two lookups per byte, 32 bytes instead of 512.
_CRC4 = array("H", (0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
                    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400))


def crc16(buf, n=None):
    """CRC-16/ARC of buf[0:n]."""
    crc = 0
    t = _CRC4
    for i in range(len(buf) if n is None else n):
        crc ^= buf[i]
        crc = (crc >> 4) ^ t[crc & 15]
        crc = (crc >> 4) ^ t[crc & 15]
    return crc


def _plain(buf, end):
    """A telegram without a CRC, buf[0:end] up to its '!', is well formed: the header
    ('/', the maker's XXX, the baud rate digit: the digit is checked), an empty line,
    then lines of an OBIS code and (values), or of one (value) that continues the
    line before (DSMR 2.2 gas), each ending in ')' CR LF; the '!' begins a line."""
    i = start = buf.find(b"\r\n", 0, end) + 4  # past the header and the empty line
    if start < 9 or buf[start - 2] != 13 or buf[start - 1] != 10 or not 48 <= buf[4] <= 57:
        return False
    while i < end:
        e = buf.find(b"\r\n", i, end)
        p = buf.find(b"(", i, e)
        if e < 0 or p < 0 or buf[e - 1] != 41 or buf.find(b"\n", i, e) >= 0 \
                or p > i and obis_key(buf, i, p) < 0:
            return False
        i = e + 2
    return i == end and end > start


# ---- Framer ----
_IDLE = const(0)  # waiting for '/'
_BODY = const(1)  # collecting until '!'
_CHECK = const(2)  # collecting the CRC line after '!'


class Framer:
    """Finds telegrams in a byte stream: '/' ... '!' CRC CR LF.

    Resyncs on every '/', caps a telegram at `size` bytes and checks the CRC-16/ARC.
    DSMR 2.2/3 meters send no CRC: until the line has delivered a telegram with a
    good CRC, a telegram without one counts when it is well formed (_plain); from
    then on every telegram needs its CRC. Bit 7 is masked on 7E1 lines. Feed it
    chunks; when `ready` is set, buf[0:length] holds one checked telegram (call
    done() after using it). Nothing buffered is ever thrown away between telegrams:
    feed() returns where it stopped in the chunk.
    """

    def __init__(self, size=MAX_TELEGRAM, mask7=False):
        self.buf = bytearray(size)
        self.size = size
        self.mask7 = mask7
        self.crc_required = False  # set once the line delivered a telegram with a CRC
        self.state = _IDLE
        self.n = 0  # bytes collected
        self.bang = 0  # index of '!' in buf
        self.ready = False
        self.length = 0
        self.held = 0  # length of the last good telegram while buf still holds it, else 0
        self.good = 0
        self.bad = 0  # CRC mismatch, broken framing, missing CRC
        self.oversize = 0
        self._chunk = self._view = None

    def done(self):
        self.ready = False

    def feed(self, chunk, pos, end):
        """Consume chunk[pos:end] up to and including the end of one telegram.

        Returns the index where it stopped; check `ready` after each call.
        """
        if self.mask7:
            for i in range(pos, end):
                chunk[i] &= 0x7F
        buf = self.buf
        while pos < end:
            if self.state == _IDLE:
                i = chunk.find(b"/", pos, end)
                if i < 0:
                    return end
                buf[0] = 0x2F
                self.n = 1
                self.held = 0
                self.state = _BODY
                pos = i + 1
            elif self.state == _BODY:
                bang = chunk.find(b"!", pos, end)
                stop = end if bang < 0 else bang + 1
                slash = chunk.find(b"/", pos, stop)
                if slash >= 0:  # a new telegram began before this one ended
                    self.bad += 1
                    self.state = _IDLE
                    pos = slash
                    continue
                if not self._append(chunk, pos, stop):
                    pos = stop
                    continue
                pos = stop
                if bang >= 0:
                    self.bang = self.n - 1
                    self.state = _CHECK
            else:  # _CHECK: up to 4 hex digits, CR, LF
                nl = chunk.find(b"\n", pos, end)
                stop = end if nl < 0 else nl + 1
                slash = chunk.find(b"/", pos, stop)
                if slash >= 0:
                    self.bad += 1
                    self.state = _IDLE
                    pos = slash
                    continue
                if self.n + stop - pos > self.bang + 7:
                    self.bad += 1
                    self.state = _IDLE
                    pos = stop
                    continue
                self._append(chunk, pos, stop)
                pos = stop
                if nl >= 0:
                    self.state = _IDLE
                    if self._check():
                        self.good += 1
                        self.length = self.held = self.n
                        self.ready = True
                        return pos
                    self.bad += 1
        return pos

    def _append(self, chunk, pos, stop):
        n = self.n
        k = stop - pos
        if n + k > self.size:
            self.oversize += 1
            self.state = _IDLE
            return False
        if chunk is not self._chunk:  # (the reader's, always: one view of it)
            self._chunk = chunk
            self._view = memoryview(chunk)
        self.buf[n:n + k] = self._view[pos:stop]
        self.n = n + k
        return True

    def _check(self):
        """Validate the line after '!': 4 hex digits of CRC, or nothing (DSMR 2.2/3)."""
        buf = self.buf
        b = self.bang
        digits = self.n - b - 1
        if buf[self.n - 2] == 13:
            digits -= 2
        else:
            digits -= 1
        if digits == 0:  # no CRC: '!' CR LF, and a line that never sent one
            return self.n - b == 3 and not self.crc_required and _plain(buf, b)
        if digits != 4:
            return False
        sent = 0
        for i in range(b + 1, b + 5):
            c = buf[i] | 0x20  # a hex digit, either case
            if 48 <= c <= 57:
                c -= 48
            elif 97 <= c <= 102:
                c -= 87
            else:
                return False
            sent = sent * 16 + c
        if crc16(buf, b + 1) != sent:
            return False
        self.crc_required = True
        return True


# ---- Parser ----
def _num(buf, i, end, unit, dec):
    """Parse 'digits[.digits][*unit]' in buf[i:end] -> int scaled by 10**dec, or None."""
    val = 0
    neg = False
    digits = 0
    frac = -1
    if i < end and buf[i] == 45:  # '-'
        neg = True
        i += 1
    while i < end:
        c = buf[i]
        if 48 <= c <= 57:
            if frac < dec:
                val = val * 10 + c - 48
                if frac >= 0:
                    frac += 1
            digits += 1
        elif c == 46 and frac < 0:  # '.'
            frac = 0
        elif c == 42:  # '*'
            break
        else:
            return None
        i += 1
    if digits == 0 or digits > 15:
        return None
    if frac < 0:
        frac = 0
    val *= _POW10[dec - frac]
    if i < end:  # '*unit': must match the table, ignoring case
        if unit is None:
            return None
        i += 1
        if end - i != len(unit):
            return None
        for k in range(len(unit)):
            if buf[i + k] | 0x20 != unit[k] | 0x20:
                return None
    return -val if neg else val


def _ts(buf, i, end, values, slot):
    """'YYMMDDhhmmssX' in buf[i:end] -> values[slot:slot+3]. False if malformed.

    Without the S/W flag (DSMR 2.2 gas) dst is -1: unknown.
    """
    if not 12 <= end - i <= 13:
        return False
    date = 0
    time = 0
    for k in range(12):
        c = buf[i + k] - 48
        if not 0 <= c <= 9:
            return False
        if k < 6:
            date = date * 10 + c
        else:
            time = time * 10 + c
    flag = buf[i + 12] if end - i == 13 else 0  # S or W, as DSMR (and dsmr_parser) say
    if flag == 0:
        dst = -1
    elif flag == 83:  # 'S'
        dst = 1
    elif flag == 87:  # 'W'
        dst = 0
    else:
        return False
    mm = date // 100 % 100
    dd = date % 100
    if not (1 <= mm <= 12 and 1 <= dd <= 31 and time // 10000 < 24
            and time // 100 % 100 < 60 and time % 100 < 60):
        return False
    values[slot] = date
    values[slot + 1] = time
    values[slot + 2] = dst
    return True


class Parser:
    """Parses a framed telegram into a Reading, field by field from TABLE."""

    def __init__(self):
        self.field_errors = 0  # lines whose value did not fit their row (unit, format)

    def parse(self, buf, n, r):
        """Fill Reading r from buf[0:n]. Returns True when the telegram is usable.

        Unknown OBIS codes are skipped. A telegram with a CRC must carry the meter's
        timestamp (0-0:1.0.0); DSMR 2.2/3 telegrams have none.
        """
        r.clear()
        eol = buf.find(b"\n", 0, n)
        if eol < 0 or buf[0] != 0x2F:
            return False
        hl = eol - 1
        if hl > 0 and buf[hl] == 13:
            hl -= 1
        r.buf = buf
        r.header_at = 1
        r.header_len = hl
        bang = buf.find(b"!", 0, n)
        r.crc = bang >= 0 and n - bang > 4
        skip_ch = 0  # M-Bus channels (bits) that are not a gas meter
        gas_ch = 0  # the M-Bus channel whose values the gas rows hold
        real = False  # ... and they are a real reading: later channels are ignored
        pending = -1  # row whose value is on the next line (DSMR 2.2 gas)
        i = eol + 1
        while i < bang:
            e = buf.find(b"\n", i, bang)
            if e < 0:
                e = bang
            end = e - 1 if e > i and buf[e - 1] == 13 else e
            if pending >= 0 and i < end and buf[i] == 40:  # '(' continuation
                v = _num(buf, i + 1, end - 1, _UNITS[UNIT[pending]], DEC[pending])
                if v is not None and buf[end - 1] == 41:
                    r.values[SLOT[pending] + 3] = v
                    r.present[pending] = 1
                else:
                    self.field_errors += 1
                pending = -1
                i = e + 1
                continue
            pending = -1
            p = buf.find(b"(", i, end)
            if p > i:
                key = obis_key(buf, i, p)
                ch = mbus_channel(key) if key >= 0 else 0
                if ch:  # the table has M-Bus rows on channel 1
                    key = (key & ~_CHANNEL_BITS) | (1 << 22)
                row = row_of(key) if key >= 0 else -1
                if row >= 0 and ch and ch != gas_ch:  # (a meter's channels come one by one)
                    if skip_ch >> ch & 1:
                        row = -1  # not a gas meter
                    elif gas_ch and (real or _real_gas(r)):
                        real = True
                        row = -1  # the gas meter was found on an earlier channel
                    else:  # the earlier channel (if any) had no real reading: this one
                        gas_ch = ch
                if row >= 0:
                    res = self._field(buf, p, end, row, r)
                    if res < 0:
                        self.field_errors += 1
                    elif row == ROW_GAS_TYPE and r.values[SLOT[row]] != _GAS_TYPE:
                        skip_ch |= 1 << ch  # a water or heat meter (its type comes first)
                        r.present[row] = 0
                        gas_ch = 0
                    if res == 2:
                        pending = row
            i = e + 1
        if not real:
            _real_gas(r)  # an empty channel is no gas meter
        if r.crc and not r.present[ROW_TS]:
            return False
        return True

    def _field(self, buf, p, end, row, r):
        """Store one line's value. 1 stored, 2 value on the next line, -1 malformed."""
        kind = KIND[row]
        unit = _UNITS[UNIT[row]]
        dec = DEC[row]
        if buf[end - 1] != 41:  # ')'
            return -1
        values = r.values
        slot = SLOT[row]
        if kind == _NUM:
            v = _num(buf, p + 1, end - 1, unit, dec)
            if v is None:
                return -1
            values[slot] = v
        elif kind == _TS:
            if not _ts(buf, p + 1, end - 1, values, slot):
                return -1
        elif kind == _TSNUM:
            q = buf.find(b")(", p, end)
            if q < 0 or not _ts(buf, p + 1, q, values, slot):
                return -1
            v = _num(buf, q + 2, end - 1, unit, dec)
            if v is None:
                return -1
            values[slot + 3] = v
        elif kind == _NEXTLINE:  # (YYMMDDhhmmss)(..)..: 2.2 has no S/W flag
            if not _ts(buf, p + 1, p + 13, values, slot):
                return -1
            return 2
        else:
            start = p if kind == _RAW else p + 1
            r.text_at[row] = start
            r.text_len[row] = (end if kind == _RAW else end - 1) - start
        r.present[row] = 1
        return 1
