#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for daytwo-migrate's tests and prints
# its URL (postgres://postgres@127.0.0.1:PORT/postgres) on stdout.
#
#   export DAYTWO_TEST_POSTGRES_URL=$(crates/migrate/tests/start-postgres.sh)
#
# The cluster lives in a temp dir (printed on stderr with the stop command),
# listens on 127.0.0.1 on a free port, trusts local connections and runs
# with fsync off. PostgreSQL refuses to run as root, so as root the cluster
# is owned by and run as the `postgres` user (Debian's package creates it).
# Installs Debian's `postgresql` package when no initdb is found.
set -euo pipefail

find_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$found" && -x "$found/initdb" ]]; then
    echo "$found"
  fi
}

bin=$(find_bin)
if [[ -z "$bin" ]]; then
  echo "start-postgres: installing postgresql" >&2
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  bin=$(find_bin)
fi
[[ -n "$bin" ]] || { echo "start-postgres: no initdb found" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/daytwo-pg.XXXXXX)

as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >&2 || { cat "$dir/server.log" >&2; exit 1; }

echo "start-postgres: data in $dir; stop with: ${as_owner[*]} $bin/pg_ctl -D $dir/data stop" >&2
echo "postgres://postgres@127.0.0.1:$port/postgres"
