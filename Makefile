# fonds-quartiers — the two commands: `make run` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes in parallel (pytest-xdist); each has its own test database.
TEST_WORKERS ?= 2

.PHONY: run test lint format bench audit restore-drill install demo messages lock clean

## run: install, prepare the SQLite demo database, load the demo and serve it.
run: install node_modules/.installed
	@scripts/ensure-pdf-libs
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=cms.settings.dev $(MANAGE) migrate --noinput
	DJANGO_SETTINGS_MODULE=cms.settings.dev $(MANAGE) demo
	@echo "Serving http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	DJANGO_SETTINGS_MODULE=cms.settings.dev $(MANAGE) runserver $(HOST):$(PORT)

## test: lint, then the whole suite on PostgreSQL with browser tests in headless Chromium.
test: install node_modules/.installed
	scripts/ensure-services
	scripts/ensure-chromium
	scripts/ensure-pdf-libs
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## bench: run every benchmark in bench/ and print its figures.
bench: install
	scripts/ensure-services
	$(PY) bench/run.py

## audit: known vulnerabilities in the locked dependencies (pip-audit, npm audit).
audit: install node_modules/.installed
	$(PY) scripts/audit

## restore-drill: pg_dump the demo, restore it into a new database, verify the ledger.
restore-drill: install
	scripts/ensure-services
	scripts/restore-drill

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## messages: extract and compile the translation catalogues (needs GNU gettext).
messages: install
	$(MANAGE) makemessages -l en -l fr --ignore=tests --ignore=.venv --ignore=node_modules --ignore=.tools --ignore=var
	scripts/french-catalogue locale/fr/LC_MESSAGES/django.po
	$(MANAGE) compilemessages --ignore=.venv --ignore=.tools

## lock: pin dependencies again after editing pyproject.toml.
lock: $(UV)
	scripts/lock

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv uv==$(UV_VERSION)

$(VENV)/.installed: requirements/dev.lock | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(VENV) $(UV) pip sync --quiet requirements/dev.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	@touch $@

demo: install
	$(MANAGE) demo

clean:
	rm -rf $(VENV) .tools node_modules var
