# digimon: `make sim` runs the product, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv system sim test build bench screenshots clean

venv: $(STAMP)

# Debian packages the tests drive: headless Chromium for the web UI (Playwright uses the
# system browser, it downloads none). Installed with apt-get only when missing.
APT_PACKAGES := chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

sim: venv
	$(BIN)/digimon sim

test: venv system
	$(BIN)/python -m pytest -q host_tests

build: venv
	$(BIN)/digimon build

bench: venv
	$(BIN)/digimon bench

screenshots: venv system
	$(BIN)/python -m host_tests.screenshots

clean:
	rm -rf build .pytest_cache .hypothesis .mypy_cache
