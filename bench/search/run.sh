#!/usr/bin/env bash
# Search benchmark on ml-100k (see bench/RESULTS.md, "Search"): builds the CLI, trains ALS, embeds the catalogue
# (MODEL.search: MiniLM throughput), serves it and runs bench/search/evaluate.py (NDCG@10 per mode, latency).
# Usage: bench/search/run.sh [ML100K_DIR] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
ML=${1:-../shared/datasets/ml-100k}
WORK=${2:-$(mktemp -d /tmp/trove-search.XXXX)}
PORT=${PORT:-8193}
dotnet build src/Trove.Cli -c Release -v q -nologo >/dev/null
TROVE="dotnet src/Trove.Cli/bin/Release/net10.0/trove.dll"
$TROVE train --data "$ML" --model als --out "$WORK/als.trove"
$TROVE index --model "$WORK/als.trove" --encoder minilm
$TROVE serve --model "$WORK/als.trove" --port "$PORT" --api-key bench >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
python3 bench/search/evaluate.py "http://127.0.0.1:$PORT" "$ML" "${REQUESTS:-300}"
