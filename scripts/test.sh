#!/usr/bin/env bash
# The whole suite: always on SQLite; on PostgreSQL too when CUSTODESK_TEST_DATABASE_URL is set.
#
# With both databases the two runs go side by side (the machine has 2 cores and each run
# is one process): PostgreSQL's streams here, SQLite's goes to test-artifacts/ and is
# printed when both have finished.  The schemathesis coverage phase (deterministic, the
# same requests on both) runs once, in the SQLite run, which is otherwise the shorter, and
# so do the tests marked database_agnostic (a subprocess on its own SQLite, or none).  CUSTODESK_TEST_SERIAL=1 runs them one after the other.
set -uo pipefail
cd "$(dirname "$0")/.."
export CUSTODESK_TESTING=1
export DJANGO_ALLOW_ASYNC_UNSAFE=true   # Playwright's sync API runs an event loop in the test thread
unset CUSTODESK_DATABASE_URL
VAR="${CUSTODESK_VAR_DIR:-$PWD/var/test}"
mkdir -p "$VAR/sqlite" "$VAR/postgresql" test-artifacts
started=$SECONDS

if [ -z "${CUSTODESK_TEST_DATABASE_URL:-}" ]; then
  echo "== Test suite on SQLite"
  echo "== PostgreSQL run SKIPPED: CUSTODESK_TEST_DATABASE_URL is not set (CI sets it)"
  CUSTODESK_VAR_DIR="$VAR/sqlite" .venv/bin/pytest "$@"
  exit $?
fi

if ! .venv/bin/python - <<'PY'
import os, sys, psycopg
try:
    psycopg.connect(os.environ["CUSTODESK_TEST_DATABASE_URL"], connect_timeout=5).close()
except Exception as exc:
    print(f"cannot connect to PostgreSQL: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "FAILED: CUSTODESK_TEST_DATABASE_URL is set but PostgreSQL does not answer" >&2
  exit 1
fi

sqlite_log=test-artifacts/pytest-sqlite.log
run_sqlite() {
  CUSTODESK_VAR_DIR="$VAR/sqlite" .venv/bin/pytest "$@"
}
run_postgresql() {
  CUSTODESK_DATABASE_URL="$CUSTODESK_TEST_DATABASE_URL" CUSTODESK_VAR_DIR="$VAR/postgresql" \
    CUSTODESK_FUZZ_COVERAGE=0 .venv/bin/pytest -m "not database_agnostic" "$@"
}

if [ "${CUSTODESK_TEST_SERIAL:-0}" = 1 ]; then
  echo "== Test suite on SQLite"
  run_sqlite "$@"; sqlite_status=$?
  echo "== Test suite on PostgreSQL ($CUSTODESK_TEST_DATABASE_URL)"
  run_postgresql "$@"; pg_status=$?
else
  echo "== Test suite on SQLite (in the background, log: $sqlite_log)"
  run_sqlite "$@" >"$sqlite_log" 2>&1 &
  sqlite_pid=$!
  trap 'kill "$sqlite_pid" 2>/dev/null' INT TERM
  echo "== Test suite on PostgreSQL ($CUSTODESK_TEST_DATABASE_URL)"
  run_postgresql "$@"; pg_status=$?
  wait "$sqlite_pid"; sqlite_status=$?
  echo "== Test suite on SQLite: its output"
  cat "$sqlite_log"
fi

echo "== SQLite: $([ "$sqlite_status" = 0 ] && echo passed || echo "FAILED ($sqlite_status)");" \
  "PostgreSQL: $([ "$pg_status" = 0 ] && echo passed || echo "FAILED ($pg_status)");" \
  "$((SECONDS - started)) s in all"
[ "$sqlite_status" = 0 ] && [ "$pg_status" = 0 ]
