#!/usr/bin/env bash
# Outage run (b): `trove serve` with events in a PostgreSQL instance of its own (never the shared one on 5433),
# mixed load for DURATION seconds; the database is stopped at STOP_AT seconds and started again DOWN seconds
# later. Reports 503s and whether recommendations kept answering, then checks every event answered 2xx is in
# the database. Usage: bench/soak/outage.sh [DURATION_S=120] [RATE=100] [STOP_AT=40] [DOWN=30] [WORK=/tmp/trove-soak]
# Run as root (initdb/pg_ctl via su postgres) or as a user who may run the PostgreSQL binaries.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-120}; RATE=${2:-100}; STOP_AT=${3:-40}; DOWN=${4:-30}; WORK=${5:-/tmp/trove-soak}
PORT=${PORT:-18091}; PGPORT=${PGPORT:-5499}; PGBIN=/usr/lib/postgresql/15/bin
TROVE=src/Trove.Cli/bin/Release/net10.0/trove
SOAK=bench/soak/Trove.Soak/bin/Release/net10.0/trove-soak
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
mkdir -p "$WORK"
[ -f "$WORK/sim/interactions.csv" ] || "$TROVE" simulate --users 10000 --items 5000 --seed 7 --out "$WORK/sim" >/dev/null
[ -f "$WORK/als.trove" ] || "$TROVE" train --data "$WORK/sim" --model als --out "$WORK/als.trove" >/dev/null

PGDIR=$(mktemp -d /tmp/trove-soak-pg.XXXX)
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGDIR"
as_postgres "$PGBIN/initdb -D $PGDIR/data -A trust -U postgres -E UTF8" >/dev/null
PGCTL_START="$PGBIN/pg_ctl -D $PGDIR/data -l $PGDIR/server.log -w -o '-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR' start"
as_postgres "$PGCTL_START" >/dev/null
DB="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=trove_soak;Timeout=3"
cleanup() { kill "${SERVER:-}" 2>/dev/null || true; as_postgres "$PGBIN/pg_ctl -D $PGDIR/data -m fast stop" >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap cleanup EXIT
"$TROVE" import --data "$WORK/sim" --db "$DB" | tail -1

"$TROVE" serve --model "als=$WORK/als.trove" --db "$DB" --port "$PORT" --api-key soak-key > "$WORK/outage-serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
(
  sleep "$STOP_AT"; echo "[$(date -u +%T)] stopping PostgreSQL"; as_postgres "$PGBIN/pg_ctl -D $PGDIR/data -m fast -w stop" >/dev/null
  sleep 1; echo "[$(date -u +%T)] /ready while down: $(curl -s http://127.0.0.1:$PORT/ready | grep -o '"database":{[^}]*}')"
  sleep "$((DOWN - 1))"; echo "[$(date -u +%T)] starting PostgreSQL"; as_postgres "$PGCTL_START" >/dev/null
  sleep 3; echo "[$(date -u +%T)] /ready after restart: $(curl -s http://127.0.0.1:$PORT/ready | grep -o '"database":{[^}]*}')"
) &
CHAOS=$!
"$SOAK" run --url "http://127.0.0.1:$PORT" --data "$WORK/sim/interactions.csv" --duration "${DURATION}s" --rate "$RATE" \
  --mix recommendations=0.8,similar=0.1,events=0.1 --concurrency 32 --api-key soak-key --server-pid "$SERVER" \
  --acks "$WORK/outage-acks.tsv" --out "$WORK/outage-summary.json"
wait $CHAOS
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server log (database transitions):"; grep -iE "database .* (unavailable|available again)" "$WORK/outage-serve.log" | sed 's/^/  /' || true
kill $SERVER; wait $SERVER 2>/dev/null || true
"$SOAK" verify --db "$DB" --acks "$WORK/outage-acks.tsv"
