# Komandor Desktop. `make run` opens the demo window; `make test` runs everything CI runs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
BSTAMP := $(VENV)/.installed-bench

.PHONY: run test quick lint bench bench-scale emulator screenshot clean check-system \
        package wheel bundle deb validate lock icons package-deps

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

# -- installers (README "Install") ----------------------------------------------
# Built in a venv of Debian's own python3 (a self-built or pyenv Python leaves a
# RUNPATH into its build folder in libpython: lintian custom-library-search-path),
# from the hash-pinned packaging/requirements.lock. Outputs go to dist/.
BUILD_PYTHON ?= /usr/bin/python3
BVENV  := build/pkg-venv
BPY    := $(BVENV)/bin/python
BSTAMP := $(BVENV)/.installed-lock
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
DEB     = dist/komandor-desktop_$(VERSION)_$(shell dpkg --print-architecture).deb

$(BSTAMP): packaging/requirements.lock
	rm -rf $(BVENV)
	$(BUILD_PYTHON) -m venv $(BVENV)
	$(BPY) -m pip install -q --require-hashes --no-deps -r packaging/requirements.lock
	@touch $@

package-deps:  # what the build and the validators need from Debian (as root)
	apt-get install -y --no-install-recommends python3-venv dpkg-dev help2man binutils \
	  desktop-file-utils appstream lintian libegl1 libgl1 libfontconfig1 libxkbcommon-x11-0 \
	  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libdbus-1-3

wheel: $(BSTAMP)
	rm -f dist/komandor_desktop-*
	$(BPY) -m build --no-isolation --outdir dist .

bundle: wheel
	$(BPY) -m pip install -q --no-deps --force-reinstall dist/komandor_desktop-$(VERSION)-py3-none-any.whl
	$(BVENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
	  --distpath build/dist --workpath build/pyinstaller packaging/komandor-desktop.spec
	env -u DISPLAY build/dist/komandor-desktop/komandor-desktop --self-test

deb: bundle
	sh packaging/build-deb.sh build/dist/komandor-desktop dist

validate:
	desktop-file-validate resources/ru.komandor.Desktop.desktop
	appstreamcli validate --no-net resources/ru.komandor.Desktop.metainfo.xml
	lintian --fail-on error,warning $(DEB)

package: deb validate  # wheel + sdist, the PyInstaller folder, the .deb; validated
	@ls -l dist/

icons: $(BSTAMP)  # after changing komandor_desktop/resources/icons/app.svg
	$(BPY) packaging/render_icons.py

lock:  # after changing the dependencies in pyproject.toml (uv.lock itself is not kept)
	$(BUILD_PYTHON) -m venv build/uv-venv && build/uv-venv/bin/pip install -q uv
	build/uv-venv/bin/uv lock --python $(BUILD_PYTHON)
	build/uv-venv/bin/uv export --frozen --no-emit-project --no-dev --extra packaging \
	  --format requirements-txt -o packaging/requirements.lock
	build/uv-venv/bin/uv export --frozen --no-emit-project --no-dev \
	  --format requirements-txt -o packaging/requirements-runtime.lock

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
