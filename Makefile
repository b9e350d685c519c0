# Two commands for a newcomer: `make run` and `make test`. Everything else is set up on the way.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PORT ?= 8000
# Test processes: one per core of the 2-core machines we run on; the suite waits on PostgreSQL and Chromium.
TEST_WORKERS ?= 2
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Compiled bytecode lives under var/pycache and is written even where the environment turns that off
# (PYTHONDONTWRITEBYTECODE=1, common in containers and on our CI machines): otherwise every process the suite
# starts (granian workers, the task worker, manage.py backup and restore, the xdist workers) compiles Django
# and the project from source again, about a second of CPU each, and pytest rewrites every test module anew.
export PYTHONPYCACHEPREFIX := $(CURDIR)/var/pycache
export PYTHONDONTWRITEBYTECODE :=

# The first Python >= 3.12 found: $PYTHON, python3.13/python3.12 on the PATH, then pyenv's.
find_python = for c in $$PYTHON python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done; exit 1

.PHONY: help run test test-fast serve worker setup setup-dev chromium load-tools backup-tools backup db migrate demo lint typecheck bench lighthouse clean

help:
	@echo "make run     serve the site with demo content on http://127.0.0.1:$(PORT) (development)"
	@echo "make test    run the whole test suite (browser tests included)"
	@echo "make test-fast  the quick loop while you work: no browser, no real processes, no fuzzing (< 1 min)"
	@echo "make serve   run the production configuration locally (granian, DEBUG off)"
	@echo "make worker  run the background worker alone (patient emails); run and serve start one"
	@echo "make backup  write a backup of the database now (manage.py backup, into var/backups)"
	@echo "make lint    ruff check"
	@echo "make typecheck  mypy, strict on the domain modules (booking, availability, notifications, ...)"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make lighthouse  Lighthouse scores (mobile) of five pages of a running 'make serve' (PORT=$(PORT))"

$(VENV)/bin/python:
	@py=$$($(find_python)) || { echo "Truffles needs Python 3.12 or newer (Django 6.1). Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12." >&2; exit 1; }; \
	echo "Creating $(VENV) with $$py"; $$py -m venv $(VENV)

# --no-compile: Python compiles what is imported on first use, into var/pycache (above); compiling every
# installed module up front (twilio, mypy) cost a fresh clone some 6 s of its setup.
$(STAMP): $(VENV)/bin/python requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements-dev.txt
	@touch $@

setup: $(STAMP)

# Browser tests need Debian's Chromium; install it when we can, stop clearly when we cannot.
chromium:
	@command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    (apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)) >/dev/null; \
	  else \
	    echo "Browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'." >&2; exit 1; \
	  fi; }

