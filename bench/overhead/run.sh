#!/usr/bin/env bash
# Serving overhead: server CPU per recommendation request against the graph search that request needs, in one run.
#
#   bench/overhead/run.sh        # WORK=/tmp/serve-load (shared with bench/load/run-load.sh): simulate, train, measure
#
# 1. IndexBench times the HNSW search alone, one thread, on the same model and ef as the server: raw (k=10) and as
#    served (each user's training items filtered out during the walk, as GET /users/{id}/recommendations does).
# 2. `trove serve --retrieval hnsw` answers wrk (recs.lua: random users, k=10, 8 connections) for DURATION after a
#    20 s warm-up; server CPU (user + system from /proc) divided by the requests answered is the cost of one request,
#    HTTP parsing, JSON and the kernel's socket work included.
# The ratio of the two is the overhead. Run it on a quiet machine: both numbers are CPU time, but a loaded machine
# adds cache misses and context switches to the server side. The two halves run minutes apart and this VM's speed
# drifts over minutes: bench/overhead/interleaved.sh alternates them in short bursts instead. Needs wrk and a Release build (SKIP_BUILD=1 skips it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/serve-load}
PORT=${PORT:-18180}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-8}
EF=${EF:-100}
TROVE="dotnet $ROOT/src/Trove.Cli/bin/Release/net10.0/trove.dll"
INDEXBENCH="dotnet $ROOT/bench/Trove.IndexBench/bin/Release/net10.0/Trove.IndexBench.dll"
mkdir -p "$WORK"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  dotnet build "$ROOT/src/Trove.Cli" -c Release -v q -nologo
  dotnet build "$ROOT/bench/Trove.IndexBench" -c Release -v q -nologo
fi
[ -f "$WORK/sim/interactions.csv" ] || $TROVE simulate --users 50000 --items 100000 --seed 5 --mean-interactions 40 --out "$WORK/sim" --no-diagnostics
[ -f "$WORK/als.trove" ] || $TROVE train --data "$WORK/sim" --model als --out "$WORK/als.trove" --vector-index

search_ms() { awk -F'|' -v ef="$EF" '$2 ~ /HNSW/ && $3 + 0 == ef { gsub(/ /, "", $5); print $5 }' "$1"; }
$INDEXBENCH --model "$WORK/als.trove" --metric ip --ef-construction 100 --ef "$EF" --queries 2000 --graph-file true > "$WORK/search-raw.txt"
$INDEXBENCH --model "$WORK/als.trove" --metric ip --ef-construction 100 --ef "$EF" --queries 2000 --graph-file true --exclude-seen true > "$WORK/search-served.txt"
raw_us=$(awk -v ms="$(search_ms "$WORK/search-raw.txt")" 'BEGIN { printf "%.0f", ms * 1000 }')
served_us=$(awk -v ms="$(search_ms "$WORK/search-served.txt")" 'BEGIN { printf "%.0f", ms * 1000 }')

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
measure() {   # label, then environment assignments for the server
  local label=$1; shift
  env "$@" $TROVE serve --model "$WORK/als.trove" --port "$PORT" --api-key k --retrieval hnsw --ef-search "$EF" > "$WORK/overhead-serve.log" 2>&1 &
  local server=$!
  until grep -qE "vector index (saved to|loaded from)" "$WORK/overhead-serve.log"; do
    kill -0 $server 2>/dev/null || { cat "$WORK/overhead-serve.log"; exit 1; }
    sleep 1
  done
  # Warm-up: under load the JIT needs ~10 s to finish the request path (the first 5 s cost ~8x a steady request's CPU,
  # the next 5 s ~3x); a 5 s warm-up, used until 2026-12-07, left part of that in the timed window.
  wrk -t1 -c"$CONNECTIONS" -d20s -s "$ROOT/bench/load/recs.lua" "http://127.0.0.1:$PORT" -- retrieval=hnsw > /dev/null
  local c0; c0=$(cpu_ticks $server)
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "$ROOT/bench/load/recs.lua" "http://127.0.0.1:$PORT" -- retrieval=hnsw > "$WORK/overhead-wrk.txt"
  local c1; c1=$(cpu_ticks $server)
  kill $server; wait $server 2>/dev/null || true
  local requests rps errors us
  requests=$(awk '/requests in/ { print $1 }' "$WORK/overhead-wrk.txt")
  rps=$(awk '/Requests\/sec/ { print $2 }' "$WORK/overhead-wrk.txt")
  errors=$(awk '/Non-2xx/ { print $NF }' "$WORK/overhead-wrk.txt"); errors=${errors:-0}
  us=$(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / requests ))
  echo "| $label | $rps | $errors | $us µs | $(awk -v a="$us" -v b="$served_us" 'BEGIN { printf "%.2fx", a / b }') | $(awk -v a="$us" -v b="$raw_us" 'BEGIN { printf "%.2fx", a / b }') |"
}

echo "# $(nproc) cores, $(uname -sr), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
head -3 "$WORK/search-raw.txt" | sed 's/^# /# raw search: /'
echo "# graph search, one thread, ef=$EF: raw ${raw_us} µs/query; as served (training items filtered out) ${served_us} µs/query"
echo
echo "| server | requests/s | non-2xx | server CPU per request | vs search as served | vs raw search |"
echo "|---|---:|---:|---:|---:|---:|"
measure "trove serve (as shipped)"
[ -n "${EXTRA_ENV:-}" ] && measure "trove serve, $EXTRA_ENV" $EXTRA_ENV
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
