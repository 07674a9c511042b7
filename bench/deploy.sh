#!/usr/bin/env bash
# Steady load through an env's listener during 10 consecutive deploys that
# alternate two releases, then 5 rollbacks; prints the durations and the
# client-side failures (target: 0 non-2xx, 0 socket errors; warm rollback
# < 1 s; a deploy of 2 replicas within 3 s plus the app's start time).
#
# Usage: bench/deploy.sh   (loopback only; the load stops by itself)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -q -p daytwo
bin=$PWD/target/release/daytwo
work=$(mktemp -d /tmp/d2-deploy-XXXXXX)
export DAYTWO_HOME=$work/home NO_COLOR=1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
  touch "$work/stop"
  "$bin" down --all >/dev/null 2>&1 || true
  [[ -f $DAYTWO_HOME/daytwo.pid ]] && kill "$(cat "$DAYTWO_HOME/daytwo.pid")" 2>/dev/null || true
  if [[ -f $DAYTWO_HOME/proxy.json ]]; then
    kill "$(python3 -c "import json; print(json.load(open('$DAYTWO_HOME/proxy.json'))['pid'])")" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/app"
cat > "$work/app/app.py" <<'PY'
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = os.environ.get("DAYTWO_RELEASE", "").encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
s.daemon_threads = True
s.serve_forever()
PY
cat > "$work/app/daytwo.toml" <<TOML
[app]
name = "bench"

[build]
artifacts = ["app.py"]

[process.web]
command = "python3 app.py"
http = true
replicas = 2
health = { path = "/", interval = "200ms", timeout = "200ms" }
stop_timeout = "5s"

[env.prod]
listen = "127.0.0.1:$port"
TOML

"$bin" keys generate --trust prod >/dev/null
"$bin" build --spec "$work/app/daytwo.toml" --version 1.0.0 >/dev/null
echo "# v2" >> "$work/app/app.py"
"$bin" build --spec "$work/app/daytwo.toml" --version 2.0.0 >/dev/null

ms() { date +%s%3N; }
timed() { local t0; t0=$(ms); "$@" >/dev/null; echo $(( $(ms) - t0 )); }

first=$(timed "$bin" deploy 1.0.0 --env prod)
python3 bench/lib/load.py 127.0.0.1 "$port" / 16 600 "$work/stop" > "$work/load.json" &
loader=$!
sleep 1

deploys=()
for i in $(seq 1 10); do
  version=$([[ $((i % 2)) == 1 ]] && echo 2.0.0 || echo 1.0.0)
  deploys+=("$(timed "$bin" deploy "$version" --env prod)")
done
rollbacks=()
for i in $(seq 1 5); do
  rollbacks+=("$(timed "$bin" rollback --env prod)")
done
sleep 1
touch "$work/stop"
wait "$loader"

echo "first deploy (cold):     ${first} ms"
echo "10 deploys (ms):         ${deploys[*]}"
echo "5 rollbacks (ms):        ${rollbacks[*]}"
python3 - "$work/load.json" "${deploys[*]}" "${rollbacks[*]}" <<'PY'
import json, statistics, sys
load = json.load(open(sys.argv[1]))
deploys = [int(x) for x in sys.argv[2].split()]
rollbacks = [int(x) for x in sys.argv[3].split()]
print(f"deploy median:           {statistics.median(deploys)} ms (max {max(deploys)})")
print(f"rollback median:         {statistics.median(rollbacks)} ms (max {max(rollbacks)})")
print(f"requests:                {load['2xx']} 2xx, {load['non_2xx']} non-2xx, {load['socket_errors']} socket errors")
sys.exit(0 if load["non_2xx"] == 0 and load["socket_errors"] == 0 else 1)
PY
