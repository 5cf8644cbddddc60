"""config.json validation. Runs under CPython (pytest) and the MicroPython unix port
(host_tests/mp_run.py): plain asserts, no pytest imports."""

from firmware.core import config


def test_tariff_defaults():
    cfg, errors = config.parse("{}")
    assert errors == []
    assert cfg["tariff"] == {"eur_per_kw_year": 40.4, "minimum_kw": 2.5}


def test_tariff_takes_whole_and_decimal_numbers():
    cfg, errors = config.parse('{"tariff": {"eur_per_kw_year": 53, "minimum_kw": 2.75}}')
    assert errors == []
    assert cfg["tariff"] == {"eur_per_kw_year": 53, "minimum_kw": 2.75}


def test_bad_tariff_values_are_named_and_replaced_by_defaults():
    cfg, errors = config.parse('{"tariff": {"eur_per_kw_year": "53", "minimum_kw": -1}}')
    assert cfg["tariff"] == {"eur_per_kw_year": 40.4, "minimum_kw": 2.5}
    assert len(errors) == 2
    assert '"tariff.eur_per_kw_year" must be a number' in errors[0]
    assert '"tariff.minimum_kw" must be from 0 to 100' in errors[1]


def test_true_is_not_a_number():
    cfg, errors = config.parse('{"tariff": {"minimum_kw": true}}')
    assert cfg["tariff"]["minimum_kw"] == 2.5 and len(errors) == 1


def test_mqtt_is_off_by_default():
    cfg, errors = config.parse("{}")
    assert errors == []
    assert cfg["mqtt"] == {"host": "", "port": None, "user": "", "password": "",
                           "prefix": "digimon", "discovery": True,
                           "discovery_prefix": "homeassistant", "interval_s": 5, "tls": False}


def test_mqtt_takes_a_whole_section():
    cfg, errors = config.parse(
        '{"mqtt": {"host": "broker.lan", "port": 8883, "user": "p1", "password": "pw",'
        ' "prefix": "home/meters", "discovery": false, "discovery_prefix": "ha",'
        ' "interval_s": 60, "tls": true}}')
    assert errors == []
    assert cfg["mqtt"] == {"host": "broker.lan", "port": 8883, "user": "p1", "password": "pw",
                           "prefix": "home/meters", "discovery": False,
                           "discovery_prefix": "ha", "interval_s": 60, "tls": True}


def test_bad_mqtt_values_are_named_and_replaced_by_defaults():
    cfg, errors = config.parse(
        '{"mqtt": {"host": "10.0.0.2", "port": 0, "interval_s": 2.5, "prefix": "a/#",'
        ' "discovery_prefix": "/ha", "tls": "yes", "retain": true}}')
    assert cfg["mqtt"]["host"] == "10.0.0.2"
    assert cfg["mqtt"]["port"] is None and cfg["mqtt"]["interval_s"] == 5
    assert cfg["mqtt"]["prefix"] == "digimon" and cfg["mqtt"]["tls"] is False
    assert cfg["mqtt"]["discovery_prefix"] == "homeassistant"
    assert len(errors) == 6, errors
    assert '"mqtt.port" must be a whole number from 1 to 65535' in errors[0]
    assert '"mqtt.prefix" must be a topic name' in errors[1]
    assert '"mqtt.discovery_prefix" must be a topic name' in errors[2]
    assert '"mqtt.interval_s" must be a whole number from 1 to 3600' in errors[3]
    assert '"mqtt.tls" must be true or false' in errors[4]
    assert 'unknown key "mqtt.retain" is ignored' in errors[5]


def test_mqtt_topic_names_have_a_length_limit():
    cfg, errors = config.parse('{"mqtt": {"prefix": "%s"}}' % ("p" * 33))
    assert cfg["mqtt"]["prefix"] == "digimon" and len(errors) == 1
