# Komandor Desktop. `make run` opens the demo window; `make test` runs everything CI runs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
BSTAMP := $(VENV)/.installed-bench

.PHONY: run test quick lint bench bench-scale emulator screenshot clean check-system

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version))."; exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3-venv is missing. Install it with:"; \
	  echo "    sudo apt-get install -y python3-venv"; rm -rf $(VENV); exit 1; }
	$(PY) -m pip install -q --upgrade pip

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install -q -e .
	@touch $@

$(TSTAMP): $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	@touch $@ $(STAMP)

$(BSTAMP): $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install -q -e '.[test,bench]'
	@touch $@ $(TSTAMP) $(STAMP)

check-system:
	@sh scripts/check-system.sh

run: $(STAMP) check-system
	$(VENV)/bin/komandor-desktop --demo

test: $(TSTAMP)
	QT_QPA_PLATFORM=offscreen QT_API=pyside6 $(PY) -m pytest

quick: $(TSTAMP)
	QT_QPA_PLATFORM=offscreen QT_API=pyside6 $(PY) -m pytest -m "not slow" -x -q

lint: $(TSTAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(TSTAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench

# How the cost grows: 1,000 / 10,000 / 50,000 chats (SCALE="--quick", "--sizes ...", "--lift-cap")
bench-scale: $(BSTAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.scale $(SCALE)

emulator: $(STAMP)
	$(VENV)/bin/komandor-emulator --seed demo --simulate

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/komandor-desktop --demo --screenshot docs/screenshot.png

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
