# creditdesk: the two commands (`make run`, `make test`) work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CREDITDESK_ADMIN_TOKEN ?= demo-admin-token
export CREDITDESK_ADMIN_TOKEN

.PHONY: run test lint typecheck imports unit bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/creditdesk db upgrade
	$(BIN)/creditdesk demo
	$(BIN)/creditdesk serve

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

test: lint typecheck imports
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.bench_check

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
