# Everything runs from a virtual environment this Makefile builds from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON_DOWNLOADS := never
.DEFAULT_GOAL := help
# A benchmark piped through tee fails the target when the benchmark fails (a Scan found,
# a crash), not only when tee does.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: help install run redrive tenant backfill test chromium lint format typecheck unit integration e2e bench bench-console bench-vacancy bench-stats simulate bench-experiment openapi layer-requirements build deploy clean

## make help: what each target does (this list)
help:
	@grep -h '^## make' $(MAKEFILE_LIST) | sed 's/^## //'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

## make run: the whole system on this machine (API :3000, Twilio sandbox :3001)
run: install
	$(BIN)/python -m infra.local

## make redrive: send again what waits in the running local stack's outbound dead-letter queue
redrive: install
	$(BIN)/python -m infra.redrive

## make tenant NAME=... PHONE=+E164 TZ=Area/City MANAGER=email [ID=slug LOCALE=en] STACK=<stack> | LOCAL=1: onboard a tenant
tenant: install
	$(BIN)/python -m infra.onboard --name "$(NAME)" --phone "$(PHONE)" --timezone "$(TZ)" \
		--manager "$(MANAGER)" $(if $(ID),--tenant-id "$(ID)") $(if $(LOCALE),--locale "$(LOCALE)") \
		$(if $(LOCAL),--local,--stack-name "$(STACK)") $(if $(REGION),--region "$(REGION)")

## make backfill TABLE=<DataTableName> [REGION=...] [DRY_RUN=1] [SEGMENTS=n]: index appointments saved before issue 13 for the day list
backfill: install
	$(BIN)/python -m infra.backfill --table "$(TABLE)" $(if $(REGION),--region "$(REGION)") \
		$(if $(DRY_RUN),--dry-run) $(if $(SEGMENTS),--segments "$(SEGMENTS)")

## make test: lint, types and every test tier (unit, integration, e2e, browser)
test: install lint typecheck chromium
	$(BIN)/pytest

## The browser tests drive Debian's chromium; install it where it is missing.
chromium:
	bash infra/ensure_chromium.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every function's module is called app.py, so each is checked on its own.
typecheck: install
	$(BIN)/mypy layers/shared/rendezvous infra benchmarks tests
	@for fn in functions/*/app.py; do $(BIN)/mypy $$fn || exit 1; done

## make unit / integration / e2e: one test tier
unit: install
	$(BIN)/pytest tests/unit

integration: install
	$(BIN)/pytest tests/integration

e2e: install
	$(BIN)/pytest tests/e2e

## make bench-console: the console in headless chromium with 2,000 appointments in a week and 300 open items
bench-console: install chromium
	$(BIN)/python -m benchmarks.console_day_view | tee benchmarks/results/console_day_view.txt

## make bench: the figures quoted in the issues, printed and saved under benchmarks/results/
bench: install
	$(BIN)/python -m benchmarks.calls_per_reminder --reminders 1000 2>/dev/null | grep -v '^{' | tee benchmarks/results/calls_per_reminder.txt
	$(BIN)/python -m benchmarks.cold_start --rounds 15 | tee benchmarks/results/cold_start.txt
	$(BIN)/python -m benchmarks.segments | tee benchmarks/results/segments.txt
	$(BIN)/python -m benchmarks.inbound --texts 1000 2>/dev/null | grep -v '^{' | tee benchmarks/results/inbound.txt
	$(BIN)/python -m benchmarks.idle_cpu --seconds 20 | tee benchmarks/results/idle_cpu.txt
	$(BIN)/python -m benchmarks.memory_per_booking --bookings 1000 2>/dev/null | tee benchmarks/results/memory_per_booking.txt
	$(BIN)/python -m benchmarks.queue 2>/dev/null | tee benchmarks/results/queue.txt
	$(BIN)/python -m benchmarks.webhook_delivery --events 1000 2>/dev/null | tee benchmarks/results/webhook_delivery.txt
	$(BIN)/python -m benchmarks.backfill --appointments 2000 2>/dev/null | tee benchmarks/results/backfill.txt
	$(BIN)/python -m benchmarks.dynamodb_calls_per_action 2>/dev/null | grep -v '^{' | tee benchmarks/results/dynamodb_calls_per_action.txt

## make bench-vacancy: 1,000 cancellations against a 5,000-entry waitlist on moto (CANCELLATIONS=200 for ~10 min)
bench-vacancy: install
	$(BIN)/python -m benchmarks.vacancy_fill --entries 5000 --cancellations $(or $(CANCELLATIONS),1000) 2>/dev/null | grep -v '^{' | tee benchmarks/results/vacancy_fill.txt

## make bench-stats: GET /v1/stats (31 and 7 days) and its CSV export on moto, 31 days x 100 appointments x 3 texts: DynamoDB calls by operation (no Scan) and wall time
bench-stats: install
	$(BIN)/python -m benchmarks.stats 2>/dev/null | grep -v '^{' | tee benchmarks/results/stats.txt

## make simulate: the experiment report on simulated experiments whose true rates are known (10% vs 8% no-shows, A/A, A/A/A, peeking, a small one; a few minutes)
simulate: install
	$(BIN)/python -m benchmarks.experiment_simulation | tee benchmarks/results/experiment_simulation.txt

## make bench-experiment: an experiment report's DynamoDB calls and time on moto with 10,000 members (~8 min)
bench-experiment: install
	$(BIN)/python -m benchmarks.experiment_report_reads --appointments 10000 2>/dev/null | tee benchmarks/results/experiment_report_reads.txt

## make openapi: regenerate the OpenAPI document served at GET /v1/openapi.json
openapi: install
	$(BIN)/python -m infra.openapi

## make layer-requirements: the layer's requirements.txt from the lock (never edited by hand)
layer-requirements: $(UV)
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --no-header \
		--no-emit-package boto3 --no-emit-package botocore --no-emit-package s3transfer \
		--python 3.13 -o layers/shared/requirements.txt

## make build / deploy: sam build (bytecode shipped, see infra/build/Makefile) and sam deploy --guided
build: install
	$(BIN)/sam build

deploy: build
	$(BIN)/sam deploy --guided

## make clean: forget the virtual environment, local state and caches
clean:
	rm -rf $(VENV) $(TOOLS) .local .aws-sam .pytest_cache .mypy_cache .ruff_cache
