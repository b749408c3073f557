# acuback: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint migrations clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/acuback migrate --noinput
	$(BIN)/acuback seed-demo --if-empty
	$(BIN)/acuback collectstatic --noinput --verbosity 0
	@# The worker (reminders, background tasks) runs beside the web server and stops with it.
	@# The local demo skips two-factor log-in unless asked for (ACUBACK_REQUIRE_2FA=1);
	@# a deployment started with `acuback serve` requires it (docs/security.md).
	@echo "Two-factor log-in is off for this local demo (ACUBACK_REQUIRE_2FA=1 to try it)."
	export ACUBACK_REQUIRE_2FA=$${ACUBACK_REQUIRE_2FA:-0}; \
	$(BIN)/acuback worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(BIN)/acuback serve

test: $(TEST_STAMP)
	bash scripts/test.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks

migrations: $(STAMP)
	@# every app: a model change in any of them gets its migration
	$(BIN)/acuback makemigrations

clean:
	rm -rf $(VENV) var test-artifacts

bench: $(TEST_STAMP)
	@# Not part of `make test`: the figures in docs/benchmarks.md. The load benchmark uses
	@# ACUBACK_DATABASE_URL when set (PostgreSQL), else SQLite in var/bench (generated once
	@# and reused; BENCH_PATIENTS and BENCH_SOAK=seconds change the size and the soak).
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/fhir_export.py --patients 2000
	export ACUBACK_DATA_DIR=$${ACUBACK_DATA_DIR:-$(CURDIR)/var/bench}; mkdir -p $$ACUBACK_DATA_DIR; \
	$(BIN)/python benchmarks/load.py --patients $${BENCH_PATIENTS:-100000} --clinics 10 \
		--soak $${BENCH_SOAK:-600} && $(BIN)/python benchmarks/analytics.py
