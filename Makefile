# Tierline — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench bench-peer load lint venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

## Serve the web UI, API and worker at http://127.0.0.1:8000 on SQLite, with demo data on first start.
run: venv
	@TIERLINE_DEV=1 $(BIN)/tierline devrun

## Every test, on SQLite and on PostgreSQL (and in Chromium where present).
test: venv
	@$(BIN)/python tools/run_tests.py

bench: venv
	@TIERLINE_DEV=1 $(BIN)/python bench/run.py $(BENCH_ARGS)

BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	@$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	@touch $(BENCH_STAMP)

## Tierline beside django-helpdesk: same machine, database, client and concurrency; prints peer_ratio lines.
bench-peer: $(BENCH_STAMP)
	@TIERLINE_DEV=1 $(BIN)/python bench/peer.py $(PEER_ARGS)

## Mixed read/write load with locust (headless, loopback, 200 req/s for 60 s), then a consistency check.
load: $(BENCH_STAMP)
	@TIERLINE_DEV=1 $(BIN)/python bench/load.py $(LOAD_ARGS)

lint: venv
	@$(BIN)/ruff check tierline tools bench

clean:
	rm -rf $(VENV) var
