#!/usr/bin/env bash
# Cluster serving benchmark: throughput and p99 of 1, 2 and 3 `trove serve --cluster` replicas on this machine behind
# a round-robin client (bench/cluster/client.py), reads (GET recommendations, ALS) and writes (POST /events, each
# committed to PostgreSQL before it is acknowledged); then a write load on 3 replicas with one SIGKILLed in the middle,
# and the database checked against every acknowledgement ("lost acknowledged events: 0" or exit 1). With each replica
# count it also times `trove recommend --all --cluster` (the CLI and the replicas lease blocks of users).
# On one machine the replicas share the cores: this measures the cluster's overhead, not a speed-up.
#
#   bench/cluster/run.sh                       # PostgreSQL at 127.0.0.1:5433 (user postgres), as in CI
#   PGPORT=5442 SECONDS_PER_RUN=15 bench/cluster/run.sh
#
# Environment: PGHOST (127.0.0.1), PGPORT (5433), WORK (/tmp/trove-bench-cluster), SECONDS_PER_RUN (20), WORKERS (8),
# USERS (5000), ITEMS (2000), SKIP_BUILD=1. Needs the .NET SDK, python3 and psql.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5433}
WORK=${WORK:-/tmp/trove-bench-cluster}
SECS=${SECONDS_PER_RUN:-20}; WORKERS=${WORKERS:-8}
DBNAME=trove_bench_cluster
DB="postgres://postgres@$PGHOST:$PGPORT/$DBNAME"
TROVE="dotnet $ROOT/src/Trove.Cli/bin/Release/net10.0/trove.dll"
CLIENT="python3 $ROOT/bench/cluster/client.py"
SQL() { psql -h "$PGHOST" -p "$PGPORT" -U postgres -d "$DBNAME" -At -c "$1"; }

[ "${SKIP_BUILD:-0}" = 1 ] || dotnet build "$ROOT/src/Trove.Cli" -c Release -v q -nologo
rm -rf "$WORK"; mkdir -p "$WORK"
psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)"
$TROVE simulate --users "${USERS:-5000}" --items "${ITEMS:-2000}" --seed 11 --out "$WORK/sim" > /dev/null
$TROVE db migrate --db "$DB"
$TROVE import --data "$WORK/sim" --db "$DB" | tail -1
$TROVE train --db "$DB" --model als --out "$WORK/als.trove" 2>/dev/null | grep "model version"
tail -n +2 "$WORK/sim/interactions.csv" | cut -d, -f1 | sort -u | shuf -n 1000 --random-source=<(yes) > "$WORK/users.txt"

PIDS=()
start() { # start N CLUSTER_ID: N replicas, HTTP ports 18101.., silo ports 11201..
  PIDS=(); URLS=""
  for i in $(seq 1 "$1"); do
    $TROVE serve --cluster --cluster-id "$2" --db "$DB" --port $((18100 + i)) --silo-port $((11200 + i)) --api-key k > "$WORK/$2-$i.log" 2>&1 &
    PIDS+=($!); URLS="${URLS:+$URLS,}http://127.0.0.1:$((18100 + i))"
  done
  for i in $(seq 1 "$1"); do
    for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$((18100 + i))/ready" > /dev/null && break; sleep 0.5; done
    curl -sf "http://127.0.0.1:$((18100 + i))/ready" > /dev/null || { echo "replica $i did not start:"; tail -20 "$WORK/$2-$i.log"; exit 1; }
  done
}
stop() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap stop EXIT

echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
# Baseline: one plain `trove serve --db` (events in its own memory, written through to the same database): what the
# cluster's grain calls cost against it.
$TROVE serve --db "$DB" --model "$WORK/als.trove" --port 18100 --api-key k > "$WORK/plain.log" 2>&1 &
PIDS=($!)
for _ in $(seq 1 240); do curl -sf http://127.0.0.1:18100/ready > /dev/null && break; sleep 0.5; done
$CLIENT reads --urls http://127.0.0.1:18100 --users "$WORK/users.txt" --seconds 3 --workers "$WORKERS" > /dev/null
echo "== plain trove serve (no cluster), $WORKERS client threads, ${SECS} s each"
$CLIENT reads --urls http://127.0.0.1:18100 --users "$WORK/users.txt" --seconds "$SECS" --workers "$WORKERS"
$CLIENT writes --urls http://127.0.0.1:18100 --seconds "$SECS" --workers "$WORKERS" --tag w0
stop
for n in 1 2 3; do
  start "$n" "bench$n"
  $CLIENT reads --urls "$URLS" --users "$WORK/users.txt" --seconds 3 --workers "$WORKERS" > /dev/null   # warm-up (JIT, grains)
  echo "== $n replica(s), $WORKERS client threads, ${SECS} s each"
  $CLIENT reads --urls "$URLS" --users "$WORK/users.txt" --seconds "$SECS" --workers "$WORKERS"
  $CLIENT writes --urls "$URLS" --seconds "$SECS" --workers "$WORKERS" --tag "w$n"
  # Batch scoring: every user's top-10 into the recommendations table, blocks leased by this CLI and the replicas.
  $TROVE recommend --all --cluster --db "$DB" --model "$WORK/als.trove" --block-size 250 | sed 's/^/batch: /'
  stop
done

echo "== SIGKILL: 3 replicas, writes for $((SECS)) s, replica 3 killed after $((SECS / 3)) s"
start 3 benchkill
$CLIENT writes --urls "$URLS" --seconds "$SECS" --workers "$WORKERS" --acks "$WORK/acks.txt" --tag kill &
LOADPID=$!
sleep $((SECS / 3))
kill -9 "${PIDS[2]}"; echo "killed replica 3 (pid ${PIDS[2]})"
wait $LOADPID
SQL "SELECT i.external_id FROM interactions x JOIN items i ON i.id = x.item_id WHERE i.external_id LIKE 'kill-%'" | sort -u > "$WORK/stored.txt"
sort -u "$WORK/acks.txt" > "$WORK/acked.txt"
lost=$(comm -23 "$WORK/acked.txt" "$WORK/stored.txt" | wc -l)
echo "acknowledged $(wc -l < "$WORK/acked.txt"), stored $(wc -l < "$WORK/stored.txt"), lost acknowledged events: $lost"
[ "$lost" -eq 0 ]
