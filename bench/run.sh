#!/usr/bin/env bash
# Runs every benchmark in bench/ (none recorded yet; see docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
found=0
for b in bench/bench_*.py; do
  found=1
  echo "== $b"
  CUSTODESK_VAR_DIR="${CUSTODESK_VAR_DIR:-$PWD/var/bench}" .venv/bin/python "$b"
done
[ "$found" = 1 ] || echo "no benchmarks yet (bench/bench_*.py)"
