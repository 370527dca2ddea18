# Glossa: `make run` to use it, `make test` to check it. See README.md.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# The first Python >= 3.12 on PATH, else the newest one pyenv has.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3; do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v $$p; exit 0; }; \
	done; \
	for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9]\.[0-9]+$$' | sort -rV); do \
	  echo "$$(pyenv root)/versions/$$v/bin/python3"; exit 0; \
	done)
VENV := .venv
BIN := $(VENV)/bin
WITH_SERVICES := $(BIN)/python -m core.runtime exec --

.PHONY: help run test lint format bench faults load migrate shell clean

help:
	@echo "make run     start Glossa on http://127.0.0.1:$${PORT:-8000} (embedded PostgreSQL, Redis, Celery)"
	@echo "make test    lint, then the whole test suite against real PostgreSQL, Redis and Celery"
	@echo "make lint    ruff and mypy"
	@echo "make format  ruff format and autofix"
	@echo "make bench   benchmarks (outside make test)"
	@echo "make faults  fault injection: kills, restarts, races (outside make test; ~10 min)"
	@echo "make load    50 members for 5 min against gunicorn + Celery, with and without an abuser, ABBA (~30 min)"
	@echo "make shell   a Django shell on the same services as the tests"
	@echo "make clean   remove the venv and var/ (all local data)"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Glossa needs Python >= 3.12; none found on PATH or in pyenv." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/python -m core.runtime run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(WITH_SERVICES) $(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(WITH_SERVICES) $(BIN)/pytest tests/bench -p no:cacheprovider -o addopts="" -s $(PYTEST_ARGS)

faults: $(VENV)/.installed-dev
	$(WITH_SERVICES) $(BIN)/pytest tests/faults -p no:cacheprovider -m "faults or not faults" $(PYTEST_ARGS)

$(VENV)/.installed-load: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[load]'
	@touch $(VENV)/.installed $@

# LOAD_USERS=10 LOAD_SECONDS=30 LOAD_ROUNDS=1 make load for a smoke run; LOAD_ARGS="--phases baseline" etc.
load: $(VENV)/.installed-load
	$(WITH_SERVICES) $(BIN)/python -m tests.load.run $(LOAD_ARGS)

migrate: $(VENV)/.installed
	$(WITH_SERVICES) $(BIN)/python manage.py migrate

shell: $(VENV)/.installed-dev
	$(WITH_SERVICES) $(BIN)/python manage.py shell

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
