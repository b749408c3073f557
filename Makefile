# acuback: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint migrations clean bench lock types-baseline screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs take the exact versions in requirements.lock (reproducible; `make lock`
# re-resolves it after a dependency changes in pyproject.toml).
$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --all-extras --strip-extras --no-emit-index-url \
	  --no-emit-trusted-host --no-emit-find-links -o requirements.lock pyproject.toml

# The demo's e-mail and SMS go to the mailbox (a page and files), not the console.
run: export ACUBACK_EMAIL_BACKEND ?= acuback.web.mailbox.MailboxEmailBackend
run: export ACUBACK_SMS_BACKEND ?= acuback.web.mailbox.MailboxSMSBackend
run: $(STAMP)
	$(BIN)/acuback init > /dev/null
	$(BIN)/acuback migrate --noinput --verbosity 0
	$(BIN)/acuback seed-demo --if-empty > /dev/null
	$(BIN)/acuback collectstatic --noinput --verbosity 0
	@# The worker (reminders, background tasks) runs beside the web server and stops with it;
	@# its task log goes to worker.log in the data folder (var/).
	@# The local demo skips two-factor log-in unless asked for (ACUBACK_REQUIRE_2FA=1);
	@# a deployment started with `acuback serve` requires it (docs/security.md).
	@# Last, once the server answers: the address, the mailbox and the logins.
	@echo "Two-factor log-in is off for this local demo (ACUBACK_REQUIRE_2FA=1 to try it)."
	@export ACUBACK_REQUIRE_2FA=$${ACUBACK_REQUIRE_2FA:-0}; \
	$(BIN)/acuback worker > "$${ACUBACK_DATA_DIR:-var}/worker.log" 2>&1 & worker=$$!; \
	$(BIN)/acuback serve & server=$$!; \
	trap "kill $$worker $$server 2>/dev/null" EXIT INT TERM; \
	$(BIN)/acuback welcome http://127.0.0.1:8000 --wait 120; \
	wait $$server

test: $(TEST_STAMP)
	bash scripts/test.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks

migrations: $(STAMP)
	@# every app: a model change in any of them gets its migration
	$(BIN)/acuback makemigrations

# After fixing type errors outside clinical/: the baseline shrinks (it may never grow).
types-baseline: $(TEST_STAMP)
	ACUBACK_DATA_DIR=$$(mktemp -d) $(BIN)/mypy src/acuback | $(BIN)/mypy-baseline sync --baseline-path mypy-baseline.txt --sort-baseline

clean:
	rm -rf $(VENV) var test-artifacts

bench: $(TEST_STAMP)
	@# Not part of `make test`: the figures in docs/benchmarks.md. The load benchmark uses
	@# ACUBACK_DATABASE_URL when set (PostgreSQL), else SQLite in var/bench (generated once
	@# and reused; BENCH_PATIENTS and BENCH_SOAK=seconds change the size and the soak).
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test,bench]'
	$(BIN)/python benchmarks/fhir_export.py --patients 2000
	export ACUBACK_DATA_DIR=$${ACUBACK_DATA_DIR:-$(CURDIR)/var/bench}; mkdir -p $$ACUBACK_DATA_DIR; \
	$(BIN)/python benchmarks/load.py --patients $${BENCH_PATIENTS:-100000} --clinics 10 \
		--soak $${BENCH_SOAK:-600} && $(BIN)/python benchmarks/analytics.py

screenshots: $(TEST_STAMP)
	@# The user guide's pictures (docs/screenshots/), from the demo `make run` serves
	@# (BASE_URL=... for another address).
	$(BIN)/python scripts/screenshots.py
