# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := wsgi
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/test
PG_TEST_DB   ?= surveyapp_test
SURVEYAPP_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/$(PG_TEST_DB)
BABEL_KEYWORDS := -k _l -k lazy_gettext -k ngettext:1,2

.PHONY: run test lint typecheck test-sqlite test-postgres test-browser browser-deps test-tools \
        translations extract-messages update-catalogs migrate demo clean bench bench-lighthouse lock \
        audit restore-drill

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs exactly the versions (and files: hashes) of requirements.lock, then the app itself.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

## make lock: refresh requirements.lock from the ranges in pyproject.toml (the source of truth).
## Versions still within the ranges stay pinned; `make lock UPGRADE=--upgrade` moves every
## package to its newest allowed version, `UPGRADE="--upgrade-package numpy"` only one.
UPGRADE ?=
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra postgres --extra dev --extra bench \
	  --universal --python-version 3.11 --generate-hashes $(UPGRADE) \
	  --custom-compile-command "make lock" -o requirements.lock

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d translations -D messages

migrate: $(VENV)/.installed
	$(BIN)/flask db upgrade

demo: migrate translations
	$(BIN)/flask surveyapp seed-demo --if-empty
	$(BIN)/flask surveyapp recompute --if-missing
	$(BIN)/flask surveyapp recompute --window 30d --periods 4 --if-missing
	$(BIN)/flask surveyapp snapshots --limit 3

## make run: set up, migrate, load the demo if the database is empty, serve on 127.0.0.1:$(PORT)
run: demo
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make typecheck: mypy over the whole package (configured in pyproject.toml)
typecheck: $(VENV)/.installed
	$(BIN)/mypy

## The poster tests read the rendered PDFs back with poppler (pdftoppm, pdftotext, pdffonts,
## pdfinfo) and zbar (zbarimg); they fail without them. Installed from Debian's packages.
test-tools:
	@command -v pdftoppm >/dev/null 2>&1 && command -v zbarimg >/dev/null 2>&1 || { \
	  echo "Installing poppler-utils and zbar-tools from the distribution's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    poppler-utils zbar-tools >/dev/null; }

## The suite runs in parallel (pytest-xdist), one process per core, each file in one process;
## every process has databases and a live server of its own (tests/workers.py).
## `make test-sqlite PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile

test-sqlite: $(VENV)/.installed translations test-tools
	$(BIN)/python -m pytest -m "not browser" -q $(PYTEST_PARALLEL)

## make test: lint, types, the whole suite on SQLite, and the browser tests when Chromium is here
test: lint typecheck test-sqlite
	@if [ -n "$$CI" ]; then \
	  echo "make test: browser tests run in CI's browser leg (make test-browser)"; \
	elif command -v chromium >/dev/null 2>&1; then \
	  $(BIN)/python -m pytest -m browser -q $(PYTEST_PARALLEL); \
	else \
	  echo "make test: SKIPPED the browser tests: Chromium is not installed (make test-browser installs it and runs them)"; \
	fi

## The same suite on this machine's PostgreSQL (a dedicated database is created; each
## parallel process makes and uses $(PG_TEST_DB)_gw0, _gw1, … beside it)
test-postgres: $(VENV)/.installed translations test-tools
	$(BIN)/python scripts/create_database.py "$(PG_ADMIN_URL)" "$(PG_TEST_DB)"
	SURVEYAPP_TEST_DATABASE_URL="$(SURVEYAPP_TEST_POSTGRES_URL)" \
	  $(BIN)/python -m pytest -m "not browser" -q $(PYTEST_PARALLEL)

## make audit: pip-audit over requirements.lock (scripts/audit_dependencies.py). It probes the
## vulnerability service first with a release known to be vulnerable: when no service answers
## (no network) it prints "dependency audit NOT RUN: <reason>" and does not fail; when one
## answers, any known vulnerability or any package it could not audit fails.
## AUDIT_OPTIONS=--require-service fails (status 2) when no service answers.
AUDIT_OPTIONS ?=
audit: $(VENV)/.installed
	$(BIN)/python scripts/audit_dependencies.py requirements.lock $(AUDIT_OPTIONS)

## make restore-drill DATABASE_URL=postgresql+psycopg://user@host/db: pg_dump -Fc of that
## database, pg_restore into a new scratch database beside it, the two compared (Alembic
## revision, every table's row count) and the app's /readyz asked on the copy; the scratch
## database is dropped and a short report printed (scripts/restore_drill.py).
DRILL_URL = $(or $(DATABASE_URL),$(SURVEYAPP_DATABASE_URL))
restore-drill: $(VENV)/.installed
	@test -n "$(DRILL_URL)" || { echo "restore-drill: set DATABASE_URL (or SURVEYAPP_DATABASE_URL)"; exit 2; }
	$(BIN)/python scripts/restore_drill.py "$(DRILL_URL)"

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from the distribution's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## Browser tests in headless Chromium (screenshots in test-artifacts/)
test-browser: $(VENV)/.installed translations browser-deps
	$(BIN)/python -m pytest -m browser -q $(PYTEST_PARALLEL)

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
	  --project surveyapp -o translations/messages.pot .

update-catalogs: extract-messages
	$(BIN)/pybabel -q update -N --ignore-obsolete -i translations/messages.pot -d translations

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache .mypy_cache .ruff_cache

## Benchmarks (results in bench/RESULTS.md)
bench: $(VENV)/.installed translations
	$(BIN)/python bench/page_budget.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/weighting.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/export_formats.py

## Lighthouse (mobile) on the citizen pages, 3 runs each, median scores as Markdown for
## bench/RESULTS.md. Needs Node.js >= 18.16 and npm (Lighthouse is pinned in
## bench/lighthouse/package-lock.json and installed there by npm ci) and Chromium. Not part of
## `make test` or `make bench`: it takes about 15 minutes.
bench-lighthouse: $(VENV)/.installed translations browser-deps
	@command -v npm >/dev/null 2>&1 || { echo "bench-lighthouse needs Node.js and npm (apt-get install nodejs npm)"; exit 1; }
	cd bench/lighthouse && npm ci --no-audit --no-fund --ignore-scripts
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python bench/lighthouse.py
