#!/usr/bin/env bash
# Starts PostgreSQL 15 on 127.0.0.1:5433 with trust auth (the sequence of ../shared/deps.md), idempotently:
# does nothing when a server already answers there. Run as root (or with sudo available).
# Tests read the connection string from TROVE_TEST_POSTGRES
# (default Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres).
set -euo pipefail
PORT=${TROVE_PG_PORT:-5433}
PGBIN=/usr/lib/postgresql/15/bin
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

ready() { "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; }

if [ ! -x "$PGBIN/initdb" ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends postgresql
fi
if ready; then echo "postgres already running on 127.0.0.1:$PORT"; exit 0; fi

PGDIR=$(mktemp -d /tmp/pgci.XXXX)
$SUDO chown postgres:postgres "$PGDIR"
$SUDO su postgres -c "$PGBIN/initdb -D $PGDIR/data -A trust -U postgres -E UTF8" >/dev/null
$SUDO su postgres -c "$PGBIN/pg_ctl -D $PGDIR/data -l $PGDIR/server.log -w -o '-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR' start" >/dev/null
for _ in $(seq 1 30); do ready && break; sleep 0.5; done
ready || { echo "postgres did not start; log: $PGDIR/server.log" >&2; cat "$PGDIR/server.log" >&2; exit 1; }
echo "postgres running on 127.0.0.1:$PORT (data in $PGDIR/data; stop: su postgres -c '$PGBIN/pg_ctl -D $PGDIR/data stop')"
