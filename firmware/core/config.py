"""config.json: schema, defaults and validation with clear messages.

The file keeps the original firmware's format ({"wifi":…,"network":…}) plus optional
sections. A bad value is reported and replaced by its default; the file itself is
never rewritten here.
"""

from micropython import const

_STR = const("text")
_BOOL = const("true or false")
IP = const("an IPv4 address like 192.168.0.250")
_INT = const("a whole number")
NUM = const("a number")
_HOST = const("a name of letters, digits and '-' (at most 32), like digimon")
_SPAN = const("a whole number from %d to %d")  # limit: (least, most)
_TOPIC = const("a topic name of at most 32 characters, without spaces, '+', '#' or a "
               "'/' at either end")

# (section, key, kind, default, max length or range)
SCHEMA = (
    ("wifi", "ssid", _STR, "", 32),
    ("wifi", "password", _STR, "", 64),
    ("network", "dhcp", _BOOL, True, None),
    ("network", "device_name", _HOST, "digimon", 32),
    ("network", "ip", IP, "192.168.0.250", None),
    ("network", "gateway", IP, "192.168.0.1", None),
    ("network", "subnet", IP, "255.255.255.0", None),
    ("web", "user", _STR, "", 32),
    ("web", "password", _STR, "", 64),
    ("homewizard", "open", _BOOL, False, None),
    ("p1", "baud", _INT, None, (9600, 115200)),  # None: the line is learned (p1.reader)
    # capacity tariff for the UI's cost estimate: the grid operator's rate (the 2023
    # Flemish average, excl. VAT, is the default) and the least peak that is billed
    ("tariff", "eur_per_kw_year", NUM, 40.4, (0, 1000)),
    ("tariff", "minimum_kw", NUM, 2.5, (0, 100)),
    # MQTT to a broker (integrations.mqtt): no host, no MQTT. No port: 1883, or 8883
    # with tls (the broker's CA in mqtt-ca.pem on the SD card)
    ("mqtt", "host", _STR, "", 64),
    ("mqtt", "port", _SPAN, None, (1, 65535)),
    ("mqtt", "user", _STR, "", 64),
    ("mqtt", "password", _STR, "", 64),
    ("mqtt", "prefix", _TOPIC, "digimon", 32),
    ("mqtt", "discovery", _BOOL, True, None),
    ("mqtt", "discovery_prefix", _TOPIC, "homeassistant", 32),
    ("mqtt", "interval_s", _SPAN, 5, (1, 3600)),
    ("mqtt", "tls", _BOOL, False, None),
)


def defaults():
    cfg = {}
    for section, key, _kind, default, _limit in SCHEMA:
        cfg.setdefault(section, {})[key] = default
    return cfg


def _is_ip(v):
    parts = v.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or int(p) > 255:
            return False
    return True


def _is_host(v):
    if not 0 < len(v) <= 32 or v[0] == "-" or v[-1] == "-":
        return False
    for ch in v:
        if not (ch.isalpha() or ch.isdigit() or ch == "-") or ord(ch) > 127:
            return False
    return True


def _check(kind, limit, v):
    """None if v fits, else what is wrong with it."""
    if kind == _BOOL:
        ok = v is True or v is False
    elif kind == _INT:
        ok = type(v) is int and (limit is None or v in limit)
        if type(v) is int and not ok:
            return "must be one of %s" % ", ".join(str(x) for x in limit)
    elif kind == NUM:
        ok = type(v) in (int, float)
        if ok and not limit[0] <= v <= limit[1]:
            return "must be from %s to %s" % limit
    elif kind == _SPAN:
        ok = type(v) is int and limit[0] <= v <= limit[1]
        if not ok:
            return "must be " + kind % limit
    elif kind == _TOPIC:
        ok = type(v) is str and 0 < len(v) <= limit and v[0] != "/" and v[-1] != "/" \
            and v.find(" ") < 0 and v.find("+") < 0 and v.find("#") < 0
    elif kind == IP:
        ok = type(v) is str and _is_ip(v)
    elif kind == _HOST:
        ok = type(v) is str and _is_host(v)
    else:
        ok = type(v) is str
        if ok and limit and len(v) > limit:
            return "is longer than %d characters" % limit
    return None if ok else "must be " + kind


