#!/usr/bin/env bash
# Import speed, one run: raw Npgsql binary COPY into a plain table (the limit), Trove's PostgreSQL import and
# Trove's SQLite import of the same N synthetic interactions (records with external ids, as `trove import` streams
# a CSV). Prints rows/s and each import's ratio to the raw COPY.
#   bash bench/store/run.sh [rows=5000000] [postgres connection string]
# PostgreSQL: TROVE_BENCH_POSTGRES or the second argument (default: the CI server of .ci/start-postgres.sh, port 5433);
# the bench creates (and re-creates) the database trove_store_bench there. Time it on a quiet machine:
#   heavy --exclusive bash bench/store/run.sh 5000000
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-5000000}
pg=${2:-${TROVE_BENCH_POSTGRES:-Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres}}
log=$(mktemp /tmp/trove-store-bench-build.XXXX)
dotnet build bench/Trove.Benchmarks -c Release -v quiet -nologo > "$log" 2>&1 || { cat "$log"; echo "build failed" >&2; exit 1; }
echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores"
dotnet bench/Trove.Benchmarks/bin/Release/net10.0/Trove.Benchmarks.dll store-import --rows "$rows" --pg "$pg" \
  --sqlite "${TMPDIR:-/tmp}/trove-store-bench.db"
