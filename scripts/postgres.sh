#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests and the embedded stack (the Iceberg catalogue, Airflow's metadata DB).
#
#   scripts/postgres.sh start DIR [DB...]   initdb DIR (once), start it on a free 127.0.0.1 port, create the
#                                           databases (default: sarlake) and print one URI per database:
#                                           postgresql+psycopg2://sarlake@127.0.0.1:PORT/DB
#   scripts/postgres.sh stop DIR            stop the cluster in DIR (fast shutdown)
#   scripts/postgres.sh destroy DIR         stop it and delete its data
#   scripts/postgres.sh ensure              install Debian's postgresql package when no server is found
#                                           (apt-get update once, then apt-get install -y postgresql)
#
# Server binaries are looked up in $PG_BIN, then /usr/lib/postgresql/*/bin, then PATH. PostgreSQL refuses to run
# as root: as root the cluster belongs to the `postgres` user and commands run through runuser.
set -euo pipefail

find_bin() {
  if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then echo "$PG_BIN"; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  return 1
}

ensure() {
  if find_bin >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "postgres.sh: no PostgreSQL server found and not root; install Debian's postgresql package" >&2
    return 1
  fi
  echo "postgres.sh: installing Debian's postgresql package" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  find_bin >/dev/null
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The data folder: DIR/data, unless PostgreSQL's owner cannot reach DIR (root running tests in a private tmp
# folder); then a folder under /tmp owned by `postgres`, named in DIR/datadir.
data_dir() {
  local dir="$1"
  if [ -f "$dir/datadir" ]; then cat "$dir/datadir"; return; fi
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -w "$dir" 2>/dev/null; then
    echo "$dir/data"; return
  fi
  local data; data=$(mktemp -d /tmp/sarlake-pg.XXXXXX)
  chown postgres "$data"; chmod 700 "$data"
  echo "$data" >"$dir/datadir"
  echo "$data"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local dir="$1"; shift
  local dbs=("$@"); [ ${#dbs[@]} -gt 0 ] || dbs=(sarlake)
  ensure
  local bin; bin=$(find_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local data; data=$(data_dir "$dir")
  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$data" -U sarlake --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  local port
  if [ -f "$dir/port" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port=$(cat "$dir/port")
  else
    port=$(free_port)
    # Sockets in the cluster folder (never /var/run/postgresql, which other clusters use); TCP on loopback only.
    as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" start >/dev/null \
      || { cat "$data/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
  fi
  local db
  for db in "${dbs[@]}"; do
    if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U sarlake -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U sarlake "$db"
    fi
    echo "postgresql+psycopg2://sarlake@127.0.0.1:$port/$db"
  done
}

stop() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  local bin; bin=$(find_bin)
  local data; data=$(data_dir "$dir")
  if [ -f "$data/PG_VERSION" ]; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -f "$dir/port"
}

destroy() {
  stop "$1"
  [ -d "$1" ] || return 0
  local data; data=$(data_dir "$1")
  rm -rf "$data"
}

case "${1:-}" in
  start) shift; [ $# -ge 1 ] || { echo "usage: $0 start DIR [DB...]" >&2; exit 2; }; start "$@" ;;
  stop) shift; [ $# -eq 1 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$1" ;;
  destroy) shift; [ $# -eq 1 ] || { echo "usage: $0 destroy DIR" >&2; exit 2; }; destroy "$1" ;;
  ensure) ensure ;;
  *) echo "usage: $0 start DIR [DB...] | stop DIR | destroy DIR | ensure" >&2; exit 2 ;;
esac
