# digimon: `make sim` runs the product, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv system mp32 mp32-build sim test build bench screenshots clean

venv: $(STAMP)

# Debian packages, installed with apt-get only when missing: headless Chromium for the
# web UI tests (Playwright uses the system browser, it downloads none), mosquitto, the
# MQTT broker the tests start, and gcc-multilib for the 32-bit MicroPython below.
APT_PACKAGES := chromium mosquitto gcc-multilib
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi
endef
system:
	$(call apt_install,$(APT_PACKAGES))

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# The board stand-in: MicroPython v1.28.0's unix port built 32-bit from ../shared (the
# board's object sizes; see ../shared/micropython/README.md). Without ../shared (a
# user's own clone) the firmware runs on the 64-bit MicroPython wheel in .venv.
MP_TAR := ../shared/micropython/micropython-1.28.0-src.tar.gz
MP32 := build/mp32/micropython
MP32_SRC := build/mp32/src/micropython-1.28.0
ifneq ($(wildcard $(MP_TAR)),)
mp32: $(MP32)
else
mp32:
	@echo "no $(MP_TAR): the firmware runs on the 64-bit MicroPython wheel (its heap figures are not the board's)"
endif

# Rebuilt when the tarball's content changes, not its date (a new copy of ../shared is
# newer than the build, the same source): build/mp32/source.sha256 says what was built.
MP32_SUM := build/mp32/source.sha256
$(MP32): $(MP_TAR)
	@if [ -x $@ ] && [ -x $(MP32_SRC)/mpy-cross/build/mpy-cross ] && \
	  sha256sum --status -c $(MP32_SUM) 2>/dev/null; then touch $@; \
	else $(MAKE) --no-print-directory mp32-build; fi

mp32-build:
	$(call apt_install,gcc-multilib)
	rm -rf build/mp32/src && mkdir -p build/mp32/src
	tar xzf $(MP_TAR) -C build/mp32/src
	printf 'include("$$(MPY_DIR)/extmod/asyncio")\n' > $(MP32_SRC)/frozen.py
	@echo "building the 32-bit MicroPython 1.28.0 unix port (log: build/mp32/build.log)"
	$(MAKE) -s -C $(MP32_SRC)/mpy-cross -j2 > build/mp32/build.log 2>&1
	$(MAKE) -s -C $(MP32_SRC)/ports/unix -j2 VARIANT=standard CFLAGS_EXTRA=-m32 LDFLAGS_EXTRA=-m32 \
	  MICROPY_PY_FFI=0 MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 MICROPY_SSL_AXTLS=0 \
	  MICROPY_SSL_MBEDTLS=0 MICROPY_PY_BLUETOOTH=0 FROZEN_MANIFEST=$(abspath $(MP32_SRC))/frozen.py \
	  BUILD=build-32 >> build/mp32/build.log 2>&1
	cp $(MP32_SRC)/ports/unix/build-32/micropython $(MP32).new && mv $(MP32).new $(MP32)
	sha256sum $(MP_TAR) > $(MP32_SUM)
	$(MP32) -c "import sys; print('built', sys.implementation.name, sys.implementation.version, '32-bit' if sys.maxsize < 2**32 else '64-bit')"

sim: venv mp32
	$(BIN)/digimon sim

test: venv system mp32
	$(BIN)/python -m pytest -q host_tests

build: venv
	$(BIN)/digimon build

bench: venv system mp32
	$(BIN)/digimon bench

screenshots: venv system mp32
	$(BIN)/python -m host_tests.screenshots

clean:
	rm -rf build .pytest_cache .hypothesis .mypy_cache
