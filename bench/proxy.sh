#!/usr/bin/env bash
# Measures daytwo's proxy against nginx and HAProxy in one interleaved run:
# the same two upstreams (daytwo-bench-upstream, hyper), keep-alive to the
# upstreams everywhere, no access logs anywhere, loopback only, bounded.
#
#   direct   wrk -> upstream 1
#   daytwo   wrk -> daytwo-proxy (release build) -> upstream 1|2
#   nginx    wrk -> nginx (1 worker, upstream keepalive) -> upstream 1|2
#   haproxy  wrk -> haproxy (http-reuse always) -> upstream 1|2
#
# Prints requests/s, p50 and p99 per target and daytwo/nginx, daytwo/HAProxy.
# Target (issue 3): daytwo's throughput >= nginx's, its p99 <= nginx's.
#
# Usage: bench/proxy.sh   (env: DURATION=10s CONNECTIONS=64 THREADS=2 PROXY_THREADS=)
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
# Worker threads of daytwo-proxy (empty: one per CPU).
proxy_threads=${PROXY_THREADS:-}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
command -v haproxy >/dev/null || missing+=(haproxy)
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

cargo build --release -q -p daytwo-proxy --bins
bin=$PWD/target/release

work=$(mktemp -d /tmp/d2-proxybench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  return 1
}

up1=$(free_port); up2=$(free_port)
"$bin/daytwo-bench-upstream" "127.0.0.1:$up1" up1 & pids+=($!)
"$bin/daytwo-bench-upstream" "127.0.0.1:$up2" up2 & pids+=($!)
wait_port "$up1"; wait_port "$up2"

# daytwo
d2_port=$(free_port)
mkdir -p "$work/home"
"$bin/daytwo-proxy" --home "$work/home" --no-access-log ${proxy_threads:+--threads "$proxy_threads"} >/dev/null & pids+=($!)
for _ in $(seq 1 100); do [[ -S $work/home/proxy.sock ]] && break; sleep 0.05; done
python3 - "$work/home/proxy.sock" "$d2_port" "$up1" "$up2" <<'PY'
import http.client, json, socket, sys
sock_path, port, up1, up2 = sys.argv[1:]
class UnixConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock_path)
table = {"generation": 1, "listeners": [{"env": "bench", "addr": f"127.0.0.1:{port}", "groups": [
    {"name": "stable", "weight_percent": 100, "upstreams": [
        {"id": "bench/web.1", "addr": f"127.0.0.1:{up1}", "release": "bench", "routable": True},
        {"id": "bench/web.2", "addr": f"127.0.0.1:{up2}", "release": "bench", "routable": True}]}]}]}
conn = UnixConnection("proxy")
conn.request("PUT", "/v1/routes", json.dumps(table), {"content-type": "application/json"})
answer = conn.getresponse()
assert answer.status == 200, answer.read()
PY
wait_port "$d2_port"

# nginx: 1 worker (its best on 2 cores), keep-alive pool to the upstreams
ng_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream app {
    least_conn;
    server 127.0.0.1:$up1;
    server 127.0.0.1:$up2;
    keepalive 128;
  }
  server {
    listen 127.0.0.1:$ng_port;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" & pids+=($!)
wait_port "$ng_port"

# HAProxy: same upstreams, connection reuse, least connections
ha_port=$(free_port)
cat >"$work/haproxy.cfg" <<CONF
global
  maxconn 8192
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option forwardfor
  http-reuse always
frontend bench
  bind 127.0.0.1:$ha_port
  default_backend app
backend app
  balance leastconn
  server up1 127.0.0.1:$up1
  server up2 127.0.0.1:$up2
CONF
haproxy -db -f "$work/haproxy.cfg" & pids+=($!)
wait_port "$ha_port"

# One wrk run; prints "requests_per_s p50_ms p99_ms".
measure() {
  wrk -t"$threads" -c"$connections" -d2s "http://127.0.0.1:$1/" >/dev/null # warm-up
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "http://127.0.0.1:$1/" | awk '
    function ms(v) {
      if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
      if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
      if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
      return v
    }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Socket errors/ { errors = $0 }
    /Non-2xx/ { non2xx = $0 }
    END {
      printf "%.0f %.3f %.3f\n", rps, p50, p99
      if (errors != "" || non2xx != "") print errors " " non2xx > "/dev/stderr"
    }'
}

declare -A rps p50 p99
for target in direct daytwo nginx haproxy; do
  case $target in
    direct) port=$up1 ;;
    daytwo) port=$d2_port ;;
    nginx) port=$ng_port ;;
    haproxy) port=$ha_port ;;
  esac
  read -r rps[$target] p50[$target] p99[$target] < <(measure "$port")
done

echo
echo "wrk -t$threads -c$connections -d$duration, loopback, $(nproc) CPUs"
printf '%-8s %12s %10s %10s\n' target "requests/s" "p50 ms" "p99 ms"
for target in direct daytwo nginx haproxy; do
  printf '%-8s %12s %10s %10s\n' "$target" "${rps[$target]}" "${p50[$target]}" "${p99[$target]}"
done
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo
echo "daytwo/nginx:   throughput $(ratio "${rps[daytwo]}" "${rps[nginx]}")x, p99 $(ratio "${p99[daytwo]}" "${p99[nginx]}")x"
echo "daytwo/HAProxy: throughput $(ratio "${rps[daytwo]}" "${rps[haproxy]}")x, p99 $(ratio "${p99[daytwo]}" "${p99[haproxy]}")x"
