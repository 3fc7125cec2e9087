# Zhucan — two commands do everything on a fresh machine:
#   make demo   run the platform with demo data on SQLite at http://127.0.0.1:$(PORT)
#   make test   run the whole test suite on SQLite and on PostgreSQL (PG_URL, by default 127.0.0.1:5432)

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
PG_URL ?= postgres://postgres@127.0.0.1:5432/zhucan
# The demo runs on a simulated clock starting at today's 11:00 (Asia/Shanghai) so that the cashier
# page sells inside the lunch period whenever the demo is shown. DEMO_CLOCK=real uses real time.
# One clock for everything the demo shows: the seed, the web server, the worker and the simulated
# lunch all read ZHUCAN_CLOCK_START relative to the same real moment (ZHUCAN_CLOCK_ANCHOR).
# DEBUG is off (Chinese error pages); WhiteNoise serves the static files from the app folders.
DEMO_CLOCK ?= 11:00
PYTEST_ARGS ?=

.PHONY: demo test test-sqlite test-postgres lint venv system-deps bench messages clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	  echo "Zhucan needs Python 3.11; '$(PYTHON)' is not. Install it or set PYTHON=/path/to/python3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps -c constraints.txt face-recognition==1.3.0
	@touch $@

# Debian packages the platform and its tests need: Chromium for the browser tests; a CJK font and
# WeasyPrint's libraries (Pango, HarfBuzz with its subsetter) for Chinese PDFs; gettext for the
# translations. Installed only when missing (needs root, as on CI). Another apt (unattended upgrades,
# a second session) may hold the package locks: apt-get install waits for dpkg's lock by itself
# (DPkg::Lock::Timeout), but apt-get update fails at once on the package lists' lock, so it is tried
# again until the lock is free or APT_LOCK_TIMEOUT seconds have passed.
APT_LOCK_TIMEOUT ?= 300
DEBIAN_PACKAGES := chromium ffmpeg fonts-noto-cjk fontconfig gettext libpango-1.0-0 libpangoft2-1.0-0 \
	libharfbuzz0b libharfbuzz-subset0 libfontconfig1
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  apt="$$SUDO env LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_TIMEOUT)"; \
	  deadline=$$(( $$(date +%s) + $(APT_LOCK_TIMEOUT) )); \
	  until out=$$($$apt update -qq 2>&1); do \
	    if ! grep -q "Could not get lock" <<<"$$out" || [ "$$(date +%s)" -ge "$$deadline" ]; then \
	      echo "$$out" >&2; exit 1; fi; \
	    echo "Waiting for another apt to release the package lists' lock..."; sleep 2; \
	  done; \
	  $$apt install -y -qq $$missing >/dev/null; \
	fi

messages: venv
	cd src/zhucan && ../../$(BIN)/django-admin compilemessages -l en >/dev/null

demo: venv system-deps messages
	@if [ "$(DEMO_CLOCK)" = real ]; then start=""; anchor=""; else \
	  start="$$(TZ=Asia/Shanghai date +%Y-%m-%d)T$(DEMO_CLOCK):00+08:00"; anchor="$$(date -u +%Y-%m-%dT%H:%M:%S+00:00)"; \
	  echo "Demo clock starts at $$start"; fi; \
	export ZHUCAN_CLOCK_START="$$start" ZHUCAN_CLOCK_ANCHOR="$$anchor" ZHUCAN_DEBUG=0 \
	  ZHUCAN_ALLOWED_HOSTS="$(HOST),127.0.0.1,localhost"; \
	$(BIN)/zhucan migrate --noinput -v0 && $(BIN)/zhucan seed_demo || exit 1; \
	echo "Zhucan demo: http://$(HOST):$(PORT)/  (accounts above; the worker and the simulated lunch run beside it; Ctrl-C stops all three)"; \
	$(BIN)/zhucan worker & worker=$$!; \
	$(BIN)/zhucan demo_lunch & lunch=$$!; \
	$(BIN)/zhucan video simulate --relay --exit-with-parent & \
	trap 'kill -TERM $$worker $$lunch 2>/dev/null; wait $$worker $$lunch 2>/dev/null' EXIT; \
	$(BIN)/zhucan runserver $(HOST):$(PORT) --noreload

lint: venv
	$(BIN)/ruff check .

test-sqlite: venv system-deps
	env -u DATABASE_URL ZHUCAN_VAR_DIR=$(CURDIR)/var/test-sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: venv system-deps
	DATABASE_URL=$(PG_URL) ZHUCAN_TEST_HALF=postgres ZHUCAN_VAR_DIR=$(CURDIR)/var/test-postgres $(BIN)/pytest --create-db $(PYTEST_ARGS)

# The two halves run side by side (two cores; each has its own database and var/ directory); each
# prints its output when it ends. Tests that touch no database run in the SQLite half only
# (tests/conftest.py deselects them where ZHUCAN_TEST_HALF=postgres).
# `make test-sqlite` / `make test-postgres` run one half.
test: lint
	@echo "Running the SQLite and PostgreSQL halves in parallel; each prints its report when it ends."
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

bench: venv
	$(BIN)/python benchmarks/policy_bench.py
	$(BIN)/python benchmarks/idnumber_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
