# Tracking: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Pass the settings through to the app (e.g. `TRACKING_PORT=8123 make run`).
export TRACKING_HOST TRACKING_PORT TRACKING_DATABASE_URL TRACKING_SECRET_KEY TRACKING_GEODATA_URL \
	TRACKING_TRUSTED_PROXIES TRACKING_ALLOWED_HOSTS TRACKING_DATA_DIR TRACKING_PUBLIC_URL \
	TRACKING_SCRIPT_PATH TRACKING_WORKERS TRACKING_FLUSH_MS TRACKING_QUEUE_SIZE \
	TRACKING_COMMIT_TIMEOUT_MS TRACKING_GEODATA_RETRY_S TRACKING_TEST_POSTGRES_URL BENCH_QUICK

.DEFAULT_GOAL := help
.PHONY: help install run migrate test unit integration e2e lint format bench tracker-js clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

migrate: $(STAMP) ## Apply database migrations
	$(BIN)/tracking migrate

run: migrate ## Migrate, then serve on http://$${TRACKING_HOST:-127.0.0.1}:$${TRACKING_PORT:-8000}
	$(BIN)/tracking serve

test: lint ## Lint, type-check, then run unit, integration and browser tests
	$(BIN)/python -m pytest

unit: $(STAMP) ## Run the fast unit tests only
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP) ## Run the integration tests only
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP) ## Run the browser tests only (Debian's chromium package; skipped without it)
	$(BIN)/python -m pytest tests/e2e

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP) ## Reformat and auto-fix
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP) ## Run the benchmarks and print figures with ratios to a same-run baseline
	$(BIN)/python -m bench

tracker-js: ## Rebuild the served tracking script from js/tracker.js (npm, pinned terser)
	cd js && npm ci --no-audit --no-fund && npm run build

clean: ## Remove the virtualenv and caches (keeps data/)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build src/*.egg-info js/node_modules
