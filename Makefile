# Two commands on a fresh machine: `make run` and `make test`. Each installs what it needs into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test test-pg bench token up down schemas browser demo verify chaos lock

$(STAMP): pyproject.toml
	test -x $(BIN)/pip || (rm -rf $(VENV) && $(PYTHON) -m venv $(VENV))  # a half-made .venv is made again
	$(BIN)/pip install -q --disable-pip-version-check -e ".[test]"
	rm -f $(VENV)/.installed-*; touch $(STAMP)

run: $(STAMP)  ## embedded broker + four services on SQLite; prints URLs and an admin token
	$(BIN)/python -m kit.cli run

demo: $(STAMP)  ## a demo city through the public APIs (into make run's platform, or one started here that lives its weeks)
	$(BIN)/python -m proof demo $(ARGS)

verify: $(STAMP)  ## recompute every service's figures from the others'; differences printed, exit 1 on any
	$(BIN)/python -m proof verify $(ARGS)

chaos: $(STAMP)  ## 50 writes/s for 2 minutes on a fresh platform while each service and the broker are killed in turn
	$(BIN)/python -m proof chaos $(ARGS)

browser:  ## headless Chromium and a Chinese font for the browser tests (Debian packages; root installs them)
	@command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } || \
	  echo "make browser: no Chromium, and only root can install it (apt-get): the browser tests will be skipped"

test: $(STAMP) browser  ## the whole suite: SQLite, or PostgreSQL when TEST_DATABASE_URL is set
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg:  ## the suite on the local PostgreSQL
	TEST_DATABASE_URL=postgresql+asyncpg://127.0.0.1:5432/test $(MAKE) test

bench: $(STAMP)  ## benchmarks with same-run baselines (PostgreSQL at BENCH_DATABASE_URL)
	$(BIN)/python -m bench

lock:  ## deploy/requirements.lock: the image's dependencies at their versions and hashes (after changing pyproject.toml)
	$(PYTHON) deploy/lock.py

token: $(STAMP)  ## mint a JWT: make token ARGS="--scope projects:read --unit-id ..."
	@$(BIN)/python -m kit.cli token $(ARGS)

schemas: $(STAMP)  ## regenerate the JSON Schemas and the AsyncAPI document from the contracts
	$(BIN)/python -m contracts.generate

up:  ## docker compose: PostgreSQL, Kafka, the four services, Prometheus
	docker compose up -d --build

down:
	docker compose down
