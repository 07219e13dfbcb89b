#!/usr/bin/env bash
# End-to-end tests against a real server: builds parley, starts it on a
# temporary database with the sample data on 127.0.0.1 and a free port, runs
# the node tests (GraphQL-over-HTTP audit, subscriptions, and the playground
# in Chromium unless --no-browser), checks /metrics, and stops the server.
#
# Usage: e2e/run.sh [--no-browser]
# Needs node >= 20 with `npm ci` done in e2e/, and /usr/bin/chromium (or
# CHROMIUM) for the browser test.
set -euo pipefail
cd "$(dirname "$0")"

browser=1
[ "${1:-}" = "--no-browser" ] && browser=0

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    wait "$server_pid" || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "building parley"
(cd .. && go build -o "$tmp/parley" .)

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
base="http://127.0.0.1:$port"

# Writes need a token; reads are public.
PARLEY_TOKEN=$("$tmp/parley" token create --token-file "$tmp/tokens.json" --role write --name e2e 2>/dev/null)
export PARLEY_TOKEN

# A small subscription buffer, so that a stalled subscriber overflows within
# the 10,000 statements of the subscription test.
"$tmp/parley" serve --db "$tmp/parley.db" --sample --addr "127.0.0.1:$port" --token-file "$tmp/tokens.json" \
  --subscription-buffer 2000 --log-format json >"$tmp/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log"; echo "the server exited"; exit 1; }
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null

status=0
step() { printf '\n-- %s\n' "$*"; }

step "GraphQL-over-HTTP audit (graphql-http)"
node audit.mjs "$base/graphql" || status=1

step "subscriptions (graphql-ws)"
"$tmp/parley" gen -n 10000 -seed 1 >"$tmp/workload.jsonl"
node subscriptions.mjs "$base/graphql" "$tmp/workload.jsonl" || status=1

if [ "$browser" = 1 ]; then
  step "playground in Chromium (playwright-core)"
  node playground.mjs "$base/" || status=1
fi

step "metrics after the tests"
curl -fsS "$base/metrics" >"$tmp/metrics.txt"
# Every named operation the tests ran has a non-zero request counter.
for op in Import Added; do
  if grep -Eq "^parley_graphql_requests_total\{operation=\"$op\",status=\"ok\",type=\"[a-z]+\"\} [1-9]" "$tmp/metrics.txt"; then
    grep -E "^parley_graphql_requests_total\{operation=\"$op\"" "$tmp/metrics.txt"
  else
    echo "FAIL no requests counted for operation $op"; status=1
  fi
done
grep -E '^parley_(imported_records_total|subscriptions_dropped_total|database_size_bytes)' "$tmp/metrics.txt"

step "request log"
# JSON lines with a request id, never a token.
if grep -q '"msg":"request"' "$tmp/server.log" && ! grep -q '"msg":"request"' <(grep -v request_id "$tmp/server.log"); then
  echo "ok   every request log line has a request id"
else
  echo "FAIL request log lines without a request id"; status=1
fi
if grep -qiF -e bearer -e "$PARLEY_TOKEN" "$tmp/server.log"; then
  echo "FAIL the log contains a token"; status=1
fi

exit $status
