#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests. Source this file, then:
#
#   pg_start   # installs postgresql-15 if missing (as root), starts a cluster
#              # in a temp dir on 127.0.0.1:<free port>, exports GLINT_TEST_POSTGRES
#   pg_stop    # stops it and removes the dir
#
# fsync and synchronous_commit stay on: the tests run against the durability
# settings production uses. As root the cluster runs as the postgres user
# (initdb refuses root); as anyone else it runs as that user.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# _pg_as runs a command as the cluster's owner.
_pg_as() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_pg_install() {
  if [ -x "$PG_BIN/initdb" ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "pg.sh: $PG_BIN/initdb is missing; install postgresql-15 (apt-get install postgresql-15)" >&2
    return 1
  fi
  echo "pg.sh: installing postgresql-15" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || return 1
  # policy-rc.d keeps the package from starting its own cluster service.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt-get install -y -qq --no-install-recommends postgresql-15 >&2
  local rc=$?
  [ "$created_policy" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] && [ -x "$PG_BIN/initdb" ]
}

_pg_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

pg_start() {
  _pg_install || return 1
  if [ "$(id -u)" = 0 ] && ! getent passwd postgres >/dev/null; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres || return 1
  fi
  # As root the dir must be reachable by the postgres user: use /tmp.
  local base=${TMPDIR:-/tmp}
  [ "$(id -u)" = 0 ] && base=/tmp
  PG_DIR=$(mktemp -d "$base/glint-pg.XXXXXX") || return 1
  export PG_DIR
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_DIR" || return 1
  fi
  chmod 700 "$PG_DIR"
  if ! _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 &&
     ! _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1; then
    echo "pg.sh: initdb failed:" >&2
    cat "$PG_DIR/initdb.log" >&2
    rm -rf "$PG_DIR"
    return 1
  fi
  local port
  port=$(_pg_free_port) || { echo "pg.sh: no free port" >&2; rm -rf "$PG_DIR"; return 1; }
  PG_PORT=$port
  export PG_PORT
  # Sockets go in the cluster dir (no /var/run/postgresql needed); TCP on
  # loopback only.
  if ! _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=on -c synchronous_commit=on -c max_connections=200 -c shared_buffers=128MB" >/dev/null; then
    echo "pg.sh: PostgreSQL did not start:" >&2
    cat "$PG_DIR/server.log" >&2
    rm -rf "$PG_DIR"
    return 1
  fi
  local i
  for i in $(seq 1 60); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
      export GLINT_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
      echo "pg.sh: PostgreSQL 15 on 127.0.0.1:$port (data in $PG_DIR)" >&2
      return 0
    fi
    sleep 0.5
  done
  echo "pg.sh: PostgreSQL is not ready after 30 s" >&2
  pg_stop
  return 1
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
      _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        _pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$PG_DIR"
  fi
  unset PG_DIR PG_PORT GLINT_TEST_POSTGRES
}
