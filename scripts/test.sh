#!/usr/bin/env bash
# The whole suite: always on SQLite; on PostgreSQL too when CUSTODESK_TEST_DATABASE_URL is set.
set -uo pipefail
cd "$(dirname "$0")/.."
export CUSTODESK_TESTING=1
export CUSTODESK_VAR_DIR="${CUSTODESK_VAR_DIR:-$PWD/var/test}"
export DJANGO_ALLOW_ASYNC_UNSAFE=true   # Playwright's sync API runs an event loop in the test thread
unset CUSTODESK_DATABASE_URL
mkdir -p "$CUSTODESK_VAR_DIR" test-artifacts
status=0

echo "== Test suite on SQLite"
.venv/bin/pytest "$@" || status=$?

if [ -n "${CUSTODESK_TEST_DATABASE_URL:-}" ]; then
  echo "== Test suite on PostgreSQL ($CUSTODESK_TEST_DATABASE_URL)"
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
  CUSTODESK_DATABASE_URL="$CUSTODESK_TEST_DATABASE_URL" .venv/bin/pytest "$@" || status=$?
else
  echo "== PostgreSQL run SKIPPED: CUSTODESK_TEST_DATABASE_URL is not set (CI sets it)"
fi
exit $status
