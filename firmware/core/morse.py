"""Morse code: text -> LED on/off durations, in the ITU timing.

A dot is one unit on, a dash three; one unit off between the marks of a letter, three
between letters, seven between words.
"""

from micropython import const

# letters and digits, as data: " a.-" means 'a' is dot dash (a string, not a dict: less heap)
TABLE = const((" a.- b-... c-.-. d-.. e. f..-. g--. h.... i.. j.--- k-.- l.-.. m-- n-. o--- p.--."
         " q--.- r.-. s... t- u..- v...- w.-- x-..- y-.-- z--.. 0----- 1.---- 2..--- 3...--"
         " 4....- 5..... 6-.... 7--... 8---.. 9----. "))

_DOT = const(1)
_DASH = const(3)
_MARK_GAP = const(1)
_LETTER_GAP = const(3)
WORD_GAP = const(7)


def code(ch):
    """The dots and dashes of one character, e.g. "-.-." for 'c'."""
    i = TABLE.find(" " + ch) if ch not in " .-" else -1
    if i < 0:
        raise ValueError("no Morse code for %r" % ch)
    return TABLE[i + 2:TABLE.index(" ", i + 2)]


def units(text):
    """Yield (on, units) for text, case-insensitive, ending with a mark (the caller turns
    the LED off after it). A character without a code is a ValueError, raised before
    anything is yielded."""
    words = text.lower().split()
    for w in words:
        for ch in w:
            code(ch)
    for wi, w in enumerate(words):
        if wi:
            yield False, WORD_GAP
        for ci, ch in enumerate(w):
            if ci:
                yield False, _LETTER_GAP
            for mi, mark in enumerate(code(ch)):
                if mi:
                    yield False, _MARK_GAP
                yield True, _DOT if mark == "." else _DASH
