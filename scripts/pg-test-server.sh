#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for the shared-stand tests and
# for trying `komandor-emulator --db postgresql+psycopg://... --workers N` by hand.
#
#   scripts/pg-test-server.sh start DIR [PORT]   # prints the SQLAlchemy URL on stdout
#   scripts/pg-test-server.sh stop DIR
#
# Uses Debian's server binaries (/usr/lib/postgresql/<newest>/bin, or PG_BIN).
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# `postgres` system user (run through runuser). Trust authentication, loopback
# only, fsync off: for tests, never for data anyone wants to keep.
set -euo pipefail

die() { echo "pg-test-server: $*" >&2; exit 1; }

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || die "no PostgreSQL server binaries (apt-get install postgresql)"
  echo "$dir"
}

as_owner() {  # run a command as the cluster's owner
  if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir=$1 port=${2:-} bin
  bin=$(pg_bin)
  [ -n "$port" ] || port=$(free_port)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  as_owner test -w "$dir" || die "the cluster's owner cannot write $dir (check the parents' permissions)"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; die "the server did not start"; }
  echo "$port" >"$dir/port"
  echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
}

stop() {
  local dir=$1
  [ -d "$dir/data" ] || return 0
  as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) [ $# -ge 2 ] || die "usage: $0 start DIR [PORT]"; start "$2" "${3:-}" ;;
  stop) [ $# -ge 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start DIR [PORT] | stop DIR" ;;
esac
