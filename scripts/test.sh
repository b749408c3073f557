#!/usr/bin/env bash
# The whole suite: lint, then pytest on SQLite, then on a throwaway PostgreSQL
# cluster. Called by `make test` (and so by .ci/run). With CI=true a missing
# chromium or PostgreSQL is a failure; otherwise it is a loud skip.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
CI=${CI:-false}
results=()
status=0

note() { printf '\n==> %s\n' "$*"; }

# --- chromium for the browser tests ---------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    note "Installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
if command -v chromium >/dev/null 2>&1; then
  export ACUBACK_CHROMIUM=$(command -v chromium)
else
  if [[ $CI == true ]]; then echo "FAIL: chromium is missing and CI=true" >&2; exit 1; fi
  echo "!!!!!!!! chromium not found: browser tests will be SKIPPED !!!!!!!!" >&2
fi

# --- lint ----------------------------------------------------------------------
note "ruff (with security rules)"
if $BIN/ruff check src tests benchmarks; then results+=("ruff: passed"); else results+=("ruff: FAILED"); status=1; fi
note "bandit (security linter; migrations hold SQL by design and are left to ruff)"
if $BIN/bandit -q -r src -x '*/migrations/*'; then results+=("bandit: passed"); else results+=("bandit: FAILED"); status=1; fi

note "layers (import-linter: the contracts in pyproject.toml; the baseline may only shrink)"
if $BIN/lint-imports; then results+=("import contracts: kept"); else results+=("import contracts: BROKEN"); status=1; fi

note "types (mypy: clinical/ strict with no error; elsewhere no error beyond mypy-baseline.txt)"
types_data=$(mktemp -d)
ACUBACK_DATA_DIR=$types_data $BIN/mypy src/acuback > "$types_data/mypy.out" 2>&1
if grep -q "^src/acuback/clinical/" "$types_data/mypy.out"; then
  grep "^src/acuback/clinical/" "$types_data/mypy.out"
  results+=("types: FAILED (clinical/ must be strict-clean)"); status=1
elif $BIN/mypy-baseline filter --baseline-path mypy-baseline.txt --no-colors < "$types_data/mypy.out"; then
  results+=("types: no new error")
else
  results+=("types: FAILED (a new error, or a fixed one still in mypy-baseline.txt: \`make types-baseline\`)"); status=1
fi
rm -rf "$types_data"

note "migrations complete (makemigrations --check; \`make migrations\` writes them)"
check_data=$(mktemp -d)
if ACUBACK_DATA_DIR=$check_data ACUBACK_DATABASE_URL= $BIN/acuback makemigrations --check --dry-run; then
  results+=("migrations: complete")
else
  results+=("migrations: MISSING (run make migrations)"); status=1
fi
rm -rf "$check_data"

# --- SQLite --------------------------------------------------------------------
note "pytest on SQLite"
tmp_data=$(mktemp -d)
if ACUBACK_DATA_DIR=$tmp_data ACUBACK_DATABASE_URL= $BIN/pytest "$@"; then
  results+=("pytest on SQLite: passed")
else
  results+=("pytest on SQLite: FAILED"); status=1
fi
rm -rf "$tmp_data"

# --- PostgreSQL ----------------------------------------------------------------
pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do [[ -x $dir/initdb ]] && pg_bin=$dir; done
if [[ -z $pg_bin ]] && command -v initdb >/dev/null 2>&1; then pg_bin=$(dirname "$(command -v initdb)"); fi
if [[ -z $pg_bin ]]; then
  if [[ $CI == true ]]; then results+=("PostgreSQL: FAILED (server binaries missing and CI=true)"); status=1
  else echo "!!!!!!!! PostgreSQL server binaries not found: PostgreSQL run SKIPPED !!!!!!!!" >&2
       results+=("pytest on PostgreSQL: SKIPPED (no server binaries)"); fi
else
  note "pytest on a throwaway PostgreSQL cluster ($pg_bin)"
  pg_dir=$(mktemp -d); chmod 755 "$pg_dir"
  run_as=()
  # initdb refuses to run as root: run the cluster as an unprivileged user.
  if [[ $(id -u) == 0 ]]; then
    id acuback-pg >/dev/null 2>&1 || useradd --system --no-create-home acuback-pg
    chown acuback-pg "$pg_dir"
    run_as=(runuser -u acuback-pg --)
  fi
  port=$(( 54000 + RANDOM % 1000 ))
  pg_data_dir=$(mktemp -d)
  if "${run_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U acuback --auth=trust -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
     && "${run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
          -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" start >/dev/null; then
    if ACUBACK_DATA_DIR=$pg_data_dir ACUBACK_DATABASE_URL="postgres://acuback@127.0.0.1:$port/acuback" \
       $BIN/pytest "$@"; then
      results+=("pytest on PostgreSQL: passed")
    else
      results+=("pytest on PostgreSQL: FAILED"); status=1
    fi
    "${run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null
  else
    cat "$pg_dir/initdb.log" "$pg_dir/server.log" 2>/dev/null >&2
    results+=("pytest on PostgreSQL: FAILED (cluster did not start)"); status=1
  fi
  rm -rf "$pg_dir" "$pg_data_dir"
fi

note "Summary"
printf '  %s\n' "${results[@]}"
exit $status
