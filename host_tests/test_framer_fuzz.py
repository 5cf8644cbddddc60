"""Hypothesis fuzzing of the framer and parser: random bytes, truncation, bit flips.

Never a crash; a telegram that comes out is always one that went in, byte for byte.
"""

from hypothesis import given, settings, strategies as st

from firmware.core import dsmr
from host_tests.core.samples import TELEGRAMS
from host_tests.core.test_dsmr_core import frame_all

CRC_TELEGRAMS = [TELEGRAMS[p] for p in ("be", "nl5", "nl4")]
settings.register_profile("ci", max_examples=300, deadline=None)
settings.load_profile("ci")


@given(st.binary(max_size=6000), st.integers(1, 700))
def test_random_bytes_never_crash(data, step):
    f, out = frame_all(data, step)
    for tel, r in out:  # anything framed from noise passed its CRC check
        assert tel.startswith(b"/")


@given(st.binary(max_size=300), st.sampled_from(CRC_TELEGRAMS), st.binary(max_size=300),
       st.integers(1, 600))
def test_a_telegram_survives_any_surrounding_noise(before, tel, after, step):
    before = before.replace(b"/", b"")  # a '/' would (rightly) start a telegram there
    f, out = frame_all(before + tel + after.replace(b"/", b""), step)
    assert [t for t, r in out] == [tel]
    assert out[0][1] is not None


@given(st.sampled_from(CRC_TELEGRAMS), st.lists(st.integers(0, 10**6), min_size=1, max_size=3),
       st.integers(1, 600))
def test_bit_flips_are_never_accepted(tel, flips, step):
    bad = bytearray(tel)
    for x in flips:
        bad[x % len(bad)] ^= 1 << (x // len(bad) % 8)
    f, out = frame_all(bytes(bad) + tel, step)
    telegrams = [t for t, r in out]
    crc = tel.rindex(b"!") + 1
    if bad[:crc] == tel[:crc] and bad[crc:].upper() == tel[crc:]:
        # flips that cancel out, or a CRC letter's case (b9F4 is B9F4): nothing is damaged
        assert telegrams == [bytes(bad), tel]
    else:
        assert telegrams == [tel]  # the damaged one is dropped, the next still read


@given(st.sampled_from(CRC_TELEGRAMS), st.integers(0, 10**6), st.integers(1, 600))
def test_truncated_telegrams_are_dropped(tel, cut, step):
    part = tel[:cut % (len(tel) - 1)]
    f, out = frame_all(part + tel, step)
    assert [t for t, r in out] == [tel]


@given(st.lists(st.sampled_from(CRC_TELEGRAMS), min_size=1, max_size=6), st.integers(1, 900))
def test_streams_of_telegrams_lose_nothing(tels, step):
    f, out = frame_all(b"".join(tels), step)
    assert [t for t, r in out] == tels
    assert f.bad == 0 and f.oversize == 0


@given(st.binary(min_size=1, max_size=200))
def test_parser_survives_garbage_lines(junk):
    body = TELEGRAMS["be"].split(b"!")[0]
    cut = body.find(b"1-0:1.7.0")
    text = body[:cut] + junk.replace(b"!", b"").replace(b"/", b"") + b"\r\n" + body[cut:] + b"!"
    r = dsmr.Reading()
    dsmr.Parser().parse(bytearray(text), len(text), r)  # must not raise
