# Samverka developer entry points. `make run` and `make test` are the two that matter.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
PORT ?= 8000
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# `make run` always uses SQLite and the in-memory channel layer.
RUN_ENV := env -u DATABASE_URL -u REDIS_URL

.PHONY: run test lint venv system-packages clean bench

# The virtual environment is (re)installed only when pyproject.toml is newer than the stamp.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py load_demo
	$(RUN_ENV) $(BIN)/python manage.py demo_users
	exec $(RUN_ENV) $(BIN)/daphne --verbosity 0 -b 127.0.0.1 -p $(PORT) asgi:application

system-packages:
	bash scripts/ensure-system-packages.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: system-packages
	$(MAKE) --no-print-directory $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf var $(VENV)

# Benchmarks (not part of `make test`): writes bench/results/latest.json and latest.png and
# the "Latest benchmark figures" section of README.md. About 15 minutes on two cores.
bench: system-packages
	$(MAKE) --no-print-directory $(STAMP)
	$(BIN)/python -m pip install -e '.[test,bench]'
	$(BIN)/python bench/run.py
