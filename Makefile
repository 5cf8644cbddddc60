# digimon: `make sim` runs the product, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv sim test build bench clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

sim: venv
	$(BIN)/digimon sim

test: venv
	$(BIN)/python -m pytest -q host_tests

build: venv
	$(BIN)/digimon build

bench: venv
	$(BIN)/digimon bench

clean:
	rm -rf build .pytest_cache .hypothesis .mypy_cache
