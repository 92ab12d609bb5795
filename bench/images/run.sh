#!/usr/bin/env bash
# resnet18 image encoding throughput: N synthetic 320x240 PNGs encoded by `trove train --config` (content model on
# the image group alone). Usage: bench/images/run.sh N WORKDIR   (run it under `heavy --exclusive`)
set -euo pipefail
N=${1:-200}; W=${2:-/tmp/trove-images}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TROVE="$ROOT/src/Trove.Cli/bin/Release/net10.0/trove"
rm -rf "$W"; mkdir -p "$W"
python3 "$ROOT/bench/images/make_images.py" "$N" "$W"
echo '{"model": "content", "features": {"item": [{"group": "image", "encoder": "resnet18"}]}}' > "$W/config.json"
# One fresh process: the timing includes its start and the model load (about a second), so small N understate the rate.
start=$(date +%s.%N)
"$TROVE" train --config "$W/config.json" --data "$W/data.json" --out "$W/content.trove" > "$W/train.log" 2>&1
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3]); print(f'{n} images: {s:.1f} s wall for the whole trove train (process start, model load, decoding, ResNet-18, training): {n/s:.1f} images/s')" "$start" "$end" "$N"
grep -E "content:|note" "$W/train.log" || true
