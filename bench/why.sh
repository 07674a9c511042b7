#!/usr/bin/env bash
# `daytwo why`: log-template index build time, template count, index size and
# lookup latency (target: p99 < 10 ms) on a large tree, then end to end with
# the CLI: a release built from daytwo's own sources (index + git blame
# inside the bundle), `why --release` against the store and `why` on the
# working tree, each one process per lookup.
#
# Usage: bench/why.sh [TREE] [LOOKUPS]
#   TREE     default ~/.cargo/registry/src (the dependencies' sources)
#   LOOKUPS  default 5000 in-process lookups; the CLI part runs 20 of each
# Bounded: one index build of TREE, no network, temp files removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

tree=${1:-$HOME/.cargo/registry/src}
lookups=${2:-5000}
[[ -d $tree ]] || { echo "bench/why.sh: $tree is not a directory" >&2; exit 1; }

cargo build --release -q -p daytwo-why --example why_bench
cargo build --release -q -p daytwo
bin=$PWD/target/release/daytwo

echo "== index and lookups, in process (crates/why/examples/why_bench.rs)"
target/release/examples/why_bench "$tree" "$lookups"

echo
echo "== end to end: daytwo build + daytwo why (one process per lookup)"
work=$(mktemp -d /tmp/d2-why-XXXXXX)
export DAYTWO_HOME=$work/home NO_COLOR=1
cleanup() {
  [[ -f $DAYTWO_HOME/daytwo.pid ]] && kill "$(cat "$DAYTWO_HOME/daytwo.pid")" 2>/dev/null || true
  if [[ -f $DAYTWO_HOME/proxy.json ]]; then
    kill "$(python3 -c "import json; print(json.load(open('$DAYTWO_HOME/proxy.json'))['pid'])")" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# daytwo's own sources at HEAD, in a fresh repository with one commit.
app=$work/app
mkdir -p "$app"
git archive HEAD crates examples | tar -x -C "$app"
cat > "$app/daytwo.toml" <<'TOML'
[app]
name = "daytwo-sources"

[process.idle]
command = "sleep 3600"

[build]
artifacts = ["daytwo.toml"]
TOML
git -C "$app" init -q
git -C "$app" -c user.name=Bench -c user.email=bench@example.com -c commit.gpgsign=false add -A
git -C "$app" -c user.name=Bench -c user.email=bench@example.com -c commit.gpgsign=false commit -q -m sources
files=$(find "$app" -name '*.rs' -o -name '*.py' -o -name '*.go' -o -name '*.js' -o -name '*.ts' -o -name '*.java' | wc -l)

"$bin" keys generate >/dev/null
start=$(date +%s%N)
"$bin" build --version 1.0.0 --spec "$app/daytwo.toml" >/dev/null
build_ms=$(( ($(date +%s%N) - start) / 1000000 ))
index=$(ls "$DAYTWO_HOME"/releases/*/app/.daytwo/why-index.json)
templates=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['templates']))" "$index")
echo "daytwo build (index + blame of $files source files, $templates templates): $build_ms ms; index $(( $(stat -c %s "$index") / 1024 )) KiB"

# 20 concrete lines from the stored templates (placeholders filled).
python3 - "$index" > "$work/lines" <<'PY'
import json, random, re, sys
templates = json.load(open(sys.argv[1]))["templates"]
random.seed(7)
for t in random.sample(templates, min(20, len(templates))):
    line = re.sub(r"\$\{[^}]*\}|\{[^{}]*\}|%[-+#0-9.]*[sdvqxfgr]", "42", t["text"])
    print(json.dumps(line.strip().splitlines()[0] if line.strip() else "42"))
PY

time_lookups() {
  python3 - "$@" <<'PY'
import json, subprocess, sys, time
args, lines = sys.argv[1:-1], [json.loads(l) for l in open(sys.argv[-1])]
times, found = [], 0
for line in lines:
    start = time.perf_counter()
    run = subprocess.run(args + [line], capture_output=True, text=True)
    times.append((time.perf_counter() - start) * 1000)
    found += run.returncode == 0
times.sort()
print(f"{len(lines)} runs, {found} answered: median {times[len(times)//2]:.0f} ms, max {times[-1]:.0f} ms")
PY
}
echo -n "daytwo why --release 1.0.0 (stored index, read per process): "
time_lookups "$bin" why --release 1.0.0 --json "$work/lines" 2>/dev/null | tail -1 | sed 's/^/ /'
echo -n "daytwo why --spec (working tree indexed per process, blame of the matches): "
time_lookups "$bin" why --spec "$app/daytwo.toml" --json "$work/lines" 2>/dev/null | tail -1 | sed 's/^/ /'
