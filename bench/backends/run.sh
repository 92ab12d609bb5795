#!/usr/bin/env bash
# Managed kernels vs OpenBLAS, side by side in one run: each backend in its own process (TROVE_BLAS), alternating
# native, managed, native, managed, and the best of the runs per row. Needs ../shared/datasets (ml-100k, ncf-ml-100k)
# and Debian's libopenblas0-pthread + liblapacke for the native column. Prints a Markdown table.
#   bash bench/backends/run.sh [rounds=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}
dotnet build bench/Trove.Benchmarks -c Release -v quiet -nologo >/dev/null
bin=bench/Trove.Benchmarks/bin/Release/net10.0/Trove.Benchmarks.dll
out=$(mktemp -d /tmp/trove-backends.XXXX)
for r in $(seq 1 "$rounds"); do
  for backend in native managed; do
    TROVE_BLAS=$backend dotnet "$bin" backends > "$out/$backend.$r.txt"
    grep -E "^backend:|^neumf" "$out/$backend.$r.txt" | sed "s/^/[$backend $r] /"
  done
done
best() { grep -h "^RESULT $2 " "$out"/$1.*.txt | awk -v big="$3" 'NR==1{b=$3} {if (big=="max" ? $3>b : $3<b) b=$3} END{print b}'; }
echo
echo "| operation | OpenBLAS | managed | managed / OpenBLAS (time) |"
echo "|---|---|---|---|"
for row in "sgemm_1024_ms:sgemm 1024^3 (ms)" "cholesky_inverse_2000_s:Cholesky inverse 2,000 (s)" "cholesky_inverse_4000_s:Cholesky inverse 4,000 (s)" \
           "ease_ml100k_fit_s:EASE fit, ml-100k (s)" "als_cholesky_ncf100k_fit_s:ALS Cholesky, 64 factors, 15 iterations, ncf-ml-100k (s)" \
           "neumf_ncf100k_epoch_s:NeuMF epoch, ncf-ml-100k (s)"; do
  key=${row%%:*}; label=${row#*:}
  n=$(best native "$key" min); m=$(best managed "$key" min)
  echo "| $label | $n | $m | $(awk -v m="$m" -v n="$n" 'BEGIN{printf "%.2f", m/n}') |"
done
echo "| sgemm 1024^3 (GFLOP/s) | $(best native sgemm_1024_gflops max) | $(best managed sgemm_1024_gflops max) | |"
