#!/usr/bin/env bash
# Honest reproduction on the NCF protocol for ml-100k (ncf-ml-100k: each user's latest item vs 99 sampled negatives, HR@10).
#
# How the parameters are chosen (the test files are never used for that):
#   `trove tune --validation ncf` reads ONLY ml-100k.train.rating (copied to $OUT with a header line so the CSV reader
#   names its columns). From it, it builds the NCF protocol's own construction one step earlier: each user's LATEST
#   training interaction is held out (the test item is the latest of all, so validation is the one before it) and ranked
#   against 99 items the user never interacted with, sampled with --seed. Configurations are fitted on the remaining
#   training interactions and scored by HR@10; the best is written to $OUT/<model>.json. EASE's search covers lambda,
#   EDLAE's dropout and the recency weighting of the history (the k-th latest item counts 2^(-k/half-life); the
#   validation item is, like the test item, the user's next one, so validation decides whether recency pays). The blend (ease + als + bpr, each
#   with its own tuned parameters) then has its weights and normalisation tuned the same way.
#   Last, `trove evaluate --protocol ncf` fits every model with its chosen parameters on the full training file and
#   evaluates once on ml-100k.test.rating / ml-100k.test.negative. The headline is the model with the best VALIDATION score.
#
# Usage: bench/reproduce/ncf-ml-100k.sh        (env: NCF=dataset folder, OUT=output folder, SEED=42)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=${NCF:-/work/shared/datasets/ncf-ml-100k}
OUT=${OUT:-$(mktemp -d /tmp/trove-ncf100k.XXXX)}
SEED=${SEED:-42}
mkdir -p "$OUT"
source "$ROOT/bench/reproduce/common.sh"
reproduce_header ncf-ml-100k
{ printf 'user\titem\tscore\ttimestamp\n'; cat "$D/ml-100k.train.rating"; } > "$OUT/train.tsv"
TUNE=(--data "$OUT/train.tsv" --validation ncf --metric hr@10 --seed "$SEED" --eta 1)

# 1. Tune each model on the leave-latest-out validation of the training file.
trove tune "${TUNE[@]}" --model ease --trials 40 --out "$OUT/ease.json"
trove tune "${TUNE[@]}" --model als --trials 24 --out "$OUT/als.json"
trove tune "${TUNE[@]}" --model bpr --trials 12 --out "$OUT/bpr.json"
trove tune "${TUNE[@]}" --model rp3beta --trials 20 --out "$OUT/rp3beta.json"
# 2. The blend's weights, with each component's tuned parameters held fixed.
blend_components ease als bpr
trove tune "${TUNE[@]}" --model blend --trials 40 "${BLEND[@]}" --out "$OUT/blend.json"

# 3. Refit on the full training file with the chosen parameters; evaluate once on the test files.
MODELS=(ease als bpr rp3beta blend)
trove evaluate --protocol ncf --train "$D/ml-100k.train.rating" --test "$D/ml-100k.test.rating" --negatives "$D/ml-100k.test.negative" \
  --k 10 --seed "$SEED" $(for m in "${MODELS[@]}"; do echo --params "$OUT/$m.json"; done) --json "$OUT/test.json" >&2

# 4. Report.
report ncf-ml-100k hr@10 hr@10 ndcg@10 HR@10 NDCG@10
