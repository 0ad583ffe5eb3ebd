# Custodesk — two commands set everything up on a fresh machine:
#   make run    virtualenv, install, migrate, demo data, serve console + API + worker
#   make test   the whole suite on SQLite, and on PostgreSQL when CUSTODESK_TEST_DATABASE_URL is set
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
PORT ?= 8000
export PORT

.PHONY: run test lint bench install messages sysdeps static clean format

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

# Compiled translation catalogues (.mo) are build output: made with Babel, no GNU gettext needed.
messages: $(STAMP)
	@for lang in zh_Hant zh_Hans en; do \
	  if [ -f src/custodesk/locale/$$lang/LC_MESSAGES/django.po ]; then \
	    $(BIN)/pybabel compile -D django -d src/custodesk/locale -l $$lang >/dev/null; fi; done

# Debian packages the browser tests need (Chromium, CJK fonts for screenshots).
sysdeps:
	@bash scripts/sysdeps.sh

static: $(STAMP)
	@$(BIN)/custodesk collectstatic --noinput --verbosity 0

run: $(STAMP) messages static
	@$(BIN)/custodesk migrate --noinput --verbosity 0
	@$(BIN)/custodesk demo --if-new
	@echo
	@echo "Custodesk is starting on http://127.0.0.1:$(PORT)/"
	@echo "  console   http://127.0.0.1:$(PORT)/console/"
	@echo "  API docs  http://127.0.0.1:$(PORT)/api/docs"
	@echo "  health    http://127.0.0.1:$(PORT)/healthz  /readyz"
	@echo "Stop with Ctrl-C."
	@exec $(BIN)/custodesk serve --with-worker --port $(PORT)

test: $(STAMP) messages sysdeps
	@bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	CUSTODESK_TESTING=1 $(BIN)/mypy
	$(BIN)/lint-imports
	CUSTODESK_TESTING=1 $(BIN)/custodesk makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	@bash bench/run.sh

clean:
	rm -rf $(VENV) var test-artifacts
