#!/usr/bin/env bash
# Serving load test of `trove serve`: top-10 recommendations of ALS over a simulated 100k-item
# catalogue, exact and HNSW retrieval, with wrk. Prints requests/s, latency percentiles, errors,
# server RSS at start and end of each run, and the load average (other work on the machine skews
# every number: compare runs only at similar load).
#
#   bench/load/run-load.sh                 # everything (build, simulate, train, serve, wrk)
#   DURATION=30s CONNECTIONS=16 bench/load/run-load.sh
#
# Environment: WORK (data/model folder, default /tmp/trove-load), PORT (18080), DURATION (60s),
# CONNECTIONS (8), THREADS (wrk threads, 1), MODES ("exact hnsw"), SKIP_BUILD=1, SERVE_ARGS (extra
# `trove serve` arguments). Needs wrk, the .NET SDK, libopenblas0-pthread and liblapacke.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/trove-load}
PORT=${PORT:-18080}
DURATION=${DURATION:-60s}
CONNECTIONS=${CONNECTIONS:-8}
THREADS=${THREADS:-1}
MODES=${MODES:-exact hnsw}
LUA="$ROOT/bench/load/recs.lua"
TROVE="dotnet $ROOT/src/Trove.Cli/bin/Release/net10.0/trove.dll"
URL="http://127.0.0.1:$PORT"
mkdir -p "$WORK"

[ "${SKIP_BUILD:-0}" = 1 ] || dotnet build "$ROOT/src/Trove.Cli" -c Release -v q -nologo
[ -f "$WORK/sim/interactions.csv" ] || $TROVE simulate --users 50000 --items 100000 --seed 5 --mean-interactions 40 --out "$WORK/sim" --no-diagnostics
[ -f "$WORK/als.trove" ] || $TROVE train --data "$WORK/sim" --model als --out "$WORK/als.trove"

rss_mb() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # user + system time, in clock ticks

# The first start builds the HNSW graphs (minutes on a busy machine) and saves them as als.trove.index;
# later starts load that file. retrieval=exact / retrieval=hnsw per request select the path measured.
$TROVE serve --model "$WORK/als.trove" --port "$PORT" --api-key k --retrieval hnsw ${SERVE_ARGS:-} > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
echo "server pid $SERVER; waiting for the model and its HNSW graph (log: $WORK/serve.log)"
until grep -qE "vector index (saved to|loaded from)|could not save the vector index" "$WORK/serve.log"; do
  kill -0 $SERVER 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  sleep 2
done
grep -E "vector index|graphs" "$WORK/serve.log" || true
curl -sf "$URL/models" | grep -q '"retrieval":"hnsw"' || { echo "the server does not use HNSW retrieval"; exit 1; }

# Quality of what is served: the same users' top-10 from both paths (seen items excluded).
python3 "$ROOT/bench/load/served-recall.py" "$URL" --users 500 | tee "$WORK/recall.txt"
python3 "$ROOT/bench/load/served-recall.py" "$URL" --users 200 --query category=books | tee -a "$WORK/recall.txt"

SUMMARY="$WORK/summary.md"
echo "| retrieval | connections | requests/s | p50 | p90 | p99 | max | non-2xx / socket errors | server CPU per request | RSS start -> end (MB) | load avg before / after |" > "$SUMMARY"
echo "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|" >> "$SUMMARY"
for mode in $MODES; do
  wrk -t1 -c"$CONNECTIONS" -d5s -s "$LUA" "$URL" -- "retrieval=$mode" > /dev/null   # warm-up (JIT, pools)
  before=$(load); rss0=$(rss_mb $SERVER); cpu0=$(cpu_ticks $SERVER)
  ( while kill -0 $SERVER 2>/dev/null; do echo "$(date +%s) $(rss_mb $SERVER)"; sleep 5; done ) > "$WORK/rss-$mode.txt" &
  SAMPLER=$!
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$LUA" "$URL" -- "retrieval=$mode" | tee "$WORK/wrk-$mode.txt"
  kill $SAMPLER 2>/dev/null || true
  after=$(load); rss1=$(rss_mb $SERVER); cpu1=$(cpu_ticks $SERVER)
  out="$WORK/wrk-$mode.txt"
  rps=$(awk '/Requests\/sec/ { print $2 }' "$out")
  pct() { awk -v p="$1" '$1 == p { print $2 }' "$out"; }
  maxlat=$(awk '/Latency/ && !/Distribution/ { print $4; exit }' "$out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$out"); non2xx=${non2xx:-0}
  requests=$(awk '/requests in/ { print $1 }' "$out")
  cpu_us=$(( (cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) / requests ))
  sockets=$(awk '/Socket errors/ { print $0 }' "$out" | sed 's/.*Socket errors: //'); sockets=${sockets:-none}
  echo "| $mode | $CONNECTIONS | $rps | $(pct 50%) | $(pct 90%) | $(pct 99%) | $maxlat | $non2xx / $sockets | ${cpu_us} µs | $rss0 -> $rss1 (samples: $(cut -d' ' -f2 "$WORK/rss-$mode.txt" | tr '\n' ' ')) | $before / $after |" >> "$SUMMARY"
done
echo
echo "# $(nproc) cores, $(uname -sr), $(date -u +%FT%TZ)"
cat "$SUMMARY"
