#!/usr/bin/env bash
# make client-check: install the client's pinned packages, export the OpenAPI document, generate the
# TypeScript types from it, check the sources' formatting, type-check and compile (tsc, strict), run
# the contract check's self-test, then the journey against a live server: `ttm serve` on a free
# 127.0.0.1 port over a fresh SQLite file, migrated and loaded with the demo data. Any failure
# (install, generation, a type error, a journey step, an answer that does not match the document)
# fails the check. Usage: check.sh VENV_BIN_DIR (make passes the project's virtualenv).
set -euo pipefail
BIN=${1:?usage: check.sh VENV_BIN_DIR}
BIN=$(cd "$BIN" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# This tree's code, even when the virtualenv's editable install points at another checkout.
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
cd "$HERE"
started=$(date +%s)
step() { echo "== client-check: $* ($(( $(date +%s) - started )) s)"; }

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "export the OpenAPI document"
"$BIN/ttm" openapi --output openapi.json

step "generate src/schema.d.ts (openapi-typescript)"
npm run --silent generate

step "formatting (prettier --check)"
npm run --silent format-check

step "type-check and compile (tsc, strict)"
rm -rf dist
npx --no-install tsc

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ttm-client-check.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export TTM_ENV=development
export TTM_DATABASE_URL="sqlite+aiosqlite:///$WORK/ttm.db"
export TTM_JWT_KEY_DIR="$WORK/jwt-keys"
export TTM_LOG_JSON=false
export TTM_LOG_LEVEL=WARNING

step "the contract check refuses what breaks the document (self-test)"
node dist/contract-selftest.js --document openapi.json

step "fresh SQLite database: migrate, seed the demo data"
"$BIN/ttm" migrate
"$BIN/ttm" seed-demo

PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
step "serve on $BASE"
"$BIN/ttm" serve --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
ready() { "$BIN/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/ready", timeout=5)' "$BASE" 2>/dev/null; }
for _ in $(seq 1 120); do
  if ready; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "client-check: the server exited before it was ready:" >&2
    cat "$WORK/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
if ! ready; then
  echo "client-check: the server was not ready in time:" >&2
  cat "$WORK/server.log" >&2
  exit 1
fi

step "journey"
status=0
timeout 180 node dist/journey.js --base-url "$BASE" --document openapi.json || status=$?
if [ "$status" -ne 0 ]; then
  echo "client-check: the journey failed (exit $status); the server's log:" >&2
  tail -n 60 "$WORK/server.log" >&2
  exit "$status"
fi
step "passed"
