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