def validate(obj):
    """Parsed JSON -> (config, errors). errors is a list of messages for people."""
    cfg = defaults()
    errors = []
    if not isinstance(obj, dict):
        return cfg, ["config.json must hold a JSON object {...}"]
    known = {}
    for section, key, kind, _default, limit in SCHEMA:
        known.setdefault(section, []).append(key)
        sec = obj.get(section)
        if sec is None:
            continue
        if not isinstance(sec, dict):
            if key == known[section][0]:
                errors.append('"%s" must be an object {...}' % section)
            continue
        if key in sec:
            why = _check(kind, limit, sec[key])
            if why:
                errors.append('"%s.%s" %s; using the default' % (section, key, why))
            else:
                cfg[section][key] = sec[key]
    for section in obj:
        if section not in known:
            errors.append('unknown section "%s" is ignored' % section)
        elif isinstance(obj[section], dict):
            for key in obj[section]:
                if key not in known[section]:
                    errors.append('unknown key "%s.%s" is ignored' % (section, key))
    return cfg, errors


def parse(text):
    """config.json text -> (config, errors); invalid JSON gives the defaults."""
    import json

    try:
        obj = json.loads(text)
    except ValueError:
        from firmware.core import cold

        where = cold.load("firmware.core.jsonerror").json_error(text)  # a broken file only
        return defaults(), ["config.json is not valid JSON (%s); using defaults" % where]
    return validate(obj)


# what the setup page may set: (section, key); a password left empty keeps the saved one
_SETUP_KEYS = const((("wifi", "ssid"), ("wifi", "password"), ("network", "device_name"),
              ("network", "dhcp"), ("network", "ip"), ("network", "gateway"),
              ("network", "subnet"), ("web", "user"), ("web", "password")))


def setup_form(form):
    """The setup page's fields (a parsed JSON object) -> {section: {key: value}} to
    merge into config.json, and a list of what is wrong with them (empty when fine)."""
    if not isinstance(form, dict):
        return {}, ["expected a JSON object {...}"]
    changes = {}
    for section, key in _SETUP_KEYS:
        sec = form.get(section)
        if not isinstance(sec, dict) or key not in sec:
            continue
        v = sec[key]
        if key == "password" and v == "":
            continue  # keep the saved password
        changes.setdefault(section, {})[key] = v
    _cfg, errors = validate(changes)
    ssid = changes.get("wifi", {}).get("ssid")
    if not errors and not ssid:
        errors.append('"wifi.ssid": the name of the WiFi network is needed')
    return changes, [e.replace("; using the default", "") for e in errors]


def merge(obj, changes):
    """config.json's object with changes applied; other sections and keys stay."""
    if not isinstance(obj, dict):
        obj = {}
    for section, values in changes.items():
        if not isinstance(obj.get(section), dict):
            obj[section] = {}
        obj[section].update(values)
    return obj


def pretty(obj):
    """config.json text: one section per line, easy to edit on a computer."""
    import json

    return "{\n" + ",\n".join("  %s: %s" % (json.dumps(k), json.dumps(v))
                               for k, v in obj.items()) + "\n}\n"


def login(cfg):
    """(user, password) for the web UI: web.user/password, else the WiFi SSID and
    password as the original firmware did; None when neither is set."""
    web = cfg["web"]
    if web["user"] and web["password"]:
        return web["user"], web["password"]
    wifi = cfg["wifi"]
    if wifi["ssid"] and wifi["password"]:
        return wifi["ssid"], wifi["password"]
    return None
