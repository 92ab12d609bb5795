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
# The simulator's products carry ~170-character descriptions, which MiniLM encodes at ~36 items/s here (47 minutes
# for 100k items). The latency figure is about serving, so by default the catalogue is the products' short fields
# (title, category, brand, ...: ~35 characters of text, as in the first measurement); LONG=1 keeps the descriptions.
if [ "${LONG:-0}" = 1 ]; then CATALOGUE="$WORK/sim/items.csv"; else
  CATALOGUE="$WORK/items-short.csv"
  [ -f "$CATALOGUE" ] || python3 -c '
import csv, sys
rows = csv.DictReader(open(sys.argv[1], newline=""))
out = csv.writer(open(sys.argv[2], "w", newline=""))
cols = ["item", "title", "category", "brand", "rating", "price", "release_date"]
out.writerow(cols)
for r in rows: out.writerow([r[c] for c in cols])' "$WORK/sim/items.csv" "$CATALOGUE"
fi
[ -f "$WORK/catalogue.trove.search" ] || $TROVE index --data "$CATALOGUE" --out "$WORK/catalogue.trove" --encoder minilm
$TROVE serve --model "$WORK/catalogue.trove" --port "$PORT" --api-key bench >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
python3 bench/search/evaluate.py "http://127.0.0.1:$PORT" - "${REQUESTS:-500}"