# The load benchmark (and the test of deploy/nginx.conf) need Debian's wrk and nginx with brotli.
LOAD_TOOLS := wrk nginx libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static
load-tools:
	@missing=$$(for p in $(LOAD_TOOLS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); [ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $$missing"; \
	    (apt-get install -y -q $$missing || (apt-get update -q && apt-get install -y -q $$missing)) >/dev/null; \
	  else \
	    echo "Needs Debian packages: sudo apt-get install $$missing" >&2; exit 1; \
	  fi; }

# Encrypted backups (manage.py backup) and their tests need Debian's age.
backup-tools:
	@command -v age >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's age for encrypted backups"; \
	    (apt-get install -y -q age || (apt-get update -q && apt-get install -y -q age)) >/dev/null; \
	  else \
	    echo "Encrypted backups need age: run 'sudo apt-get install age'." >&2; exit 1; \
	  fi; }

migrate: setup
	DJANGO_DEBUG=true $(PY) manage.py migrate --no-input -v 0

demo: migrate
	DJANGO_DEBUG=true $(PY) manage.py load_demo

# Texts in development go to the local fake Twilio API (tools/fake_twilio.py): GET /_fake/messages lists them.
TWILIO_PORT ?= $(shell echo $$(($(PORT) + 89)))
FAKE_TWILIO_ENV := TWILIO_ACCOUNT_SID=ACfake0000000000000000000000000000 TWILIO_AUTH_TOKEN=fake-auth-token \
	TWILIO_FROM_NUMBER=+15005550006 TWILIO_API_URL=http://127.0.0.1:$(TWILIO_PORT)

# The worker (patient emails and texts) and the fake Twilio API run beside the web server and stop when
# it does (--stop-with: exec keeps the PID).
run: demo
	$(PY) tools/fake_twilio.py --port $(TWILIO_PORT) --site-url http://127.0.0.1:$(PORT) --stop-with $$$$ & \
	DJANGO_DEBUG=true $(FAKE_TWILIO_ENV) TRUFFLES_SITE_URL=$${TRUFFLES_SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py worker --no-reload --stop-with $$$$ & \
	DJANGO_DEBUG=true $(FAKE_TWILIO_ENV) TRUFFLES_SITE_URL=$${TRUFFLES_SITE_URL:-http://127.0.0.1:$(PORT)} exec $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: migrate
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py worker --no-reload

# The whole suite, with every property test at its full 500 inputs (the Hypothesis profile in tests/conftest.py).
test: setup chromium load-tools backup-tools
	$(PY) -m pytest -n $(TEST_WORKERS) --hypothesis-profile=full

# What changes under your hands: leaves out the browser, real processes and fuzzing (pyproject.toml's markers).
test-fast: setup
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not browser and not process and not fuzz"

# Production settings on loopback: plain HTTP, so the HTTPS-only switches are turned off here only.
# granian's processes add up their metrics in var/prometheus/ (core/metrics.py), emptied at each start.
serve: setup
	@mkdir -p var; [ -s var/secret_key ] || $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
	@rm -rf var/prometheus; mkdir -p var/prometheus
	export DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)} DJANGO_DEBUG=false \
	  PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/prometheus \
	  DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost} \
	  DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false DJANGO_HSTS_SECONDS=0; \
	$(PY) manage.py migrate --no-input -v 0 && \
	$(PY) manage.py load_demo && \
	$(PY) manage.py collectstatic --no-input -v 0 && \
	{ TRUFFLES_SITE_URL=$${TRUFFLES_SITE_URL:-http://127.0.0.1:$(PORT)} $(PY) manage.py worker --no-reload --stop-with $$$$ & } && \
	exec $(VENV)/bin/granian --interface wsgi --host 127.0.0.1 --port $(PORT) --workers $${WEB_WORKERS:-2} --blocking-threads $${WEB_THREADS:-1} --no-ws \
	  --respawn-failed-workers --respawn-interval 1 truffles.wsgi:application

backup: setup
	$(PY) manage.py backup

lint: setup
	$(VENV)/bin/ruff check .

# mypy with django-stubs, strict on the domain modules listed in pyproject.toml. Settings are read
# for their types only: no database is reached (the address below is never connected to).
typecheck: setup
	DJANGO_DEBUG=true DATABASE_URL=postgres://typing@127.0.0.1:9/typing $(VENV)/bin/mypy

bench: setup load-tools backup-tools
	$(PY) bench/load.py
	$(PY) bench/run.py
	$(PY) bench/articles_scaling.py
	$(PY) bench/insights.py
	$(PY) bench/backup.py

# Lighthouse pinned in tools/lighthouse/package-lock.json, run with Debian's Chromium; needs Node 18+.
LIGHTHOUSE_BIN := tools/lighthouse/node_modules/.bin/lighthouse
$(LIGHTHOUSE_BIN): tools/lighthouse/package-lock.json
	@command -v npm >/dev/null || { echo "make lighthouse needs Node and npm: run 'sudo apt-get install nodejs npm'." >&2; exit 1; }
	cd tools/lighthouse && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lighthouse: setup chromium $(LIGHTHOUSE_BIN)
	CHROME_PATH=/usr/bin/chromium $(PY) tools/lighthouse/run.py http://127.0.0.1:$(PORT)

clean:
	rm -rf $(VENV) var/staticfiles var/pycache .pytest_cache tools/lighthouse/node_modules
