# creditdesk: the two commands (`make run`, `make test`) work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
comma := ,
STAMP := $(VENV)/.installed
LOCK := requirements.lock
EXTRAS := dev,postgres,browser
# quiet pip: no version nag, and warnings (e.g. about index locations of the local pip
# configuration that do not exist) are not a wall of text; errors still show
PIP := $(BIN)/python -m pip --disable-pip-version-check -qq
CREDITDESK_ADMIN_TOKEN ?= demo-admin-token
export CREDITDESK_ADMIN_TOKEN

.PHONY: run test lint typecheck imports unit bench bench-peer clean venv chromium lock lock-upgrade

venv: $(STAMP)

# the exact versions of $(LOCK) (made by `make lock`), as constraints: on another platform or
# Python a dependency the lock does not name (uvloop is not used on Windows) resolves freely
$(STAMP): pyproject.toml $(LOCK)
	@echo "installing creditdesk and the versions of $(LOCK) into $(VENV) (minutes the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip
	@$(PIP) install -c $(LOCK) -e '.[$(EXTRAS)]'
	@touch $(STAMP)

# pin what pyproject.toml asks for (all extras) from the package indexes pip is configured
# with, keeping the versions already locked where they still fit; `make lock-upgrade` moves
# every pin to the newest version allowed. Commit the result: `make venv` installs from it.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host --resolver=backtracking \
	--extra $(subst $(comma), --extra ,$(EXTRAS)) --output-file $(LOCK)
lock lock-upgrade:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/pip-compile || $(PIP) install 'pip-tools>=7.5,<8'
	$(PIP_COMPILE) $(if $(filter lock-upgrade,$@),--upgrade) pyproject.toml

run: $(STAMP)
	@$(BIN)/creditdesk db upgrade
	@$(BIN)/creditdesk demo
	@$(BIN)/creditdesk serve

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
