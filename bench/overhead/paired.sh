#!/usr/bin/env bash
# Paired comparison of server builds: all of them run at once (one port each), and short wrk bursts alternate between
# them, so the machine's slow and fast minutes fall on every build alike (on the 2-core VM the same build's CPU per
# request varies 160-300 µs between runs minutes apart; within one pairing the ratio of two builds held within a few %).
#
#   bench/overhead/paired.sh 25 before=/tmp/before-bin after=src/Trove.Cli/bin/Release/net10.0 'after-spin0=src/Trove.Cli/bin/Release/net10.0:DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0'
#
# Each NAME=DIR[:ENV] is a directory holding a built trove.dll (copy bin/Release/net10.0 aside to keep a "before").
# Needs the model of bench/overhead/run.sh (WORK=/tmp/serve-load) and wrk. Prints server CPU per request per build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/serve-load}
BURSTS=$1; shift
BURST=${BURST:-2s}
names=(); pids=(); ports=(); ticks=(); reqs=()
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
for spec in "$@"; do
  name=${spec%%=*}; rest=${spec#*=}; bin=${rest%%:*}; envs=""; [[ $rest == *:* ]] && envs=${rest#*:}
  port=$((18300 + ${#names[@]}))
  env $envs dotnet "$bin/trove.dll" serve --model "$WORK/als.trove" --port $port --api-key k --retrieval hnsw --ef-search 100 > "$WORK/paired-$port.log" 2>&1 &
  names+=("$name"); pids+=($!); ports+=($port); ticks+=(0); reqs+=(0)
done
for j in "${!names[@]}"; do
  until grep -qE "vector index (saved to|loaded from)" "$WORK/paired-${ports[$j]}.log"; do kill -0 ${pids[$j]} || exit 1; sleep 1; done
  wrk -t1 -c8 -d20s -s "$ROOT/bench/load/recs.lua" "http://127.0.0.1:${ports[$j]}" -- retrieval=hnsw > /dev/null   # warm-up: the JIT needs ~10 s under load
done
for b in $(seq "$BURSTS"); do
  for j in "${!names[@]}"; do
    c0=$(cpu_ticks ${pids[$j]})
    wrk -t1 -c8 -d"$BURST" -s "$ROOT/bench/load/recs.lua" "http://127.0.0.1:${ports[$j]}" -- retrieval=hnsw > "$WORK/paired-wrk.txt"
    c1=$(cpu_ticks ${pids[$j]})
    if grep -q Non-2xx "$WORK/paired-wrk.txt"; then echo "non-2xx answers from ${names[$j]}"; fi
    ticks[$j]=$((ticks[$j] + c1 - c0)); reqs[$j]=$((reqs[$j] + $(awk '/requests in/ { print $1 }' "$WORK/paired-wrk.txt")))
  done
done
echo "# $(nproc) cores, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $BURSTS bursts of $BURST per build"
for j in "${!names[@]}"; do
  echo "| ${names[$j]} | $(( ticks[$j] * 1000000 / $(getconf CLK_TCK) / reqs[$j] )) µs | ${reqs[$j]} requests |"
  kill ${pids[$j]}
done
wait 2>/dev/null || true
