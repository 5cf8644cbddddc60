"""The status LED as the unix board records it (a timeline file of its changes), read
back as Morse words."""

from firmware.core import morse

UNIT_MS = 150  # firmware/device/led.py


def led_spans(dev):
    """[(on, ms), ...] between the LED's changes, from the unix board's timeline file."""
    if not dev.led.exists():
        return []
    rows = [line.split() for line in dev.led.read_text().splitlines()]
    times = [(int(t), v == "1") for t, v in rows]
    return [(on, t1 - t0) for (t0, on), (t1, _) in zip(times, times[1:])]


def decode(spans):
    """The Morse words in a timeline: marks and gaps measured in units (a dot is under
    two, a letter gap three, a word or pause seven and more)."""
    words, letter, word = [], "", ""
    for on, ms in spans:
        u = ms / UNIT_MS
        if on:
            letter += "." if u < 2 else "-"
        elif u >= 2:
            word += {v: k for k, v in codes().items()}.get(letter, "?")
            letter = ""
            if u >= 5:
                words.append(word)
                word = ""
    if letter:  # the last word, while its gap has not ended yet
        words.append(word + {v: k for k, v in codes().items()}.get(letter, "?"))
    return words


def codes():
    return {ch: morse.code(ch) for ch in "abcdefghijklmnopqrstuvwxyz0123456789"}


def morse_words(dev):
    """The words the LED said, leaving out the blinks per telegram (shorter than a dot)."""
    spans = []
    for on, ms in led_spans(dev):
        if on and ms < UNIT_MS / 2:
            on = False  # a blink: dark, as it is for reading the code
        if spans and not on and not spans[-1][0]:
            spans[-1] = (False, spans[-1][1] + ms)
        else:
            spans.append((on, ms))
    return decode(spans)
