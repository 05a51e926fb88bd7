# Kisi Access Bridge. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON := $(shell scripts/find-python)
ifeq ($(PYTHON),)
$(error Python 3.13 is required: see the message above)
endif

TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam

export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
# sam build puts the runtime's python3.13 on PATH for the layer and function builds.
export PATH := $(dir $(PYTHON)):$(PATH)

.PHONY: help setup lint format typecheck template test test-fast test-browser build run demo token bench clean

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV): requirements/uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet -r requirements/uv.txt
	@touch $@

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --quiet
	@touch $@

$(SAM_VENV)/.synced: $(UV) requirements/sam.txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(SAM_VENV)
	$(UV) pip install --quiet --python $(SAM_VENV)/bin/python -r requirements/sam.txt
	@touch $@

setup: $(VENV)/.synced $(SAM_VENV)/.synced ## Create both virtual environments (app + tests, SAM CLI)

lint: $(VENV)/.synced ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.synced ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

template: $(VENV)/.synced $(SAM_VENV)/.synced ## cfn-lint and sam validate --lint on template.yaml
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml

# Test files run in parallel, one worker per CPU (a file's tests stay on one worker: they share
# module fixtures such as the local stack of the e2e tests). The schemathesis test runs on its own:
# its operations share one test id, and pytest-xdist would run only one of them.
API_PROPERTIES := tests/integration/test_api_properties.py
# The browser tests (tests/browser) drive the system Chromium: scripts/ensure-chromium installs
# Debian's package first when it is missing (CI runs as root); without one those tests fail.
test: lint template ## Everything CI runs: lint, template checks, all tests with coverage
	@scripts/ensure-chromium >/dev/null || echo "No Chromium: the browser tests will fail (README, Browser tests)"
	$(BIN)/pytest -n auto --dist loadfile --cov --cov-report= --ignore=$(API_PROPERTIES)
	$(BIN)/pytest --cov --cov-append --cov-report=term $(API_PROPERTIES)

test-fast: $(VENV)/.synced ## Unit tests only, no coverage gate
	$(BIN)/pytest -m unit -q

test-browser: $(VENV)/.synced ## The admin console in Chromium (UPDATE_SCREENSHOTS=1: refresh docs/console/)
	@scripts/ensure-chromium >/dev/null
	$(BIN)/pytest tests/browser -q

build: $(SAM_VENV)/.synced ## sam build (Lambda artifacts under .aws-sam/)
	$(SAM) build --template template.yaml

LOCAL_PYTHONPATH := layers/kisi_client:layers/pushpress_client:layers/access_core:local
PORT ?= 3000

run: $(VENV)/.synced ## Run the whole stack locally, no AWS and no Docker (PORT=3000)
	PYTHONPATH=$(LOCAL_PYTHONPATH) $(BIN)/python -m local_runtime run --port $(PORT)

demo: $(VENV)/.synced ## The scripted end-to-end scenario over real HTTP (its own stack, or URL=...)
	PYTHONPATH=$(LOCAL_PYTHONPATH) $(BIN)/python -m local_runtime demo $(if $(URL),--url $(URL))

bench: $(VENV)/.synced ## Benchmarks: Kisi calls, AWS round trips, rate limit, unlock, cold starts (QUICK=1: smoke)
	PYTHONPATH=$(LOCAL_PYTHONPATH) $(BIN)/python -m bench $(if $(QUICK),--quick)

TENANT ?= demo-club
SUB ?= player-1
ROLES ?= player
token: $(VENV)/.synced ## Mint a JWT for the local stack (TENANT=demo-club SUB=player-1 ROLES=player|admin)
	@PYTHONPATH=$(LOCAL_PYTHONPATH) $(BIN)/python -m local_runtime token --tenant $(TENANT) --sub $(SUB) --roles $(ROLES)

clean: ## Remove virtual environments and build output
	rm -rf $(TOOLS) $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage local/.state
