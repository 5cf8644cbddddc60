"""Where a text stops being JSON, as people read it ("line 3, column 12: expected ','
or '}'"): MicroPython's json says only that it does. Used for a broken config.json."""


def _skip(s, i):
    while i < len(s) and s[i] in " \t\r\n":
        i += 1
    return i


def _expect(s, i, what):
    raise ValueError(i, "expected %s" % what if i < len(s) else "the text ends before %s" % what)


def _string(s, i):
    i += 1
    while i < len(s):
        c = s[i]
        if c == '"':
            return i + 1
        if c == "\\":
            i += 1
            if i >= len(s) or s[i] not in '"\\/bfnrtu':
                raise ValueError(i, "a bad escape after \\")
        elif c < " ":
            raise ValueError(i, "a line break or control character inside a string")
        i += 1
    _expect(s, i, 'the closing "')


def _number(s, i):
    j = i + (s[i] == "-")
    k = j
    while k < len(s) and s[k] in "0123456789+-.eE":
        k += 1
    if k == j or not s[j].isdigit() or (s[j] == "0" and k > j + 1 and s[j + 1].isdigit()):
        raise ValueError(i, "expected a number")
    return k


def _value(s, i, depth=0):
    i = _skip(s, i)
    if i >= len(s):
        _expect(s, i, "a value")
    c = s[i]
    if c in "{[":
        end = "}" if c == "{" else "]"
        i = _skip(s, i + 1)
        if i < len(s) and s[i] == end:
            return i + 1
        while True:
            if c == "{":
                if i >= len(s) or s[i] != '"':
                    _expect(s, i, 'a "key" in double quotes')
                i = _skip(s, _string(s, i))
                if i >= len(s) or s[i] != ":":
                    _expect(s, i, "':' after the key")
                i += 1
            i = _skip(s, _value(s, i, depth + 1))
            if i < len(s) and s[i] == ",":
                i = _skip(s, i + 1)
                continue
            if i < len(s) and s[i] == end:
                return i + 1
            _expect(s, i, "',' or '%s'" % end)
    if c == '"':
        return _string(s, i)
    for word in ("true", "false", "null"):
        if s.startswith(word, i):
            return i + len(word)
    if c == "-" or c.isdigit():
        return _number(s, i)
    raise ValueError(i, "expected a value (text in double quotes, a number, true, false or null)")


def json_error(text):
    """Where and why text is not JSON, as people read it: "line 3, column 12: expected
    ',' or '}'"."""
    try:
        i = _skip(text, _value(text, 0))
        if i >= len(text):
            return "it is not a JSON object"
        raise ValueError(i, "more text after the end")
    except ValueError as e:
        if len(e.args) != 2:
            raise
        i, what = e.args
    line = text.count("\n", 0, i) + 1
    return "line %d, column %d: %s" % (line, i - (text.rfind("\n", 0, i) + 1) + 1, what)
