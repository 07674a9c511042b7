#!/usr/bin/env bash
# Measures the idle daemon's footprint while it supervises the example app:
# RSS of the daemon (and of each replica shim) and CPU over a fixed window.
# Targets (issue 2): daemon RSS < 15 MB, CPU < 0.5% of one core.
#
# Usage: bench/idle.sh [SECONDS]   (default 30; loopback only, stops by itself)
set -euo pipefail
cd "$(dirname "$0")/.."

window=${1:-30}
cargo build --release -q -p daytwo -p shop
bin=$PWD/target/release/daytwo
home=$(mktemp -d /tmp/d2-bench-XXXXXX)
export DAYTWO_HOME=$home
export SHOP_BIN=$PWD/target/release/shop

cleanup() {
  "$bin" down --all >/dev/null 2>&1 || true
  if [[ -f $home/daytwo.pid ]]; then kill "$(cat "$home/daytwo.pid")" 2>/dev/null || true; fi
  # The proxy outlives the daemon by design: stop it by the pid it wrote.
  if [[ -f $home/proxy.json ]]; then
    kill "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$home/proxy.json")" 2>/dev/null || true
  fi
  rm -rf "$home"
}
trap cleanup EXIT

"$bin" up --spec examples/shop/daytwo.toml --env dev --detach >/dev/null
# Wait until every replica is healthy (bounded).
for _ in $(seq 1 100); do
  if "$bin" ps --json | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if r and all(x["state"]=="healthy" for x in r) else 1)'; then
    break
  fi
  sleep 0.2
done
sleep 2 # let start-up allocations settle

pid=$(cat "$home/daytwo.pid")
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

start_ticks=$(cpu_ticks "$pid")
start_ns=$(date +%s%N)
sleep "$window"
end_ticks=$(cpu_ticks "$pid")
end_ns=$(date +%s%N)

rss=$(rss_kib "$pid")
cpu=$(python3 -c "print(f'{100*($end_ticks-$start_ticks)/$ticks/(($end_ns-$start_ns)/1e9):.3f}')")
replicas=$("$bin" ps --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
# Each replica's parent is its shim.
shims=$("$bin" ps --json | python3 -c "
import json, sys
for r in json.load(sys.stdin):
    if r['pid']:
        print(open('/proc/%d/stat' % r['pid']).read().rsplit(')', 1)[1].split()[1])
")
shim_rss=$(for s in $shims; do rss_kib "$s"; done | awk '{s+=$1; n++} END {if (n) printf "%.1f MiB avg over %d shims", s/n/1024, n; else print "n/a"}')

echo "replicas supervised: $replicas"
# RSS counts every page of the executable this process maps, also the clean
# ones shared with the proxy and the shims (same binary); PSS shares them out,
# private is what this process alone holds.
smaps() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }
pss=$(smaps "$pid" Pss)
anon=$(smaps "$pid" Anonymous)
file=$((rss - anon))
private=$(( $(smaps "$pid" Private_Clean) + $(smaps "$pid" Private_Dirty) ))
mib() { python3 -c "print(f'{$1/1024:.1f}')"; }
echo "daemon RSS:          $(mib "$rss") MiB (target < 15 MB): $(mib "$anon") MiB anonymous, $(mib "$file") MiB pages of the executable"
echo "daemon PSS:          $(mib "$pss") MiB; private (USS) $(mib "$private") MiB"
echo "daemon CPU:          ${cpu}% of one core over ${window}s (target < 0.5%)"
echo "shim RSS:            $shim_rss"
