#!/usr/bin/env bash
# Single-flag OFREP evaluation over loopback: throughput and latency
# percentiles (p99) with wrk POSTing an evaluation context.
#
#   bench/flags.sh [DURATION] [CONNECTIONS] [THREADS]   (defaults: 10s 64 2)
#
# Bounded: one server on 127.0.0.1, one wrk run of DURATION, then both stop.
# Evaluates `new-search` (a 25 % rollout sticky on targetingKey: hashing and
# a targeting decision on every request) with a different key per request.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10s}
connections=${2:-64}
threads=${3:-2}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }

cargo build --release --quiet -p daytwo-flags --example ofrep_server
work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The server stops when its stdin closes; keep it open with a fifo.
mkfifo "$work/stdin"
target/release/examples/ofrep_server 127.0.0.1:0 <"$work/stdin" >"$work/out" &
server_pid=$!
exec 3>"$work/stdin"
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/out" 2>/dev/null && break
  sleep 0.05
done
addr=$(sed -n 's/^listening on //p' "$work/out")
[[ -n $addr ]] || { echo "server did not start" >&2; exit 1; }

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"context":{"targetingKey":"user-' .. counter .. '","country":"NL"}}'
  return wrk.format(nil, nil, nil, body)
end
LUA

# Sanity check: one evaluation answers 200 with a value.
curl -sf -X POST -H 'content-type: application/json' \
  -d '{"context":{"targetingKey":"user-1"}}' \
  "http://$addr/ofrep/v1/evaluate/flags/new-search" >/dev/null

echo "== single-flag OFREP evaluation, $connections connections, $threads threads, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/post.lua" \
  "http://$addr/ofrep/v1/evaluate/flags/new-search" | tee "$work/wrk.txt"
rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
echo "== result: ${rps} evaluations/s, p99 ${p99}"
exec 3>&-
wait "$server_pid" 2>/dev/null || true
server_pid=
