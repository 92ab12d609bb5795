#!/usr/bin/env bash
# Soak run (a): mixed reads and event writes against `trove serve` with an ALS model of a simulated catalogue
# and events written to SQLite (--db). Prints the load generator's report and checks that every event
# answered 2xx is in the database. Usage: bench/soak/soak.sh [DURATION_S=300] [RATE=200] [WORK=/tmp/trove-soak]
# Needs: dotnet build Trove.slnx -c Release (the trove CLI and bench/soak/Trove.Soak).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-300}; RATE=${2:-200}; WORK=${3:-/tmp/trove-soak}; PORT=${PORT:-18090}
TROVE=src/Trove.Cli/bin/Release/net10.0/trove
SOAK=bench/soak/Trove.Soak/bin/Release/net10.0/trove-soak
mkdir -p "$WORK"
[ -f "$WORK/sim/interactions.csv" ] || "$TROVE" simulate --users 10000 --items 5000 --seed 7 --out "$WORK/sim" >/dev/null
[ -f "$WORK/als.trove" ] || "$TROVE" train --data "$WORK/sim" --model als --out "$WORK/als.trove" >/dev/null
rm -f "$WORK/soak.db" "$WORK/soak.db-wal" "$WORK/soak.db-shm"
"$TROVE" import --data "$WORK/sim" --db "$WORK/soak.db" | tail -1

"$TROVE" serve --model "als=$WORK/als.trove" --db "$WORK/soak.db" --port "$PORT" --api-key soak-key > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$SOAK" run --url "http://127.0.0.1:$PORT" --data "$WORK/sim/interactions.csv" --duration "${DURATION}s" --rate "$RATE" \
  --mix recommendations=0.8,similar=0.1,events=0.1 --concurrency 32 --api-key soak-key --server-pid "$SERVER" \
  --acks "$WORK/acks.tsv" --out "$WORK/soak-summary.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT
"$SOAK" verify --db "$WORK/soak.db" --acks "$WORK/acks.tsv"
