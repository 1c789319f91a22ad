# creditdesk: the two commands (`make run`, `make test`) work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CREDITDESK_ADMIN_TOKEN ?= demo-admin-token
export CREDITDESK_ADMIN_TOKEN

.PHONY: run test lint typecheck imports unit bench bench-peer clean venv chromium

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

test: lint typecheck imports chromium
	$(BIN)/pytest

# the browser tests drive Debian's Chromium (never a browser downloaded by Playwright); where it
# cannot be installed (no root) they skip and say why. .ci/run installs it strictly.
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium chromium-driver) \
		|| echo "chromium is not installed: the browser tests will skip"

# benchmarks (not part of `make test`); BENCH_SIZES=100000,1000000,5000000 adds 5 M documents,
# BENCH_PG=<PostgreSQL URL whose server may create a database> adds HTTP on PostgreSQL
BENCH_SIZES ?= 100000,1000000
BENCH_PG ?=
bench: $(STAMP)
	$(BIN)/python -m bench.bench_check --sizes $(BENCH_SIZES) --repeat 3
	$(BIN)/python -m bench.bench_http --size 1000000 $(if $(BENCH_PG),--postgres '$(BENCH_PG)')
	$(BIN)/python -m bench.bench_import --documents 200000
	$(BIN)/python -m bench.bench_aging

# side by side with Tryton 8.2, installed (first run) in its own venv outside the project, exactly
# as ../shared/peers/tryton_bench.py's docstring says; never one of creditdesk's dependencies
PEER_VENV ?= /tmp/peers/tryton-venv
bench-peer: $(STAMP)
	test -f $(PEER_VENV)/.installed || { \
		test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV); \
		$(PEER_VENV)/bin/pip install --quiet "trytond==8.2.*" \
			"trytond-account-credit-limit==8.2.*" "trytond-sale-credit-limit==8.2.*" \
			"trytond-account-invoice==8.2.*" "trytond-sale==8.2.*" \
		&& touch $(PEER_VENV)/.installed; }
	PEER_PYTHON=$(PEER_VENV)/bin/python $(BIN)/python -m bench.bench_peer

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
