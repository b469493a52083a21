# The verbs people type. `make demo` and `make test` work on a fresh clone: they create
# the virtual environment and install the project (and its test tools) first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint fix clean up

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "TIMPORA needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The Compose specification's JSON schema, from the npm registry (tests validate against it).
COMPOSE_SCHEMA := .cache/compose-spec/compose-spec.json
$(COMPOSE_SCHEMA):
	./scripts/fetch-compose-schema

install: $(STAMP)

## demo: generate the demo day, run the real DAGs with Airflow, print the flags
demo: install
	$(BIN)/timpora demo

## test: lint, type-check and run the whole test suite (SQLite and PostgreSQL)
test: install $(COMPOSE_SCHEMA)
	./scripts/ensure-chromium
	./scripts/run-tests

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint sql
	$(BIN)/mypy

fix: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf data .pytest_cache .mypy_cache .ruff_cache test-artifacts
