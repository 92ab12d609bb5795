#!/usr/bin/env bash
# Serving overhead measured against drift: the graph search alone (IndexBench) and the server answering the same users
# take turns in short bursts, both processes up and warm the whole time, so each pair of bursts meets the machine in
# the same state. The speed of this VM drifts over minutes (the same build: 160-300 µs of server CPU per request in runs
# minutes apart), so a ratio of two halves timed minutes apart (bench/overhead/run.sh) says more about the minute than
# about the server.
#
#   bench/overhead/interleaved.sh [PAIRS]     # WORK=/tmp/serve-load (the model of bench/overhead/run.sh), PAIRS=10
#
# Per pair: IndexBench searches the user list in turn for BURST (one thread, ef=EF, k=10, each user's training items
# filtered out during the walk as the server does), then wrk asks `trove serve --retrieval hnsw --ef-search EF` for the
# same users in the same order for BURST (8 connections). Both sides are measured alike: the process's user + system CPU
# from /proc over the queries or requests of the burst. Prints each pair's ratio and the median. Needs wrk and a
# Release build of the CLI and IndexBench (SKIP_BUILD=1 skips building).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/serve-load}
PAIRS=${1:-10}
BURST=${BURST:-3}
PORT=${PORT:-18181}
CONNECTIONS=${CONNECTIONS:-8}
EF=${EF:-100}
USERS=${USERS:-2000}
SEARCH_THREADS=${SEARCH_THREADS:-1}   # 2: the search alone on both cores at once, as the server's requests run
WARMUP=${WARMUP:-20}                  # seconds of load before the first pair (the JIT takes ~10 s under load, below)
# PIN=1: the server and IndexBench on the last core, wrk on the others (taskset), as in production where the clients
# run on other machines: unpinned, wrk's threads and the loopback stack's work for them share the server's cores and
# caches, and their preemptions and evictions are charged to the server's CPU per request.
PIN=${PIN:-0}
last=$(( $(nproc) - 1 ))
if [ "$PIN" = 1 ]; then SERVE_ON="taskset -c $last"; LOAD_ON="taskset -c 0-$(( last - 1 ))"; else SERVE_ON=""; LOAD_ON=""; fi
# Other builds (a copy of bin/Release/net10.0 kept aside as "before"): TROVE_BIN=DIR, INDEXBENCH_BIN=DIR.
TROVE="dotnet ${TROVE_BIN:-$ROOT/src/Trove.Cli/bin/Release/net10.0}/trove.dll"
INDEXBENCH="dotnet ${INDEXBENCH_BIN:-$ROOT/bench/Trove.IndexBench/bin/Release/net10.0}/Trove.IndexBench.dll"
if [ "${SKIP_BUILD:-0}" != 1 ] && [ -z "${TROVE_BIN:-}${INDEXBENCH_BIN:-}" ]; then
  dotnet build "$ROOT/src/Trove.Cli" -c Release -v q -nologo
  dotnet build "$ROOT/bench/Trove.IndexBench" -c Release -v q -nologo
fi
[ -f "$WORK/als.trove" ] || { echo "$WORK/als.trove: no model; run bench/overhead/run.sh once to make it" >&2; exit 1; }
# The simulated users are u00001..u50000; a fixed sample of them, in a fixed order.
awk -v n="$USERS" 'BEGIN { srand(7); for (i = 0; i < n; i++) printf "u%05d\n", 1 + int(rand() * 50000) }' > "$WORK/overhead-users.txt"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)

$SERVE_ON $TROVE serve --model "$WORK/als.trove" --port "$PORT" --api-key k --retrieval hnsw --ef-search "$EF" > "$WORK/interleaved-serve.log" 2>&1 &
server=$!
coproc SEARCH { exec $SERVE_ON $INDEXBENCH --model "$WORK/als.trove" --metric ip --ef-construction 100 --ef "$EF" --graph-file true \
  --exclude-seen true --users "$WORK/overhead-users.txt" --bursts true --search-threads "$SEARCH_THREADS"; }
search=$SEARCH_PID
trap 'kill $server $search 2>/dev/null || true' EXIT
while read -r -u "${SEARCH[0]}" line; do [ "$line" = ready ] && break; echo "$line"; done
until grep -qE "vector index (saved to|loaded from)" "$WORK/interleaved-serve.log"; do
  kill -0 $server 2>/dev/null || { cat "$WORK/interleaved-serve.log"; exit 1; }
  sleep 1
done
# Warm-up of both, not timed. Under this load the server's first 5 s cost ~8x a request's steady CPU and the next 5 s
# ~3x (the JIT compiling and re-compiling the request path with profile data); a short warm-up leaves that in the
# timed window.
echo "$WARMUP" >&"${SEARCH[1]}"; read -r -u "${SEARCH[0]}" _
$LOAD_ON wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/overhead/users.lua" "http://127.0.0.1:$PORT" -- "$WORK/overhead-users.txt" > /dev/null

echo "# $(nproc) cores, $(uname -sr), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg); $PAIRS pairs of ${BURST} s bursts, ef=$EF, $USERS users, search on $SEARCH_THREADS thread(s), pinned: $PIN"
echo
echo "| pair | search: CPU per query (wall) | server: CPU per request | requests/s | ratio |"
echo "|---:|---:|---:|---:|---:|"
ratios=()
for p in $(seq "$PAIRS"); do
  c0=$(cpu_ticks $search)
  echo "$BURST" >&"${SEARCH[1]}"
  read -r -u "${SEARCH[0]}" _ queries wall_ms
  c1=$(cpu_ticks $search)
  search_us=$(awk -v t=$((c1 - c0)) -v q="$queries" -v h="$tck" 'BEGIN { printf "%.1f", t * 1e6 / h / q }')
  search_wall_us=$(awk -v ms="$wall_ms" -v q="$queries" 'BEGIN { printf "%.1f", ms * 1000 / q }')

  c0=$(cpu_ticks $server)
  $LOAD_ON wrk -t1 -c"$CONNECTIONS" -d"${BURST}s" -s "$ROOT/bench/overhead/users.lua" "http://127.0.0.1:$PORT" -- "$WORK/overhead-users.txt" > "$WORK/interleaved-wrk.txt"
  c1=$(cpu_ticks $server)
  if grep -q Non-2xx "$WORK/interleaved-wrk.txt"; then echo "non-2xx answers:"; cat "$WORK/interleaved-wrk.txt"; exit 1; fi
  requests=$(awk '/requests in/ { print $1 }' "$WORK/interleaved-wrk.txt")
  rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/interleaved-wrk.txt")
  server_us=$(awk -v t=$((c1 - c0)) -v r="$requests" -v h="$tck" 'BEGIN { printf "%.1f", t * 1e6 / h / r }')
  ratio=$(awk -v a="$server_us" -v b="$search_us" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  echo "| $p | $search_us µs ($search_wall_us µs) | $server_us µs | $rps | ${ratio}x |"
done
echo
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
echo "median ratio ${median}x (range $(printf '%s\n' "${ratios[@]}" | sort -g | head -1)-$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)x); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
