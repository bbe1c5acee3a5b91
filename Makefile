# The two commands a new user needs: `make run` and `make test`. Everything else is for developers.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test chromium test-postgres lint typecheck bench bench-smoke sop-schema histories clean help

help:
	@echo "make run          start Temporal dev server, worker and API (Ctrl-C stops all)"
	@echo "make test         run the whole test suite (SQLite and PostgreSQL store tests)"
	@echo "make lint         ruff + mypy"
	@echo "make bench        API load, throughput, latency, screening and task-action benchmarks (bench/README.md)"
	@echo "make sop-schema   write sop/schema.json from the SOP model"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The demo's partner customs witnesses our checkpoints from inside the engine (its own key under DATA_DIR/keys/);
# set AUDIT_WITNESSES (even to []) to choose otherwise.
run: $(STAMP)
	AUDIT_WITNESSES=$${AUDIT_WITNESSES-'[{"agency":"DEMO-PARTNER-CUSTOMS"}]'} $(BIN)/python -m stack.cli run

test: $(STAMP) chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The console's browser test drives the system Chromium (never a downloaded one); install it when we can.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium for the console's browser test"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    || echo "chromium could not be installed; the browser test will skip (or fail with REQUIRE_BROWSER=1)"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy domain sop screening store adapters activities workflows api stack worker.py settings.py

bench: $(STAMP)
	$(BIN)/python -m bench.screening
	$(BIN)/python -m bench.api_load
	$(BIN)/python -m bench.throughput
	$(BIN)/python -m bench.tasks
	$(BIN)/python -m bench.list_import
	$(BIN)/python -m bench.audit_log
	$(BIN)/python -m bench.witness

# The API load smoke replaces the throughput smoke (which starts workflows with the Temporal client,
# bypassing the API); `make bench` still runs both.
bench-smoke: $(STAMP)
	$(BIN)/python -m bench.screening --smoke
	$(BIN)/python -m bench.api_load --smoke
	$(BIN)/python -m bench.tasks --smoke
	$(BIN)/python -m bench.list_import --smoke
	$(BIN)/python -m bench.audit_log --smoke
	$(BIN)/python -m bench.witness --smoke

sop-schema: $(STAMP)
	$(BIN)/python -m stack.cli sop-schema

histories: $(STAMP)
	$(BIN)/python -m tests.record_histories

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
