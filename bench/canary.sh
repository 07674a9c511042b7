#!/usr/bin/env bash
# Many canaries in a row with real processes (the daemon, its proxy, python
# replicas) under steady loopback traffic: 20 healthy releases and 5 that
# leak memory per request. Prints each canary's outcome and, in total, the
# time to detect a leak (first canary step routed → failing look), the time
# to roll it back (failing look → candidate's weight back to 0), the
# false-rollback count and what the clients saw.
#
# Usage: bench/canary.sh            (about 13 minutes; loopback only)
#        BENCH_HEALTHY=5 BENCH_LEAKING=2 bench/canary.sh
# Knobs (environment): BENCH_HEALTHY, BENCH_LEAKING, BENCH_STEP (15s),
# BENCH_LOOK (2s), BENCH_LEAK_BYTES (16384), BENCH_RATE (240).
# It drives the test `canary_bench` of the daemon's integration tests at
# size (the test suite runs it with one healthy and one leaking canary); the
# test stops every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."

export BENCH_HEALTHY=${BENCH_HEALTHY:-20} BENCH_LEAKING=${BENCH_LEAKING:-5} BENCH_STEP=${BENCH_STEP:-15s}
exec cargo test -q -p daytwo-daemon --test integration canary_bench::canary_bench \
  -- --nocapture --exact
