#!/usr/bin/env bash
# Search at 100k items (see bench/RESULTS.md, "Search"): a simulated catalogue of 100,000 products, embedded with
# MiniLM by `trove index` (throughput), served, and GET /items/search latency measured with distinct queries.
# Usage: bench/search/run-100k.sh [WORK_DIR]   (run it alone: `heavy --exclusive bench/search/run-100k.sh`)
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-$(mktemp -d /tmp/trove-search100k.XXXX)}
PORT=${PORT:-8194}
dotnet build src/Trove.Cli -c Release -v q -nologo >/dev/null
TROVE="dotnet src/Trove.Cli/bin/Release/net10.0/trove.dll"
[ -f "$WORK/sim/items.csv" ] || $TROVE simulate --users 3000 --items 100000 --seed 7 --out "$WORK/sim" --no-diagnostics
[ -f "$WORK/catalogue.trove.search" ] || $TROVE index --data "$WORK/sim/items.csv" --out "$WORK/catalogue.trove" --encoder minilm
$TROVE serve --model "$WORK/catalogue.trove" --port "$PORT" --api-key bench >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
python3 bench/search/evaluate.py "http://127.0.0.1:$PORT" - "${REQUESTS:-500}"
